import { defineStage } from "../src/pipeline/stage.ts";
import { int, num } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { FEATURE_NAMES, TARGET } from "../src/features/schema.ts";
import { modelFromJSON } from "../src/gbdt/serialize.ts";
import { predict } from "../src/gbdt/predict.ts";
import { createSession } from "../src/onnx/session.ts";
import { evaluateCandidates, type ScoredCandidate } from "../src/metrics/evaluate_candidates.ts";
import { onnxParity } from "../src/metrics/onnx_parity.ts";
import { readPackage } from "../src/registry/read_package.ts";
import { loadSplit } from "../src/tuning/load_split.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import {
  candidateDir,
  candidatesOf,
  EVALUATION,
  FEATURES_PATH,
  SPLITS,
} from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "evaluate",
  description:
    "test-period metrics of every candidate, overall and by station / hour / month / season / PM2.5 band; residuals, worst rows, interval coverage by station and band",
  after: ["train", "pretrained"],
  params: {
    worst_rows: int(50, "largest GBDT errors kept with their inputs and PM2.5 context", { min: 1 }),
    context_hours: int(6, "hours of PM2.5 before and after each worst row", { min: 0, max: 48 }),
    histogram_bins: int(60, "bins of the residual histogram", { min: 5, max: 1000 }),
    parity_tolerance: num(1e-3, "fail when ONNX and predict() differ more (relative)", { min: 0 }),
  },
  inputs: (p) => [SPLITS.test, FEATURES_PATH, ...candidatesOf(p).map(candidateDir)],
  outputs: () => Object.values(EVALUATION),
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const c = await openDuck();
    try {
      const te = await loadSplit(c, ctx.path(SPLITS.test), {
        features: FEATURE_NAMES,
        target: TARGET,
        label: "test",
      });
      ctx.rows("test", te.X.nRows);
      // Score every candidate with onnxruntime: the figures are those of the deployed files.
      // The trained candidates or the pretrained one; the primary one (first) is the model,
      // checked against our own predict().
      const candidates: ScoredCandidate[] = [];
      let parity = { max_abs_diff: 0, max_rel_diff: 0, tolerance: p.parity_tolerance };
      for (const name of candidatesOf(ctx.globals)) {
        const pkg = await readPackage(ctx.path(candidateDir(name)));
        const s = await createSession(pkg.onnx);
        const pred = Float64Array.from(await s.run(te.X));
        await s.release();
        candidates.push({ name, pred, interval: pkg.metadata.interval });
        if (candidates.length === 1 && pkg.model !== null) {
          parity = {
            ...onnxParity(pred, predict(modelFromJSON(pkg.model), te.X)),
            tolerance: p.parity_tolerance,
          };
          if (!(parity.max_rel_diff <= p.parity_tolerance)) {
            throw new Error(
              `Cannot trust ${
                candidateDir(name)
              }/model.onnx: onnxruntime and predict() differ by ${parity.max_rel_diff} (relative), expected <= ${p.parity_tolerance}`,
            );
          }
        }
      }
      const summary = await evaluateCandidates(c, {
        test: te,
        testSplit: SPLITS.test,
        candidates,
        parity,
        featuresPath: ctx.path(FEATURES_PATH),
        worstRows: p.worst_rows,
        contextHours: p.context_hours,
        histogramBins: p.histogram_bins,
        out: Object.fromEntries(
          Object.entries(EVALUATION).map(([k, v]) => [k, ctx.out(v)]),
        ) as typeof EVALUATION,
      });
      await writeJsonAtomic(ctx.out(EVALUATION.summary), summary);
      ctx.record("evaluation", summary);
      ctx.metric("onnx_max_rel_diff", parity.max_rel_diff);
      for (const [name, s] of Object.entries(summary.candidates)) {
        ctx.metric(`test_rmse_${name}`, s.test.rmse);
        if (s.interval) ctx.metric(`${name}_coverage`, s.interval.coverage);
        const bands = Object.entries(s.interval?.by_true_band ?? {})
          .map(([b, v]) => `${b} ${(100 * v.coverage).toFixed(1)}%`).join(", ");
        ctx.log(
          `${name}: test RMSE ${s.test.rmse.toFixed(3)}, MAE ${s.test.mae.toFixed(3)}, R² ${
            s.test.r2.toFixed(3)
          }, skill ${s.test.skill?.toFixed(3)}${
            s.interval
              ? `, coverage ${(100 * s.interval.coverage).toFixed(1)}% (by true band: ${bands})`
              : ""
          }`,
        );
      }
      ctx.log(
        `best on test: ${summary.best}; ONNX vs predict() max relative difference ${
          parity.max_rel_diff.toExponential(2)
        }`,
      );
    } finally {
      c.closeSync();
    }
  },
});
