/**
 * `deno task pipeline [flags]`: runs the study's stages, skipping those whose code,
 * parameters and inputs are unchanged since the last run (aqlab.lock).
 */
import { parseArgs } from "node:util";
import { paramsYaml, resolveStageParams } from "../src/pipeline/config.ts";
import { ParamError } from "../src/pipeline/params.ts";
import { runPipeline } from "../src/pipeline/runner.ts";
import { RunLockedError } from "../src/pipeline/run_lock.ts";
import { STAGES } from "./stages.ts";

const HELP = `usage: deno task pipeline [flags]

  --only STAGE        run just this stage (repeatable)
  --from STAGE        run this stage and everything after it
  --force             run the selected stages even when nothing changed
  --dry-run           print what would run and why, run nothing
  --verify            re-hash every input, output and code file (ignore the stat cache)
  --set S.P=VALUE     override a parameter of params.yaml (repeatable)
  --source NAME       raw data layout: synth (default), prsa, cpcb, long
  --data DIR          folder of raw CSV files
  --model FILE        a pretrained model (.onnx, or XGBoost .json) as the candidate
  --current DIR|F.kv  raw files, or the endpoint's prediction log, to check for drift
  --params FILE       parameters file (default params.yaml)
  --wait              wait for a running pipeline instead of refusing
  --list              list the stages and their parameters
  --write-params      write params.yaml from the stages' declarations (deno task params)

stages: ${STAGES.map((s) => s.name).join(", ")}`;

export async function main(args: string[], root = Deno.cwd()): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        only: { type: "string", multiple: true },
        from: { type: "string" },
        force: { type: "boolean" },
        "dry-run": { type: "boolean" },
        verify: { type: "boolean" },
        set: { type: "string", multiple: true },
        source: { type: "string" },
        data: { type: "string" },
        model: { type: "string" },
        current: { type: "string" },
        params: { type: "string" },
        wait: { type: "boolean" },
        list: { type: "boolean" },
        "write-params": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  if (flags.list) {
    for (const s of STAGES) {
      console.log(`${s.name}: ${s.description}`);
      for (const [k, d] of Object.entries(s.params)) {
        console.log(`    ${s.name}.${k} = ${JSON.stringify(d.default)}  # ${d.doc}`);
      }
    }
    return 0;
  }
  const paramsFile = flags.params ?? "params.yaml";
  if (flags["write-params"]) {
    await Deno.writeTextFile(`${root}/${paramsFile}`, paramsYaml(STAGES));
    console.log(`wrote ${paramsFile}: the defaults and docs of every stage's parameters`);
    return 0;
  }
  let yamlText: string | null = null;
  try {
    yamlText = await Deno.readTextFile(`${root}/${paramsFile}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound) || flags.params) {
      console.error(`Cannot read parameters file ${paramsFile}: ${(e as Error).message}`);
      return 2;
    }
  }
  const sets = [...(flags.set ?? [])];
  if (flags.source) sets.push(`pipeline.source=${flags.source}`);
  if (flags.data) sets.push(`pipeline.data_dir=${flags.data}`);
  if (flags.model) sets.push(`pipeline.model_path=${flags.model}`);
  if (flags.current) sets.push(`pipeline.current_dir=${flags.current}`);
  try {
    const params = resolveStageParams(STAGES, yamlText, sets, paramsFile);
    if (flags.data && params.pipeline.source === "synth") {
      console.error("--data needs --source (prsa, cpcb or long) to say how to read the files");
      return 2;
    }
    const t0 = performance.now();
    const { record } = await runPipeline(STAGES, {
      root,
      params,
      only: flags.only,
      from: flags.from,
      force: flags.force,
      dryRun: flags["dry-run"],
      verify: flags.verify,
      // Test hook (tests/registry/register_commit_test.ts): stall after this stage.
      stallAfter: Deno.env.get("AQLAB_STALL_AFTER") || undefined,
      wait: flags.wait,
    });
    if (!flags["dry-run"]) {
      const ran = record.stages.filter((s) => s.status === "ran").length;
      console.log(
        `pipeline ${record.status}: ${ran} stage(s) ran, ${record.stages.length - ran} skipped, ${
          ((performance.now() - t0) / 1000).toFixed(1)
        }s (run ${record.run_id})`,
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof ParamError || e instanceof RunLockedError) {
      console.error(e.message);
      return 2;
    }
    console.error(`pipeline failed: ${e instanceof Error ? e.message : e}`);
    if (Deno.env.get("AQLAB_DEBUG") && e instanceof Error) console.error(e.stack);
    console.error("nothing was committed: the previous outputs and aqlab.lock are unchanged");
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
