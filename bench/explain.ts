/**
 * TreeSHAP speed, by WALL clock on both sides: our exact TreeSHAP (one thread, the batch
 * kernel `shapRowsInto` that the pipeline uses) against
 * XGBoost's `pred_contribs` with one thread, on the very same trees and the very same rows,
 * in one run, interleaved round by round so both see the same machine load (it is shared:
 * the figures are medians, printed with `uptime`'s load before and after).
 *
 * The trees: XGBoost's 500-tree depth-8 standard model, trained by the reference anchor
 * (../shared/anchors/prsa_task.py, which also prints its own pred_contribs figure) and
 * imported into ours. The rows: a seeded sample of the standard task's test rows
 * (`loadStandardTask`, PRSA files). Where python3-xgboost or the data is missing, only our
 * side runs, on the pipeline's GBDT candidate or a random 500-tree depth-8 ensemble.
 *
 *     deno run -A bench/explain.ts [--rows 100] [--rounds 3] [--fresh]
 *
 * `--fresh` retrains the XGBoost model; otherwise a model saved by an earlier run of the
 * same anchor (in the temp folder) is reused: the timed part is pred_contribs, not training.
 */
import type { FeatureMatrix } from "../src/data/matrix.ts";
import type { TreeEnsemble } from "../src/gbdt/tree.ts";
import { importXgboostJson } from "../src/gbdt/xgboost_import.ts";
import { modelFromJSON } from "../src/gbdt/serialize.ts";
import { FEATURE_NAMES } from "../src/features/schema.ts";
import { loadStandardTask } from "../src/features/standard_task.ts";
import { sampleRowIndices } from "../src/tuning/row_sample.ts";
import { TreeExplainer } from "../src/explain/mod.ts";
import { explainRows } from "../src/explain/explain_rows.ts";
import { mulberry32, randomEnsemble, randomRows } from "../tests/explain/random_trees.ts";
import { shapAlg2 } from "../tests/explain/reference_treeshap.ts";

const CANDIDATE = "models/candidates/gbdt/model.json";
const STAGE_SUMMARY = "reports/explain/summary.json";
const PRSA = new URL("../../shared/data/prsa", import.meta.url).pathname;
const ANCHOR = new URL("../../shared/anchors/prsa_task.py", import.meta.url).pathname;
const PYTHON = "/usr/bin/python3";

/** Times pred_contribs (1 thread, wall) on rows from a float32 file; prints JSON. */
const XGB_TIMER = `
import json, sys, time
import numpy as np, xgboost as xgb
model, rows, nfeat, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
X = np.fromfile(rows, dtype=np.float32).reshape(-1, nfeat)
bst = xgb.Booster()
bst.load_model(model)
bst.set_param({"nthread": 1})
d = xgb.DMatrix(X, missing=np.nan, feature_names=bst.feature_names)
bst.predict(d.slice(list(range(min(5, len(X))))), pred_contribs=True)  # warm-up
t = time.perf_counter()
c = bst.predict(d, pred_contribs=True)
s = time.perf_counter() - t
c.astype(np.float64).tofile(out)
print(json.dumps({"seconds": s, "rows": len(X), "version": xgb.__version__}))
`;

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function uptime(): Promise<string> {
  try {
    const t = await Deno.readTextFile("/proc/loadavg");
    return `load ${t.split(" ").slice(0, 3).join(" ")} on ${navigator.hardwareConcurrency} cores`;
  } catch {
    return "load unknown";
  }
}

/** Rows per second of one single-threaded pass over `n` rows, by wall clock. */
function wallRate(n: number, fn: (i: number) => void): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return n / ((performance.now() - t) / 1000);
}

async function python(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "piped" }).output()
    .catch(() => undefined);
  if (!r) return { ok: false, out: "", err: `${PYTHON} not found` };
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** XGBoost's standard model (trained by the anchor, or reused) and the anchor's own figure. */
async function xgboostModel(fresh: boolean): Promise<
  { path: string; anchorRowsPerS: number | null; trained: boolean } | string
> {
  const probe = await python(["-c", "import xgboost"]);
  if (!probe.ok) return "python3-xgboost not importable";
  const st = await Deno.stat(ANCHOR).catch(() => null);
  if (!st) return `no anchor at ${ANCHOR}`;
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const path = `${tmp}/aqlab_bench_explain_xgb_${st.size}_${st.mtime?.getTime() ?? 0}.json`;
  if (!fresh && await Deno.stat(path).then(() => true, () => false)) {
    return { path, anchorRowsPerS: null, trained: false };
  }
  const r = await python([
    ANCHOR,
    PRSA,
    "--models",
    "xgb",
    "--shap-rows",
    "100",
    "--save-model",
    path,
  ]);
  const m = r.out.match(/xgboost pred_contribs 1 thread: .* = (\d+(?:\.\d+)?) rows\/s/);
  if (!r.ok || !m) return `anchor failed: ${r.err.slice(-300)}`;
  return { path, anchorRowsPerS: Number(m[1]), trained: true };
}

/** A seeded sample of the standard task's test rows, columns in the model's order. */
async function standardRows(model: TreeEnsemble, n: number): Promise<FeatureMatrix> {
  const { test } = await loadStandardTask(PRSA);
  const idx = sampleRowIndices(test.X.nRows, n, 7);
  const cols = model.featureNames.map((f) => {
    const j = FEATURE_NAMES.indexOf(f);
    if (j < 0) throw new RangeError(`Cannot bench: model feature "${f}" is not a standard feature`);
    return j;
  });
  const F = cols.length, data = new Float32Array(idx.length * F);
  idx.forEach((i, r) =>
    cols.forEach((j, k) => data[r * F + k] = test.X.data[i * test.X.nCols + j]!)
  );
  return { data, nRows: idx.length, nCols: F, names: [...model.featureNames] };
}

/** Our figures besides the head-to-head: build time, 2 threads, interactions, Algorithm 2. */
async function ours(model: TreeEnsemble, x: FeatureMatrix, label: string) {
  const F = model.featureNames.length;
  const t0 = performance.now();
  const explainer = new TreeExplainer(model);
  const buildMs = performance.now() - t0;
  const out = new Float64Array(F), iv = new Float64Array(F * F);
  const n = Math.min(x.nRows, 100);
  wallRate(Math.min(n, 10), (i) => explainer.shapRowInto(x.data, i * F, out, 0)); // JIT warm-up
  const batch = new Float64Array(n * F), t2 = performance.now();
  explainer.shapRowsInto(x.data, 0, n, batch, 0);
  const one = n / ((performance.now() - t2) / 1000);
  const big: FeatureMatrix = { ...x, data: new Float32Array(2000 * F), nRows: 2000 };
  for (let i = 0; i < 2000; i++) {
    big.data.set(x.data.subarray((i % x.nRows) * F, (i % x.nRows) * F + F), i * F);
  }
  const t1 = performance.now();
  const two = await explainRows(model, big, { threads: 2, explainer });
  const twoRate = big.nRows / ((performance.now() - t1) / 1000);
  const inter = wallRate(
    Math.min(n, 20),
    (i) => explainer.interactionRowInto(x.data, i * F, iv, 0),
  );
  const alg2 = wallRate(3, (i) => shapAlg2(model, x.data.subarray(i * F, (i + 1) * F)));
  let leaves = 0;
  for (const t of model.trees) for (const f of t.feature) if (f < 0) leaves++;
  return {
    model: label,
    trees: model.trees.length,
    leavesPerTree: Math.round(leaves / model.trees.length),
    buildMs: Math.round(buildMs),
    shapRowsPerS1Thread: Math.round(one),
    shapRowsPerS2Threads: Math.round(twoRate),
    threadsUsed: two.threads,
    interactionRowsPerS: Number(inter.toFixed(1)),
    algorithm2JsRowsPerS: Number(alg2.toFixed(1)),
  };
}

async function loadCandidate(): Promise<TreeEnsemble | undefined> {
  try {
    return modelFromJSON(await Deno.readTextFile(CANDIDATE));
  } catch {
    return undefined;
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const nRows = arg("rows", 100), rounds = arg("rounds", 3);
  const loadBefore = await uptime();
  const result: Record<string, unknown> = { loadBefore };

  // Ours alone on the pipeline's candidate (or a random ensemble of the standard size).
  const candidate = await loadCandidate();
  const base = candidate ?? randomEnsemble(mulberry32(1), {
    nTrees: 500,
    nFeatures: 22,
    maxDepth: 8,
    nRows: 3000,
  });
  const baseRows: FeatureMatrix = candidate
    ? await standardRows(candidate, nRows).catch(() => randomMatrix(base, nRows))
    : randomMatrix(base, nRows);
  const table = [await ours(base, baseRows, candidate ? CANDIDATE : "random 500 x depth 8")];

  // Head to head on XGBoost's own trees and the same rows, interleaved rounds, wall clock.
  const xm = await xgboostModel(Deno.args.includes("--fresh"));
  if (typeof xm === "string") {
    result.xgboost = `skipped: ${xm}`;
  } else {
    const model = importXgboostJson(JSON.parse(await Deno.readTextFile(xm.path)));
    const x = await standardRows(model, nRows);
    const F = x.nCols;
    const tmp = await Deno.makeTempDir({ prefix: "aqlab-bench-explain-" });
    try {
      await Deno.writeFile(`${tmp}/rows.f32`, new Uint8Array(x.data.buffer));
      await Deno.writeTextFile(`${tmp}/timer.py`, XGB_TIMER);
      const explainer = new TreeExplainer(model);
      const mine = new Float64Array(x.nRows * F);
      wallRate(10, (i) => explainer.shapRowInto(x.data, i * F, new Float64Array(F), 0));
      const xgbRates: number[] = [], ourRates: number[] = [];
      let version = "";
      for (let r = 0; r < rounds; r++) {
        const p = await python([
          `${tmp}/timer.py`,
          xm.path,
          `${tmp}/rows.f32`,
          String(F),
          `${tmp}/c.f64`,
        ]);
        if (!p.ok) throw new Error(`Cannot time pred_contribs: ${p.err.slice(-300)}`);
        const t = JSON.parse(p.out.trim().split("\n").pop()!) as {
          seconds: number;
          version: string;
        };
        xgbRates.push(x.nRows / t.seconds);
        version = t.version;
        mine.fill(0);
        const t0 = performance.now();
        explainer.shapRowsInto(x.data, 0, x.nRows, mine, 0);
        ourRates.push(x.nRows / ((performance.now() - t0) / 1000));
      }
      // Agreement on these rows (XGBoost's last column is its bias, our base value).
      const c = new Float64Array((await Deno.readFile(`${tmp}/c.f64`)).buffer);
      let maxDiff = 0;
      for (let i = 0; i < x.nRows; i++) {
        for (let j = 0; j < F; j++) {
          const want = c[i * (F + 1) + j]!;
          maxDiff = Math.max(
            maxDiff,
            Math.abs(mine[i * F + j]! - want) / Math.max(1, Math.abs(want)),
          );
        }
      }
      table.push(await ours(model, x, "XGBoost standard model (same trees)"));
      const xgb = median(xgbRates), our = median(ourRates);
      result.headToHead = {
        rows: x.nRows,
        rounds,
        xgboostVersion: version,
        xgboostRowsPerS: xgbRates.map((v) => Number(v.toFixed(1))),
        oursRowsPerS: ourRates.map((v) => Number(v.toFixed(1))),
        xgboostMedian: Number(xgb.toFixed(1)),
        oursMedian: Number(our.toFixed(1)),
        ratio: Number((our / xgb).toFixed(2)),
        maxRelDiffVsXgboost: maxDiff,
        anchorOwnRowsPerS: xm.anchorRowsPerS,
        modelTrainedThisRun: xm.trained,
      };
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  }
  result.loadAfter = await uptime();
  result.table = table;
  try {
    const s = JSON.parse(await Deno.readTextFile(STAGE_SUMMARY));
    result.stage = {
      rows: s.rows_explained,
      threads: s.threads,
      shapSeconds: s.seconds,
      rowsPerS: s.rows_per_s,
      stageSeconds: s.stage_seconds,
      trees: s.trees,
    };
  } catch {
    result.stage = `no ${STAGE_SUMMARY} (run the pipeline's explain stage)`;
  }

  console.table(table);
  const h = result.headToHead as Record<string, unknown> | undefined;
  console.log(
    h
      ? `pred_contribs, 1 thread, wall, ${h.rows} rows x ${h.rounds} rounds (XGBoost ${h.xgboostVersion}): ` +
        `XGBoost ${h.xgboostMedian} rows/s ${
          JSON.stringify(h.xgboostRowsPerS)
        }, ours ${h.oursMedian} rows/s ` +
        `${JSON.stringify(h.oursRowsPerS)}: ratio ${h.ratio}x (medians); max relative difference ${
          (h.maxRelDiffVsXgboost as number).toExponential(1)
        }${h.anchorOwnRowsPerS ? `; the anchor's own run: ${h.anchorOwnRowsPerS} rows/s` : ""}`
      : `XGBoost reference ${result.xgboost}`,
  );
  console.log(`explain stage: ${JSON.stringify(result.stage)}`);
  console.log(`machine: before ${loadBefore}; after ${result.loadAfter}`);
  return result;
}

function randomMatrix(model: TreeEnsemble, n: number): FeatureMatrix {
  const F = model.featureNames.length;
  return {
    data: randomRows(mulberry32(2), n, F, 0.05),
    nRows: n,
    nCols: F,
    names: [...model.featureNames],
  };
}

if (import.meta.main) await run();
