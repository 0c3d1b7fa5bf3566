/**
 * Benchmark of the histogram GBDT on the standard task (real PRSA data), side by side with
 * XGBoost `hist` run through ../shared/anchors/prsa_task.py in the same run (same machine,
 * same moment): test RMSE, train wall time and their ratio at each thread count, batch
 * predict throughput, single-row latency. The machine is shared, so each repetition runs
 * ours and XGBoost back to back (alternating which goes first), the 1-minute load average is
 * printed beside every figure, and the ratio is of the medians.
 *
 * Run: deno run -A bench/gbdt.ts [--trees 500] [--threads 2,1] [--reps 3] [--no-xgb] [--omp-passive]
 *      [--large] [--large-rows 15883992] [--large-trees 10]
 * Data: `loadStandardTask` on ../shared/data/prsa; where that fails (no data), a synthetic
 * matrix of the same shape (232,323 x 22 train, 76,928 test) so the timings still mean
 * something (RMSE is then not comparable to XGBoost's, which is skipped).
 * `--large`: also trains on a synthetic matrix of the 453-station size (15,883,992 x 22) in a
 * child process and reports its wall time and peak RSS (VmHWM).
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
/** Rows of the 453-station synthetic set (issue 12's 16M-row size). */
export const LARGE_ROWS = 15_883_992;

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
    return {
      source: "synthetic, same shape",
      train: synthetic(232_323, 42),
      test: synthetic(76_928, 43),
    };
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

/** n rows shaped like the standard task: a few low-cardinality columns, 2% missing. */
function synthetic(n: number, seed: number): { X: FeatureMatrix; y: Float32Array } {
  const rng = new Pcg32(seed);
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
}

function rmse(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

const load = () => Deno.loadavg()[0]!;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function xgboostAvailable(): Promise<string | null> {
  const probe = await new Deno.Command(PYTHON, { args: ["-c", "import xgboost"], stderr: "null" })
    .output().catch(() => null);
  if (!probe?.success) return "python3-xgboost not importable";
  try {
    await Deno.stat(ANCHOR);
  } catch {
    return `${ANCHOR} not found`;
  }
  return null;
}

/**
 * One run of the anchor's XGBoost. `passive`: OMP_WAIT_POLICY=PASSIVE, so that its OpenMP
 * threads sleep instead of spinning while they wait (on a busy machine the default spinning
 * can make 2 threads several times slower than 1).
 */
async function runXgboost(
  threads: number,
  passive = false,
): Promise<{ rmse: number; trainS: number }> {
  const out = await new Deno.Command(PYTHON, {
    args: [ANCHOR, DATA_DIR, "--models", "xgb", "--threads", String(threads)],
    env: passive ? { OMP_WAIT_POLICY: "PASSIVE" } : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const m = text.match(/^xgboost .*RMSE=([\d.]+).*train_s=([\d.]+)/m);
  if (!out.success || !m) {
    throw new Error(
      `Cannot run ${ANCHOR}: ${new TextDecoder().decode(out.stderr).slice(-300)}`,
    );
  }
  return { rmse: Number(m[1]), trainS: Number(m[2]) };
}

interface Run {
  trainS: number;
  /** CPU seconds (ours only: all threads of this process). */
  cpuS?: number;
  load: number;
}

/** Per thread count: our runs and XGBoost's (same repetitions, back to back). */
interface ThreadFigures {
  threads: number;
  aqlab: Run[];
  xgboost: Run[];
  aqlabRmse: number;
  xgboostRmse: number | null;
  aqlabMedianS: number;
  xgboostMedianS: number | null;
  trainRatio: number | null;
  rmseRatio: number | null;
}

/**
 * CPU seconds this process (all its threads) has used, from /proc/self/stat; NaN where /proc
 * is not readable. Beside wall time it shows how much of a slow run was waiting for a core.
 */
function cpuSeconds(): number {
  try {
    const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Peak RSS of this process (VmHWM), in bytes; null where /proc is not readable. */
function peakRss(): number | null {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Trains on a synthetic `rows` x 22 matrix (run in a child process: its own peak RSS). */
async function largeChild(rows: number, trees: number, threads: number): Promise<void> {
  const t0 = performance.now();
  const task = synthetic(rows, 44);
  const genS = (performance.now() - t0) / 1000;
  const t1 = performance.now(), c1 = cpuSeconds();
  const { model } = await train(task.X, task.y, { ...STANDARD_PARAMS, nEstimators: trees }, {
    threads,
  });
  const trainS = (performance.now() - t1) / 1000, trainCpuS = cpuSeconds() - c1;
  console.log(JSON.stringify({
    rows,
    trees: model.trees.length,
    threads,
    generateSeconds: genS,
    trainSeconds: trainS,
    trainCpuSeconds: trainCpuS,
    peakRssBytes: peakRss(),
    load: load(),
  }));
}

async function runLarge(rows: number, trees: number, threads: number) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--large-child",
      "--large-rows",
      String(rows),
      "--large-trees",
      String(trees),
      "--threads",
      String(threads),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (!out.success) throw new Error(`Cannot run the large-data training: exit code ${out.code}`);
  return JSON.parse(line) as Record<string, number>;
}

export async function run(
  opts: {
    trees?: number;
    threads?: number[];
    reps?: number;
    xgb?: boolean;
    /** XGBoost's OpenMP threads sleep while waiting (OMP_WAIT_POLICY=PASSIVE). */
    ompPassive?: boolean;
    large?: boolean;
    largeRows?: number;
    largeTrees?: number;
  } = {},
): Promise<Record<string, unknown>> {
  const threadCounts = opts.threads ?? [2, 1];
  const reps = opts.reps ?? 3;
  const task = await loadTask();
  const params = { ...STANDARD_PARAMS, nEstimators: opts.trees ?? STANDARD_PARAMS.nEstimators };
  const xgbSkip = opts.xgb === false || params.nEstimators !== 500 ||
      !task.source.startsWith("PRSA")
    ? "skipped (needs the real task and 500 trees)"
    : await xgboostAvailable();
  console.log(
    `GBDT benchmark: ${task.source}, ${task.train.X.nRows} train / ${task.test.X.nRows} test rows, ` +
      (opts.ompPassive ? "XGBoost with OMP_WAIT_POLICY=PASSIVE, " : "") +
      `${params.nEstimators} trees, ${reps} repetitions; load ${
        load().toFixed(2)
      } (1-min average, ` +
      `${navigator.hardwareConcurrency} cores)`,
  );

  const perThreads: ThreadFigures[] = [];
  let model = null;
  for (const threads of threadCounts) {
    const f: ThreadFigures = {
      threads,
      aqlab: [],
      xgboost: [],
      aqlabRmse: NaN,
      xgboostRmse: null,
      aqlabMedianS: NaN,
      xgboostMedianS: null,
      trainRatio: null,
      rmseRatio: null,
    };
    const ours = async () => {
      const l = load(), t0 = performance.now(), c0 = cpuSeconds();
      const r = await train(task.train.X, task.train.y, params, { threads });
      f.aqlab.push({ trainS: (performance.now() - t0) / 1000, cpuS: cpuSeconds() - c0, load: l });
      f.aqlabRmse = rmse(predict(r.model, task.test.X), task.test.y);
      model = r.model;
    };
    const theirs = async () => {
      if (xgbSkip) return;
      const l = load(), x = await runXgboost(threads, opts.ompPassive);
      f.xgboost.push({ trainS: x.trainS, load: l });
      f.xgboostRmse = x.rmse;
    };
    for (let k = 0; k < reps; k++) {
      // Alternate who goes first, so a load trend does not favour one side.
      if (k % 2 === 0) {
        await ours();
        await theirs();
      } else {
        await theirs();
        await ours();
      }
      const a = f.aqlab.at(-1)!, x = f.xgboost.at(-1);
      console.log(
        `  ${threads} thread(s), rep ${k + 1}: aqlab ${a.trainS.toFixed(2)} s (CPU ${
          a.cpuS!.toFixed(2)
        } s, load ${a.load.toFixed(2)})` +
          (x ? `, xgboost ${x.trainS.toFixed(2)} s (load ${x.load.toFixed(2)})` : ""),
      );
    }
    f.aqlabMedianS = median(f.aqlab.map((r) => r.trainS));
    if (f.xgboost.length) {
      f.xgboostMedianS = median(f.xgboost.map((r) => r.trainS));
      f.trainRatio = f.aqlabMedianS / f.xgboostMedianS;
      f.rmseRatio = f.aqlabRmse / f.xgboostRmse!;
    }
    perThreads.push(f);
  }

  // Prediction figures from the last model (they do not depend on the thread count).
  const X = task.test.X;
  const tp = performance.now();
  predict(model!, X);
  const predictS = (performance.now() - tp) / 1000;
  const lat: number[] = [];
  for (let k = 0; k < 2000; k++) {
    const o = (k * 37 % X.nRows) * X.nCols;
    const t = performance.now();
    predictRow(model!, X.data, o);
    lat.push(performance.now() - t);
  }

  const f = (v: number | null | undefined, d = 2) =>
    v === undefined || v === null || Number.isNaN(v) ? "n/a" : v.toFixed(d);
  const table: Record<string, Record<string, string | number>> = {};
  for (const t of perThreads) {
    table[`${t.threads} thr: train wall s, median`] = {
      aqlab: f(t.aqlabMedianS),
      xgboost: f(t.xgboostMedianS),
    };
    table[`${t.threads} thr: train ratio (aqlab / xgb)`] = { aqlab: f(t.trainRatio), xgboost: "" };
    table[`${t.threads} thr: test RMSE`] = {
      aqlab: f(t.aqlabRmse, 3),
      xgboost: f(t.xgboostRmse, 3),
    };
    table[`${t.threads} thr: RMSE ratio`] = { aqlab: f(t.rmseRatio, 4), xgboost: "" };
  }
  table["batch predict rows/s"] = { aqlab: Math.round(X.nRows / predictS), xgboost: "" };
  table["single-row predict median ms"] = { aqlab: f(median(lat), 4), xgboost: "" };
  console.table(table);
  if (xgbSkip) console.log(`xgboost: ${xgbSkip}`);

  let large: Record<string, number> | null = null;
  if (opts.large) {
    const rows = opts.largeRows ?? LARGE_ROWS, trees = opts.largeTrees ?? 10;
    const threads = threadCounts[0]!;
    console.log(
      `large: ${rows} x ${FEATURE_NAMES.length} synthetic, ${trees} trees, ${threads} threads`,
    );
    large = await runLarge(rows, trees, threads);
    console.log(
      `large: train ${large.trainSeconds!.toFixed(1)} s wall, ${
        large.trainCpuSeconds!.toFixed(1)
      } s CPU (${(large.trainSeconds! / large.trees!).toFixed(2)} s/tree), peak RSS ${
        (large.peakRssBytes! / 2 ** 30).toFixed(2)
      } GiB, load ${large.load!.toFixed(2)}`,
    );
  }
  return {
    data: task.source,
    trainRows: task.train.X.nRows,
    testRows: X.nRows,
    trees: params.nEstimators,
    reps,
    threads: perThreads,
    predictRowsPerSecond: X.nRows / predictS,
    singleRowMedianMs: median(lat),
    xgboost: xgbSkip ??
      `xgboost 1.7 hist via prsa_task.py${opts.ompPassive ? ", OMP_WAIT_POLICY=PASSIVE" : ""}`,
    large,
  };
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const num = (name: string) => arg(name) === undefined ? undefined : Number(arg(name));
  if (Deno.args.includes("--large-child")) {
    await largeChild(num("--large-rows")!, num("--large-trees")!, num("--threads")!);
  } else {
    const r = await run({
      trees: num("--trees"),
      threads: arg("--threads")?.split(",").map(Number),
      reps: num("--reps"),
      xgb: !Deno.args.includes("--no-xgb"),
      ompPassive: Deno.args.includes("--omp-passive"),
      large: Deno.args.includes("--large"),
      largeRows: num("--large-rows"),
      largeTrees: num("--large-trees"),
    });
    console.log(JSON.stringify(r));
  }
}
