/**
 * TreeSHAP speed: our exact TreeSHAP (one thread, it is JavaScript) against XGBoost's
 * `pred_contribs` with one thread, in the same run. Train-free: explains the pipeline's
 * GBDT candidate when it exists, else a random 500-tree depth-8 ensemble on 22 features
 * with real covers; when python3-xgboost is importable, it also runs the reference anchor
 * (which trains XGBoost's 500-tree depth-8 model on the PRSA files), saves that model, and
 * explains the very same trees with ours.
 *
 *     deno run -A bench/explain.ts
 */
import process from "node:process";
import type { TreeEnsemble } from "../src/gbdt/tree.ts";
import { importXgboostJson } from "../src/gbdt/xgboost_import.ts";
import { TreeExplainer } from "../src/explain/mod.ts";
import { mulberry32, randomEnsemble, randomRows } from "../tests/explain/random_trees.ts";
import { shapAlg2 } from "../tests/explain/reference_treeshap.ts";

const CANDIDATE = "models/candidates/gbdt/model.json";
const PRSA = new URL("../../shared/data/prsa", import.meta.url).pathname;
const ANCHOR = new URL("../../shared/anchors/prsa_task.py", import.meta.url).pathname;

/** Rows per second of `fn(i)` over `n` rows, by process CPU time (the machine is shared). */
function rate(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 20); i++) fn(i); // warm-up for the JIT
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(i);
  const c = process.cpuUsage(c0);
  return n / ((c.user + c.system) / 1e6);
}

async function loadCandidate(): Promise<TreeEnsemble | undefined> {
  try {
    const text = await Deno.readTextFile(CANDIDATE);
    const { modelFromJSON } = await import("../src/gbdt/serialize.ts");
    return modelFromJSON(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function measure(model: TreeEnsemble, label: string) {
  const F = model.featureNames.length;
  const t0 = performance.now();
  const explainer = new TreeExplainer(model);
  const buildMs = performance.now() - t0;
  const x = randomRows(mulberry32(2), 300, F, 0.05);
  const out = new Float64Array(F), iv = new Float64Array(F * F);
  const shap = rate(300, (i) => explainer.shapRowInto(x, i * F, out, 0));
  const inter = rate(20, (i) => explainer.interactionRowInto(x, i * F, iv, 0));
  const alg2 = rate(5, (i) => shapAlg2(model, x.subarray(i * F, (i + 1) * F)));
  let leaves = 0;
  for (const t of model.trees) for (const f of t.feature) if (f < 0) leaves++;
  return {
    model: label,
    trees: model.trees.length,
    leavesPerTree: Math.round(leaves / model.trees.length),
    buildMs: Math.round(buildMs),
    shapRowsPerS: Math.round(shap),
    interactionRowsPerS: Number(inter.toFixed(1)),
    algorithm2JsRowsPerS: Number(alg2.toFixed(1)),
  };
}

async function xgboostReference(): Promise<{ rowsPerS: number; model: TreeEnsemble } | string> {
  const probe = await new Deno.Command("/usr/bin/python3", { args: ["-c", "import xgboost"] })
    .output().catch(() => undefined);
  if (!probe?.success) return "python3-xgboost not importable";
  const saved = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const r = await new Deno.Command("/usr/bin/python3", {
      args: [ANCHOR, PRSA, "--models", "xgb", "--shap-rows", "300", "--save-model", saved],
    }).output();
    const text = new TextDecoder().decode(r.stdout);
    const m = text.match(/xgboost pred_contribs 1 thread: .* = (\d+(?:\.\d+)?) rows\/s/);
    if (!r.success || !m) return `anchor failed: ${new TextDecoder().decode(r.stderr).slice(-300)}`;
    const model = importXgboostJson(JSON.parse(await Deno.readTextFile(saved)));
    return { rowsPerS: Number(m[1]), model };
  } finally {
    await Deno.remove(saved).catch(() => {});
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const candidate = await loadCandidate();
  const base = candidate ?? randomEnsemble(mulberry32(1), {
    nTrees: 500,
    nFeatures: 22,
    maxDepth: 8,
    nRows: 3000,
  });
  const rows = [measure(base, candidate ? CANDIDATE : "random 500 x depth 8, 22 features")];
  const ref = await xgboostReference();
  let xgbRowsPerS: number | undefined, ratio: number | undefined;
  if (typeof ref !== "string") {
    xgbRowsPerS = ref.rowsPerS;
    const same = measure(ref.model, "XGBoost anchor model (same trees)");
    rows.push(same);
    ratio = same.shapRowsPerS / ref.rowsPerS;
  }
  console.table(rows);
  console.log(
    typeof ref === "string"
      ? `XGBoost reference skipped: ${ref}`
      : `XGBoost pred_contribs, 1 thread: ${xgbRowsPerS} rows/s; ours on the same trees: ${
        rows[1]!.shapRowsPerS
      } rows/s; ratio ${ratio!.toFixed(2)}x`,
  );
  return { rows, xgboostRowsPerS: xgbRowsPerS, ratio };
}

if (import.meta.main) await run();
