/**
 * Child of interrupt_test.ts: trains far more rounds than it will be given time for, with a
 * SIGINT listener like the pipeline runner's, and says which came first.
 */
import { train } from "../../src/gbdt/boost.ts";
import { synthetic } from "./_data.ts";

const { X, y } = synthetic(50_000, 7, (x, o) => Math.sin(x[o]!) * 10 + x[o + 1]! * x[o + 2]!);
Deno.addSignalListener("SIGINT", () => {
  console.log("interrupted");
  Deno.exit(130);
});
console.log("training");
await train(X, y, { nEstimators: 100_000, maxDepth: 8 }, { threads: 2 });
console.log("finished");
