/**
 * The study's headline, re-runnable: the default pipeline (every parameter at its default)
 * on the real PRSA files and on the synthetic default, each in a scratch workspace (never
 * the user's), side by side with the reference script `../shared/anchors/prsa_task.py`
 * (persistence, XGBoost, scikit-learn HistGradientBoosting) run in the same bench on the
 * same raw files: test RMSE and MAE, the cross-validation table of the chosen model, the
 * interval coverage by PM2.5 band and the pipeline's wall time, with the machine's load.
 *
 * Run: deno run -A --unstable-kv bench/quality.ts [--only prsa|synth] [--unseen STATION,...]
 * `--unseen` adds a PRSA run with those stations held out of training (split.holdout_stations)
 * and reports their test RMSE beside the seen stations'.
 */
import { join, resolve } from "node:path";
import { main } from "../pipeline/main.ts";
import type { EvaluationSummary } from "../src/metrics/evaluation_summary.ts";
import type { TuneBest } from "../src/tuning/best.ts";
import type { SplitReport } from "../src/features/split.ts";
import { all, lit, openDuck } from "../src/data/duck.ts";
import { BEST_PATH, EVALUATION, SPLIT_REPORT, SYNTH_DIR } from "../src/pipeline/catalog.ts";

const REPO = new URL("../", import.meta.url);
const PRSA = resolve(Deno.env.get("AQLAB_PRSA_DIR") ?? "../shared/data/prsa");
const ANCHOR = resolve("../shared/anchors/prsa_task.py");
const PYTHON = "/usr/bin/python3";
/** split.test_start's default: the test period the held-out stations are scored on. */
const TEST_START = "2016-03-01";

interface ReferenceRow {
  model: string;
  rmse: number;
  mae: number;
  trainS: number;
}

interface DatasetResult {
  data: string;
  pipelineSeconds: number;
  /** CPU seconds of this process during the run (user + system), NaN where /proc is missing. */
  pipelineCpuSeconds: number;
  load: { before: number[]; after: number[] };
  ours: { gbdt: Metrics; persistence: Metrics; rows: number };
  reference: ReferenceRow[] | string;
  cv: {
    target: string;
    trees: number;
    mean: number;
    sd: number;
    defaultCv: number | null;
    trials: number;
    treeRounds: number;
    folds: {
      fold: number;
      from: string;
      to: string;
      fitRows: number;
      validRows: number;
      rmse: number;
      trees: number;
    }[];
  };
  coverage: {
    nominal: number;
    all: number;
    byTrueBand: Record<string, number>;
    byPredictedBand: Record<string, number>;
    stations: { min: number; max: number };
  };
  unseen?: Record<string, number>;
}

type Metrics = { rmse: number; mae: number };

/** A scratch workspace: the files a run reads from the repository (parameters, governance). */
async function scratch(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "aqlab-quality-" });
  await Deno.copyFile(new URL("params.yaml", REPO), join(root, "params.yaml"));
  await Deno.mkdir(join(root, "governance"));
  for await (const e of Deno.readDir(new URL("governance/", REPO))) {
    if (e.isFile) {
      await Deno.copyFile(new URL(`governance/${e.name}`, REPO), join(root, "governance", e.name));
    }
  }
  return root;
}

async function reference(dataDir: string): Promise<ReferenceRow[] | string> {
  const probe = await new Deno.Command(PYTHON, {
    args: ["-c", "import xgboost, sklearn, pandas"],
    stderr: "null",
  })
    .output().catch(() => null);
  if (!probe?.success) return "python3-xgboost / sklearn / pandas not importable";
  try {
    await Deno.stat(ANCHOR);
  } catch {
    return `${ANCHOR} not found`;
  }
  const out = await new Deno.Command(PYTHON, {
    args: [ANCHOR, dataDir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    return `prsa_task.py failed: ${new TextDecoder().decode(out.stderr).slice(-300)}`;
  }
  const rows: ReferenceRow[] = [];
  for (const m of text.matchAll(/^(.+?): RMSE=([\d.]+) MAE=([\d.]+) .*train_s=([\d.]+)/gm)) {
    rows.push({ model: m[1]!, rmse: Number(m[2]), mae: Number(m[3]), trainS: Number(m[4]) });
  }
  const head = text.match(/^data: .*$/m)?.[0];
  if (head) console.log(`reference ${head}`);
  return rows;
}

async function json<T>(root: string, p: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(join(root, p))) as T;
}

/** Runs the default pipeline in `root` and gathers its figures. */
async function study(
  name: string,
  root: string,
  args: string[],
): Promise<Omit<DatasetResult, "reference">> {
  const before = Deno.loadavg();
  const t0 = performance.now(), cpu0 = cpuSeconds();
  const code = await main(args, root);
  const pipelineSeconds = (performance.now() - t0) / 1000;
  const pipelineCpuSeconds = cpuSeconds() - cpu0;
  if (code !== 0) throw new Error(`Cannot benchmark ${name}: the pipeline exited with ${code}`);
  const summary = await json<EvaluationSummary>(root, EVALUATION.summary);
  const best = await json<TuneBest>(root, BEST_PATH);
  const split = await json<SplitReport>(root, SPLIT_REPORT);
  const g = summary.candidates["gbdt"]!, p = summary.candidates["persistence"]!;
  const c = await openDuck();
  let stations: number[];
  try {
    stations = (await all<{ coverage: number }>(
      c,
      `SELECT coverage FROM read_parquet(${
        lit(join(root, EVALUATION.intervals))
      }) WHERE candidate = 'gbdt' AND "by" = 'station'`,
    )).map((r) => r.coverage);
  } finally {
    c.closeSync();
  }
  const cov = (r: Record<string, { coverage: number }> | undefined) =>
    Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, v.coverage]));
  return {
    data: name,
    pipelineSeconds,
    pipelineCpuSeconds,
    load: { before, after: Deno.loadavg() },
    ours: {
      gbdt: { rmse: g.test.rmse, mae: g.test.mae },
      persistence: { rmse: p.test.rmse, mae: p.test.mae },
      rows: summary.rows,
    },
    cv: {
      target: best.target,
      trees: best.trees,
      mean: best.cv.mean,
      sd: best.cv.sd,
      defaultCv: best.default?.cv_rmse ?? null,
      trials: best.trials,
      treeRounds: best.tree_rounds,
      folds: best.cv.folds.map((f) => ({
        fold: f.fold,
        from: split.folds[f.fold]!.valid_from,
        to: split.folds[f.fold]!.valid_to,
        fitRows: f.fitRows,
        validRows: f.validRows,
        rmse: f.rmse,
        trees: f.trees,
      })),
    },
    coverage: {
      nominal: g.interval?.nominal ?? NaN,
      all: g.interval?.coverage ?? NaN,
      byTrueBand: cov(g.interval?.by_true_band),
      byPredictedBand: cov(g.interval?.by_predicted_band),
      stations: { min: Math.min(...stations), max: Math.max(...stations) },
    },
  };
}

/**
 * CPU time of this process and its threads (user + system), from /proc/self/stat: on a
 * shared machine the wall time measures the neighbours as much as the work.
 */
function cpuSeconds(): number {
  try {
    const f = Deno.readTextFileSync("/proc/self/stat");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 (utime, stime) in clock ticks; rest[0] is field 3.
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The synthetic default's station files (the reference script reads every *.csv). */
async function synthStationFiles(root: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-quality-synth-csv-" });
  for await (const e of Deno.readDir(join(root, SYNTH_DIR))) {
    if (e.isFile && e.name.endsWith(".csv") && e.name !== "stations.csv") {
      await Deno.copyFile(join(root, SYNTH_DIR, e.name), join(dir, e.name));
    }
  }
  return dir;
}

/** Test-period RMSE of the GBDT per station, from a run's predictions table. */
async function stationRmse(root: string, testStart: string): Promise<Record<string, number>> {
  const c = await openDuck();
  try {
    const rows = await all<{ station: string; rmse: number }>(
      c,
      `SELECT station, sqrt(avg(residual * residual)) AS rmse FROM read_parquet(${
        lit(join(root, EVALUATION.predictions))
      }) WHERE candidate = 'gbdt' AND time >= TIMESTAMP ${lit(testStart)} GROUP BY station`,
    );
    return Object.fromEntries(rows.map((r) => [r.station, r.rmse]));
  } finally {
    c.closeSync();
  }
}

/** The same stations' test RMSE when trained on (`seen`) and when held out of training. */
async function unseenStations(
  stations: string[],
  seen: Record<string, number>,
): Promise<Record<string, number>> {
  const root = await scratch();
  try {
    const set = ["--set", `split.holdout_stations=${stations.join(",")}`];
    const code = await main(["--source", "prsa", "--data", PRSA, ...set], root);
    if (code !== 0) {
      throw new Error(`Cannot benchmark unseen stations: the pipeline exited with ${code}`);
    }
    const unseen = await stationRmse(root, TEST_START);
    const out: Record<string, number> = {};
    for (const st of stations) {
      out[`${st} seen`] = seen[st]!;
      out[`${st} never trained on`] = unseen[st]!;
      out[`${st} ratio`] = unseen[st]! / seen[st]!;
    }
    return out;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function table(r: DatasetResult): void {
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : "-");
  console.log(
    `\n### ${r.data}: test rows ${r.ours.rows}; pipeline ${f(r.pipelineSeconds, 0)} s wall, ${
      f(r.pipelineCpuSeconds, 0)
    } s CPU; load ${r.load.before.map((v) => v.toFixed(1)).join(" ")} -> ${
      r.load.after.map((v) => v.toFixed(1)).join(" ")
    }`,
  );
  console.log("| model | test RMSE | MAE | train s |\n| --- | --- | --- | --- |");
  console.log(
    `| aqlab default (GBDT, ${r.cv.target} target, ${r.cv.trees} trees) | ${
      f(r.ours.gbdt.rmse)
    } | ${f(r.ours.gbdt.mae)} | pipeline ${f(r.pipelineSeconds, 0)} |`,
  );
  console.log(
    `| aqlab persistence | ${f(r.ours.persistence.rmse)} | ${f(r.ours.persistence.mae)} | |`,
  );
  if (typeof r.reference === "string") console.log(`| reference | ${r.reference} | | |`);
  else {for (const x of r.reference) {
      console.log(`| ${x.model} | ${f(x.rmse)} | ${f(x.mae)} | ${f(x.trainS, 1)} |`);
    }}
  if (typeof r.reference !== "string") {
    for (const x of r.reference.filter((x) => !x.model.startsWith("persistence"))) {
      console.log(`ratio aqlab / ${x.model}: RMSE ${f(r.ours.gbdt.rmse / x.rmse, 4)}`);
    }
  }
  console.log(
    `\nCV (${r.cv.trials} trials, ${f(r.cv.treeRounds, 0)} tree-rounds): chosen ${f(r.cv.mean)} ± ${
      f(r.cv.sd)
    }; untuned default ${f(r.cv.defaultCv ?? NaN)}`,
  );
  console.log(
    "| fold | validation block | fit rows | valid rows | RMSE | trees |\n| --- | --- | --- | --- | --- | --- |",
  );
  for (const x of r.cv.folds) {
    console.log(
      `| ${x.fold} | ${x.from} to ${x.to} | ${x.fitRows} | ${x.validRows} | ${
        f(x.rmse)
      } | ${x.trees} |`,
    );
  }
  const bands = Object.keys(r.coverage.byTrueBand);
  console.log(
    `\ncoverage (nominal ${f(100 * r.coverage.nominal, 0)}%): all ${
      f(100 * r.coverage.all, 1)
    }%, stations ${f(100 * r.coverage.stations.min, 1)}-${f(100 * r.coverage.stations.max, 1)}%`,
  );
  console.log(
    `| PM2.5 band | ${bands.join(" | ")} |\n| --- |${bands.map(() => " --- |").join("")}`,
  );
  console.log(
    `| of the truth | ${bands.map((b) => f(100 * r.coverage.byTrueBand[b]!, 1)).join(" | ")} |`,
  );
  console.log(
    `| of the prediction | ${
      bands.map((b) => f(100 * (r.coverage.byPredictedBand[b] ?? NaN), 1)).join(" | ")
    } |`,
  );
  if (r.unseen) {
    console.log("\nunseen stations (split.holdout_stations), test RMSE from 2016-03-01:");
    for (const [k, v] of Object.entries(r.unseen)) console.log(`  ${k}: ${f(v)}`);
  }
}

export async function run(
  opts: { only?: string; unseen?: string[] } = {},
): Promise<Record<string, unknown>> {
  const results: DatasetResult[] = [];
  const hasPrsa = await Deno.stat(PRSA).then(() => true, () => false);
  if (opts.only !== "synth") {
    if (!hasPrsa) {
      console.log(`PRSA data not found at ${PRSA} (set AQLAB_PRSA_DIR): real-data figures skipped`);
    } else {
      const root = await scratch();
      try {
        const ours = await study("PRSA (9 stations)", root, ["--source", "prsa", "--data", PRSA]);
        const r: DatasetResult = { ...ours, reference: await reference(PRSA) };
        if (opts.unseen?.length) {
          r.unseen = await unseenStations(opts.unseen, await stationRmse(root, TEST_START));
        }
        results.push(r);
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    }
  }
  if (opts.only !== "prsa") {
    const root = await scratch();
    let csv: string | null = null;
    try {
      const ours = await study("synthetic default (12 stations x 4 years)", root, []);
      csv = await synthStationFiles(root);
      results.push({ ...ours, reference: await reference(csv) });
    } finally {
      await Deno.remove(root, { recursive: true });
      if (csv) await Deno.remove(csv, { recursive: true });
    }
  }
  for (const r of results) table(r);
  return { results };
}

if (import.meta.main) {
  const at = (
    flag: string,
  ) => (Deno.args.includes(flag) ? Deno.args[Deno.args.indexOf(flag) + 1] : undefined);
  const unseen = at("--unseen")?.split(",").filter(Boolean);
  const r = await run({
    ...(at("--only") ? { only: at("--only")! } : {}),
    ...(unseen ? { unseen } : {}),
  });
  if (Deno.args.includes("--json")) console.log(JSON.stringify(r));
}
