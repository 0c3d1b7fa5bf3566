import { defineStage } from "../src/pipeline/stage.ts";
import { int, num } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { loadMatrix } from "../src/data/load_matrix.ts";
import { FEATURE_NAMES, TARGET } from "../src/features/schema.ts";
import { PACKAGE_FILES } from "../src/registry/package.ts";
import { explainCandidate, readExplainedModel } from "../src/explain/explain_candidate.ts";
import { writeColumns } from "../src/data/write_columns.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { candidateDir, EXPLAIN, primaryCandidate, SPLITS } from "../src/pipeline/catalog.ts";

/** The model a trained run explains: TreeSHAP needs the trees, so the GBDT's own JSON. */
export const EXPLAINED_MODEL = `${candidateDir("gbdt")}/${PACKAGE_FILES.json}`;

export default defineStage({
  name: "explain",
  description:
    "exact TreeSHAP of the primary candidate on a test sample: values, global importance beside gain, dependence and interactions, additivity checked per row (permutation importance for a model without trees)",
  after: ["train", "pretrained"],
  params: {
    rows: int(5000, "test rows explained (seeded sample; all when the split has fewer)", {
      min: 1,
    }),
    interaction_rows: int(300, "of those, rows with SHAP interaction values (dependence colour)", {
      min: 1,
    }),
    tolerance: num(1e-6, "fail when base + sum of SHAP and predict() differ more (relative)", {
      min: 0,
    }),
    threads: int(0, "threads (caller + Web Workers); 0 = min(2, cores)", { min: 0, max: 64 }),
    top_features: int(10, "features listed in summary.json", { min: 1 }),
    permutation_repeats: int(
      3,
      "shuffles per feature for permutation importance (a pretrained model without trees)",
      { min: 1 },
    ),
  },
  uses: { "pipeline.seed": "number" },
  inputs: (p) => [SPLITS.test, candidateDir(primaryCandidate(p))],
  outputs: () => Object.values(EXPLAIN),
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params, t0 = performance.now();
    const pkg = candidateDir(primaryCandidate(ctx.globals));
    // The folder is a declared output of train / pretrained: staged, not yet in place, in a run that makes it.
    const model = await readExplainedModel(ctx.path(pkg), pkg);
    const c = await openDuck();
    try {
      const te = await loadMatrix(c, ctx.path(SPLITS.test), FEATURE_NAMES, TARGET);
      const { tables, summary } = await explainCandidate(model, te, {
        rows: p.rows,
        interactionRows: p.interaction_rows,
        tolerance: p.tolerance,
        threads: p.threads,
        topFeatures: p.top_features,
        permutationRepeats: p.permutation_repeats,
        seed: ctx.globals.seed,
        testSplit: SPLITS.test,
        features: FEATURE_NAMES,
      }, ctx.log);
      ctx.rows("test", summary.test_rows);
      ctx.rows("explained", summary.rows_explained);
      ctx.rows("interaction", summary.interaction_rows);
      for (const k of ["shap", "importance", "dependence", "interactions"] as const) {
        await writeColumns(c, ctx.out(EXPLAIN[k]), tables[k]);
      }
      summary.stage_seconds = (performance.now() - t0) / 1000;
      await writeJsonAtomic(ctx.out(EXPLAIN.summary), summary);
      ctx.metric("explain_rows_per_s", summary.rows_per_s);
      if (summary.additivity) {
        ctx.metric("additivity_max_rel_error", summary.additivity.max_rel_error);
      }
    } finally {
      c.closeSync();
    }
  },
});
