/**
 * Benchmark of the histogram GBDT on the standard task (real PRSA data), side by side with
 * XGBoost `hist` run in the same process tree (same machine, same moment):
 * test RMSE, train wall time and their ratio, batch predict throughput, single-row latency.
 *
 * Run: deno run -A bench/gbdt.ts [--trees 500] [--threads 2] [--no-xgb]
 * Data: `loadStandardTask` on ../shared/data/prsa; where that fails (no data), a synthetic
 * matrix of the same shape (232,323 x 22 train, 76,928 test) so the timings still mean
 * something (RMSE is then not comparable to XGBoost's, which is skipped).
 */
import type { FeatureMatrix } from "../src/data/matrix.ts";
import { FEATURE_NAMES } from "../src/features/schema.ts";
import { loadStandardTask } from "../src/features/standard_task.ts";
import type { LabelledMatrix } from "../src/data/load_matrix.ts";
import { train } from "../src/gbdt/boost.ts";
import { predict, predictRow } from "../src/gbdt/predict.ts";
import { Pcg32 } from "../src/gbdt/random.ts";

const DATA_DIR = "../shared/data/prsa";
const ANCHOR = "../shared/anchors/prsa_task.py";
const PYTHON = "/usr/bin/python3";

/** The standard task's XGBoost settings (prsa_task.py), in our parameter names. */
export const STANDARD_PARAMS = {
  nEstimators: 500,
  maxDepth: 8,
  learningRate: 0.05,
  subsample: 0.8,
  colsampleBytree: 0.8,
  seed: 0,
} as const;

interface Task {
  source: string;
  train: { X: FeatureMatrix; y: Float32Array };
  test: { X: FeatureMatrix; y: Float32Array };
}

async function loadTask(): Promise<Task> {
  try {
    const t = await loadStandardTask(DATA_DIR);
    // Rows come back in no fixed order; sort them as the reference does (station, time) so
    // the quantile sample and the row draws, hence the model, are the same on every run.
    return {
      source: `PRSA standard task (${DATA_DIR})`,
      train: sortRows(t.train),
      test: sortRows(t.test),
    };
  } catch (e) {
    console.error(`Cannot load the standard task (${(e as Error).message}); using synthetic data`);
    return { source: "synthetic, same shape", ...syntheticTask() };
  }
}

function sortRows(m: LabelledMatrix): { X: FeatureMatrix; y: Float32Array } {
  const n = m.X.nRows, p = m.X.nCols;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    m.station[a]! < m.station[b]! ? -1 : m.station[a]! > m.station[b]! ? 1 : m.time[a]! - m.time[b]!
  );
  const data = new Float32Array(n * p), y = new Float32Array(n);
  order.forEach((r, i) => {
    data.set(m.X.data.subarray(r * p, r * p + p), i * p);
    y[i] = m.y[r]!;
  });
  return { X: { ...m.X, data }, y };
}

function syntheticTask(): Omit<Task, "source"> {
  const rng = new Pcg32(42);
  const make = (n: number) => {
    const p = FEATURE_NAMES.length;
    const data = new Float32Array(n * p), y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        // A few low-cardinality columns like hour / station, the rest continuous.
        const v = j >= 13 && j <= 16 ? Math.floor(rng.nextFloat() * 24) : rng.nextFloat() * 100;
        data[i * p + j] = rng.nextFloat() < 0.02 ? NaN : v;
      }
      const o = i * p;
      y[i] = (data[o] || 0) * 0.9 + Math.sin((data[o + 13] || 0) / 4) * 10 +
        (rng.nextFloat() - 0.5) * 20;
    }
    return { X: { data, nRows: n, nCols: p, names: [...FEATURE_NAMES] }, y };
  };
  return { train: make(232_323), test: make(76_928) };
}

function rmse(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

async function runXgboost(threads: number): Promise<{ rmse: number; trainS: number } | string> {
  const probe = await new Deno.Command(PYTHON, { args: ["-c", "import xgboost"], stderr: "null" })
    .output().catch(() => null);
  if (!probe?.success) return "python3-xgboost not importable";
  const out = await new Deno.Command(PYTHON, {
    args: [ANCHOR, DATA_DIR, "--models", "xgb", "--threads", String(threads)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const m = text.match(/^xgboost .*RMSE=([\d.]+).*train_s=([\d.]+)/m);
  if (!out.success || !m) {
    return `prsa_task.py failed: ${new TextDecoder().decode(out.stderr).slice(-300)}`;
  }
  return { rmse: Number(m[1]), trainS: Number(m[2]) };
}

export async function run(
  opts: { trees?: number; threads?: number; xgb?: boolean } = {},
): Promise<Record<string, unknown>> {
  const threads = opts.threads ?? 2;
  const task = await loadTask();
  const params = { ...STANDARD_PARAMS, nEstimators: opts.trees ?? STANDARD_PARAMS.nEstimators };

  const t0 = performance.now();
  const { model } = await train(task.train.X, task.train.y, params, { threads });
  const trainS = (performance.now() - t0) / 1000;

  const tp = performance.now();
  const pred = predict(model, task.test.X);
  const predictS = (performance.now() - tp) / 1000;
  const ours = rmse(pred, task.test.y);

  const X = task.test.X;
  const lat: number[] = [];
  for (let k = 0; k < 2000; k++) {
    const o = (k * 37 % X.nRows) * X.nCols;
    const t = performance.now();
    predictRow(model, X.data, o);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);

  const xgb = opts.xgb === false || params.nEstimators !== 500 || !task.source.startsWith("PRSA")
    ? "skipped (needs the real task and 500 trees)"
    : await runXgboost(threads);
  const x = typeof xgb === "string" ? null : xgb;
  const result = {
    data: task.source,
    trainRows: task.train.X.nRows,
    testRows: X.nRows,
    trees: model.trees.length,
    threads,
    rmse: ours,
    trainSeconds: trainS,
    predictRowsPerSecond: X.nRows / predictS,
    singleRowMedianMs: lat[lat.length >> 1]!,
    xgboost: xgb,
    trainRatio: x ? trainS / x.trainS : null,
    rmseRatio: x ? ours / x.rmse : null,
  };
  const f = (v: number | undefined, d = 2) => v === undefined ? "n/a" : v.toFixed(d);
  console.log(
    `GBDT benchmark: ${task.source}, ${result.trainRows} train / ${result.testRows} test rows`,
  );
  console.table({
    "test RMSE": { aqlab: f(ours, 3), xgboost: f(x?.rmse, 3) },
    "train wall s": { aqlab: f(trainS), xgboost: f(x?.trainS) },
    "train ratio (aqlab / xgb)": { aqlab: x ? f(trainS / x.trainS) : "n/a", xgboost: "" },
    "batch predict rows/s": { aqlab: Math.round(result.predictRowsPerSecond), xgboost: "" },
    "single-row predict median ms": { aqlab: f(result.singleRowMedianMs, 4), xgboost: "" },
  });
  if (typeof xgb === "string") console.log(`xgboost: ${xgb}`);
  return result;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  };
  const r = await run({
    trees: arg("--trees"),
    threads: arg("--threads"),
    xgb: !Deno.args.includes("--no-xgb"),
  });
  console.log(JSON.stringify(r));
}
