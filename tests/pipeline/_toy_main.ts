// A toy pipeline process for the kill test: `deno run -A _toy_main.ts ROOT --set a.stall_ms=60000`.
import { resolveStageParams } from "../../src/pipeline/config.ts";
import { runPipeline } from "../../src/pipeline/runner.ts";
import { toyStages } from "./_toy.ts";

const [root, ...sets] = Deno.args;
const stages = toyStages();
await runPipeline(stages, {
  root: root!,
  params: resolveStageParams(stages, null, sets.filter((s) => s !== "--set")),
  log: () => {},
});
