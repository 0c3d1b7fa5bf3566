/**
 * Explanations for tree ensembles: exact path-dependent TreeSHAP, interaction values,
 * global importance and an additivity check. No Deno or Node API: the pipeline, the
 * endpoint and the browser import this module. Batches on several threads (Web Workers):
 * `explain_rows.ts`, imported directly by the pipeline so that bundles of this module for
 * the browser carry no worker URL.
 *
 * @module
 */
export { MAX_PATH_FEATURES, TreeExplainer } from "./tree_explainer.ts";
export { type ShapInput, type ShapValues, shapValues } from "./shap_values.ts";
export { type ShapInteractionValues, shapInteractionValues } from "./shap_interaction_values.ts";
export { type FeatureImportance, globalImportance } from "./global_importance.ts";
export {
  type AdditivityCheck,
  AdditivityError,
  assertAdditivity,
  checkAdditivity,
} from "./check_additivity.ts";
export { type InteractionSummary, interactionSummary } from "./interaction_summary.ts";
