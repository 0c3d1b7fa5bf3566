/**
 * The model both sides of the serving benchmark score: our learner trained on the standard
 * task (real PRSA data, anchors/prsa_task.py's rows) with the reference's settings (500
 * trees, depth 8, eta 0.05, subsample and colsample 0.8), written as an ordinary model
 * package, and XGBoost's model of the same task from `prsa_task.py --save-model`. Both are
 * cached in the temp folder: the first run trains (about a minute), later runs reuse them.
 */
import { loadStandardTask } from "../src/features/standard_task.ts";
import { FEATURES, type FeatureSchema, TARGET } from "../src/features/schema.ts";
import { train } from "../src/gbdt/boost.ts";
import { predict } from "../src/gbdt/predict.ts";
import { modelToJSON } from "../src/gbdt/serialize.ts";
import { exportTreeEnsemble } from "../src/onnx/export.ts";
import { conformalQuantile } from "../src/metrics/conformal.ts";
import { sampleReference, writePackage } from "../src/registry/write_package.ts";
import type { ModelMetadata } from "../src/registry/package.ts";
import { STANDARD_PARAMS } from "./gbdt.ts";

export const ANCHORS = new URL("../../shared/anchors/", import.meta.url).pathname;
export const PRSA = Deno.env.get("AQLAB_PRSA_DIR") ??
  new URL("../../shared/data/prsa", import.meta.url).pathname;
const TMP = Deno.env.get("TMPDIR") ?? "/tmp";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

function observed(values: Float32Array, nCols: number, j: number) {
  const col: number[] = [];
  let missing = 0;
  for (let i = j; i < values.length; i += nCols) {
    const v = values[i]!;
    if (Number.isNaN(v)) missing++;
    else col.push(v);
  }
  col.sort((a, b) => a - b);
  const q = (p: number) => col[Math.min(col.length - 1, Math.floor(p * (col.length - 1)))]!;
  return {
    min: col[0]!,
    max: col.at(-1)!,
    p01: q(0.01),
    p99: q(0.99),
    missingShare: missing / (values.length / nCols),
  };
}

/** Our standard-task model as a package folder (trained once, then reused). */
export async function standardModelPackage(): Promise<{ dir: string; what: string }> {
  const dir = `${TMP}/aqlab_bench_serve_gbdt_500x8`;
  const what = "aqlab GBDT, standard task (PRSA), 500 trees depth 8 (prsa_task.py settings)";
  if (await exists(`${dir}/metadata.json`)) return { dir, what };
  const task = await loadStandardTask(PRSA);
  const t0 = performance.now();
  const { model } = await train(task.train.X, task.train.y, STANDARD_PARAMS, { threads: 2 });
  const seconds = (performance.now() - t0) / 1000;
  const testPred = predict(model, task.test.X);
  const trainPred = predict(model, task.train.X);
  const stations = [...new Set(task.train.station)].sort();
  const schema: FeatureSchema = {
    version: 1,
    target: { name: TARGET, unit: "µg/m³", horizonHours: 1 },
    features: FEATURES.map((f, j) => ({
      ...f,
      observed: observed(task.train.X.data, task.train.X.nCols, j),
    })),
    stations,
  };
  const metadata: ModelMetadata = {
    name: "pm25",
    version: 1,
    kind: "gbdt",
    created: new Date().toISOString(),
    git_commit: null,
    parent_version: null,
    params: { ...STANDARD_PARAMS },
    schema,
    metrics: {},
    interval: conformalQuantile(task.test.y, testPred, 0.1),
    lineage: { run_id: "bench-serve", data_hash: null, stages: {} },
    training: { rows: task.train.X.nRows, valid_rows: 0, seconds },
  };
  const staging = `${dir}.tmp-${Deno.pid}`;
  await writePackage(staging, {
    onnx: exportTreeEnsemble(model, { "aqlab.candidate": "bench" }),
    model: modelToJSON(model),
    metadata,
    reference: sampleReference(
      { X: task.train.X, y: task.train.y, time: task.train.time },
      trainPred,
      { seed: 1 },
    ),
  });
  await Deno.rename(staging, dir);
  return { dir, what };
}

/** XGBoost's model of the same task and settings (JSON), for the FastAPI reference. */
export async function referenceModel(py: string): Promise<string> {
  const path = `${TMP}/aqlab_bench_xgb.json`;
  if (await exists(path)) return path;
  const out = await new Deno.Command(py, {
    args: [`${ANCHORS}prsa_task.py`, PRSA, "--models", "xgb", "--save-model", path],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`Cannot train the reference: ${new TextDecoder().decode(out.stderr)}`);
  }
  return path;
}
