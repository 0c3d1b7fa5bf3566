/**
 * The artifact catalog: every artifact the study writes, by name, with its path relative to
 * the project root. Stages, the site's data loaders, the endpoint and the CLIs all ask this
 * module "where is X"; no stage imports another stage to learn a path.
 *
 * Paths are plain strings so the browser-free consumers (loaders, the endpoint on Deno
 * Deploy) can import this module without pulling in any pipeline code.
 */

/** Raw inputs. */
export const SYNTH_DIR = "data/raw/synth";
/** Default folder of user data when `--data` is not given. */
export const USER_RAW_DIR = "data/raw";

/** The raw data folder of a configuration: `--data`, else the synthetic or user default. */
export function rawDataDir(g: { source: string; data_dir: string }): string {
  if (g.data_dir) return g.data_dir;
  return g.source === "synth" ? SYNTH_DIR : USER_RAW_DIR;
}

/** ingest */
export const RAW = "data/interim/raw.parquet";
export const REJECTS = "data/interim/rejects.parquet";
export const INGEST_REPORT = "reports/data/ingest.json";

/** clean */
export const CLEAN = "data/processed/clean.parquet";
export const DUPLICATES = "data/interim/duplicates.parquet";
export const QUALITY_REPORT = "reports/data/quality.json";

/** features */
export const FEATURES_PATH = "data/processed/features.parquet";
export const SCHEMA_PATH = "data/processed/features.schema.json";

/** split */
export const SPLITS = {
  train: "data/processed/train.parquet",
  valid: "data/processed/valid.parquet",
  test: "data/processed/test.parquet",
} as const;
export const SPLIT_REPORT = "reports/data/split.json";

/** tune */
export const TRIALS_PATH = "reports/tuning/trials.parquet";
export const BEST_PATH = "reports/tuning/best.json";
/** One row per trial and fold: the cross-validation table (the Runs page reads it). */
export const FOLDS_PATH = "reports/tuning/folds.parquet";
/** Out-of-fold predictions of the chosen configuration: the conformal calibration set. */
export const OOF_PATH = "reports/tuning/oof.parquet";

/** train: one model package folder per candidate. */
export const CANDIDATES_DIR = "models/candidates";
export const CANDIDATES = ["gbdt", "ridge", "persistence"] as const;
export type CandidateName = (typeof CANDIDATES)[number];
export const candidateDir = (name: string): string => `${CANDIDATES_DIR}/${name}`;
export const CURVE_PATH = "reports/training/curve.parquet";
export const IMPORTANCE_PATH = "reports/training/importance.parquet";

/** The pretrained model (`--model FILE`) packaged as a candidate by the `pretrained` stage. */
export const PRETRAINED = "pretrained";
export const PRETRAINED_DIR = candidateDir(PRETRAINED);

/** Whether a configuration brings a pretrained model (`--model FILE`) instead of training. */
export const isPretrained = (g: { model_path: string }): boolean => g.model_path !== "";

/**
 * The candidate packages a configuration evaluates, the primary one first: the trained
 * candidates, or the pretrained model alone. The stages after train / pretrained read this,
 * so both modes run the same evaluate, explain, register, drift and cards.
 */
export function candidatesOf(g: { model_path: string }): readonly string[] {
  return isPretrained(g) ? [PRETRAINED] : CANDIDATES;
}

/** The candidate explained, monitored and whose worst rows are kept: the GBDT, or the pretrained model. */
export const primaryCandidate = (g: { model_path: string }): string => candidatesOf(g)[0]!;

/** The candidate registered and described by the cards: `register.candidate`, or the pretrained model. */
export function registeredCandidate(g: { model_path: string }, configured: string): string {
  return isPretrained(g) ? PRETRAINED : configured;
}

/** evaluate */
const EVALUATION_DIR = "reports/evaluation";
export const EVALUATION = {
  summary: `${EVALUATION_DIR}/summary.json`,
  predictions: `${EVALUATION_DIR}/predictions.parquet`,
  worst: `${EVALUATION_DIR}/worst.parquet`,
  byStation: `${EVALUATION_DIR}/by_station.parquet`,
  byHour: `${EVALUATION_DIR}/by_hour.parquet`,
  byMonth: `${EVALUATION_DIR}/by_month.parquet`,
  bySeason: `${EVALUATION_DIR}/by_season.parquet`,
  byBand: `${EVALUATION_DIR}/by_band.parquet`,
  residualHist: `${EVALUATION_DIR}/residual_hist.parquet`,
  intervals: `${EVALUATION_DIR}/intervals.parquet`,
} as const;

/** explain */
const EXPLAIN_DIR = "reports/explain";
export const EXPLAIN = {
  shap: `${EXPLAIN_DIR}/shap.parquet`,
  importance: `${EXPLAIN_DIR}/importance.parquet`,
  dependence: `${EXPLAIN_DIR}/dependence.parquet`,
  interactions: `${EXPLAIN_DIR}/interactions.parquet`,
  summary: `${EXPLAIN_DIR}/summary.json`,
} as const;

/** The registered model's name when `register.model_name` is not set. */
export const DEFAULT_MODEL_NAME = "pm25";

/** register: what this run registered; the registry itself is below. */
export const REGISTER_LAST = "reports/registry/last.json";
export const REGISTRY_DIR = "models/registry";
export const REGISTRY_INDEX = "models/registry.json";
export const REGISTRY_LOCK = "models/registry.lock";

/**
 * drift: `drift_<UTC timestamp>.json` per run (earlier ones kept), `latest.json`,
 * `timeline.parquet` (monthly drift of the current rows), `distributions.parquet`.
 */
export const DRIFT_DIR = "reports/drift";
export const DRIFT_LATEST = `${DRIFT_DIR}/latest.json`;
export const DRIFT_TIMELINE = `${DRIFT_DIR}/timeline.parquet`;
export const DRIFT_DISTRIBUTIONS = `${DRIFT_DIR}/distributions.parquet`;

/** score: predictions for a batch of raw files (pretrained mode: `score.production_dir`). */
const PRODUCTION_DIR = "reports/production";
export const PRODUCTION = {
  predictions: `${PRODUCTION_DIR}/predictions.parquet`,
  summary: `${PRODUCTION_DIR}/summary.json`,
} as const;

/** cards */
const CARDS_DIR = "reports/cards";
export const CARDS = {
  modelCardMd: `${CARDS_DIR}/model_card.md`,
  modelCardJson: `${CARDS_DIR}/model_card.json`,
  dataCardMd: `${CARDS_DIR}/data_card.md`,
  dataCardJson: `${CARDS_DIR}/data_card.json`,
  subgroups: `${CARDS_DIR}/subgroups.parquet`,
  audit: `${CARDS_DIR}/audit.json`,
  riskMatrix: `${CARDS_DIR}/risk_matrix.md`,
} as const;

/** Policy documents written by people, read by the cards stage. */
export const GOVERNANCE = {
  risks: "governance/risks.json",
  checklist: "governance/AUDIT_CHECKLIST.md",
} as const;

/** The runs table (every pipeline run) and the endpoint's prediction log. */
export const RUNS = "reports/runs/runs.parquet";
export const PREDICTION_LOG = "data/serve/predictions.kv";
