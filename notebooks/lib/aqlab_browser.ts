/**
 * The project's shared modules as the report site's browser code uses them: one ONNX
 * session setup, one per-row feature derivation, one interval method, one TreeSHAP. The
 * loader `aqlab.js.ts` bundles this entry (with onnxruntime-web) for the pages, because
 * Framework only transpiles TypeScript that lives under its root.
 */
export { createSession, type OnnxScorer } from "../../src/onnx/session.ts";
export { deriveRow, type RawObservation } from "../../src/features/derive.ts";
export { FEATURE_NAMES, FEATURES, type FeatureSchema, TARGET } from "../../src/features/schema.ts";
export { predictionInterval } from "../../src/metrics/conformal.ts";
export { shapValues, TreeExplainer } from "../../src/explain/mod.ts";
export { modelFromJSON } from "../../src/gbdt/serialize.ts";
export { predictRow } from "../../src/gbdt/predict.ts";
export { regressionMetrics, SKILL_DEFINITION } from "../../src/metrics/regression.ts";
export { InputError, rowFromObservation } from "../../src/serve/validate.ts";
export { predictPersistence } from "../../src/baselines/persistence.ts";
