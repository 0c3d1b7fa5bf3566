/**
 * Child of interrupt_test.ts: judges a sample large enough to take many seconds, as the
 * drift stage does (driftVerdictOffThread), with a SIGINT listener like the pipeline
 * runner's, and says which came first. `--inline` judges on the calling thread instead (the
 * stage before this change), to show the test can fail.
 */
import { driftVerdict } from "../../src/drift/verdict.ts";
import { driftVerdictOffThread } from "../../src/drift/verdict_worker.ts";
import { hourly, rowsWhere, SKIP } from "./_synthetic.ts";

const start = Date.UTC(2013, 0, 1);
const all = hourly({ start, hours: 3 * 8760, stations: 30, seed: 3 });
const cut = start + 2 * 8760 * 3_600_000;
const reference = rowsWhere(all, (t) => t < cut);
const current = rowsWhere(all, (t) => t >= cut);
Deno.addSignalListener("SIGINT", () => {
  console.log("interrupted");
  Deno.exit(130);
});
const options = { skip: SKIP };
console.log("judging");
const t0 = performance.now();
if (Deno.args.includes("--inline")) driftVerdict(reference, current, options);
else await driftVerdictOffThread(reference, current, options);
console.log(`finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
