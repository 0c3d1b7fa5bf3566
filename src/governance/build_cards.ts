/**
 * The cards of a run, from its artifacts (paths from the catalog): the model card of the
 * registered candidate (trained here or pretrained: the artifacts have one layout), the
 * data card, the subgroup analysis, the risk matrix and the audit checklist's results.
 * Every figure cites the artifact it came from.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { all, lit } from "../data/duck.ts";
import { PRSA_STATIONS } from "../data/stations.ts";
import { hashFile } from "../pipeline/hash.ts";
import type { EvaluationSummary } from "../metrics/evaluation_summary.ts";
import { type ModelMetadata, PACKAGE_FILES } from "../registry/package.ts";
import {
  candidateDir,
  CARDS,
  CLEAN,
  DRIFT_LATEST,
  EVALUATION,
  EXPLAIN,
  GOVERNANCE,
  INGEST_REPORT,
  QUALITY_REPORT,
  REGISTER_LAST,
  SCHEMA_PATH,
  SPLIT_REPORT,
} from "../pipeline/catalog.ts";
import { type AuditInputs, type AuditResult, runAudit } from "./audit.ts";
import { bootstrapErrors, type BootstrapResult } from "./bootstrap.ts";
import { type Card, cardProblems } from "./card.ts";
import { parseChecklist } from "./checklist.ts";
import { cleanComposition } from "./clean_composition.ts";
import { buildDataCard, DATA_CARD_SECTIONS, type IngestReportFile } from "./data_card.ts";
import { buildModelCard, MODEL_CARD_SECTIONS, type Sourced } from "./model_card.ts";
import { parseRisks, type Risk } from "./risks.ts";
import { type SubgroupAnalysis, subgroupAnalysis, type SubgroupDimension } from "./subgroups.ts";

/** The cards stage's parameters, as params.yaml names them. */
export interface CardsParams {
  gap_threshold_pct: number;
  gap_dimensions: readonly string[];
  exceedance: number;
  min_recall: number;
  min_r2: number;
  min_skill: number;
  coverage_tolerance: number;
  max_reject_share: number;
  bootstrap_resamples: number;
  ci_level: number;
}

export interface CardsOptions {
  /** Where a catalog path is read (the pipeline's `ctx.path`: this run's staged copies). */
  read: (path: string) => string;
  /** The candidate described: `register.candidate`, or "pretrained". */
  candidate: string;
  /** The stage that made it ("train" or "pretrained"): its lineage must be in the package. */
  producer: string;
  /** `pipeline.source` and the raw data folder. */
  source: string;
  rawDir: string;
  /** The pretrained model file (`--model`), or null for a model trained here. */
  pretrained: string | null;
  seed: number;
  runId: string;
  generated: string;
  /** The cards stage's parameters (params.yaml `cards:`). */
  params: CardsParams;
  warn: (message: string) => void;
}

export interface Cards {
  modelCard: Card;
  dataCard: Card;
  audit: {
    generated: string;
    run_id: string;
    checklist: string;
    model: { package: string; candidate: string; pretrained: string | null };
    thresholds: CardsParams;
    counts: { pass: number; fail: number; manual: number };
    items: AuditResult[];
  };
  risks: Risk[];
  subgroups: SubgroupAnalysis;
  bootstrap: BootstrapResult;
  /** Test predictions of the candidate read. */
  rows: number;
}

/**
 * A03's evidence: onnxruntime against predict() of the package's trees (evaluate), or, for
 * a model without trees, served from the file it came in, that the bytes are that file's.
 */
async function parityEvidence(
  metadata: Sourced<ModelMetadata>,
  summary: Sourced<EvaluationSummary>,
  read: (path: string) => string,
): Promise<AuditInputs["parity"]> {
  if (metadata.value.kind === "pretrained_other") {
    const onnx = metadata.path.replace(PACKAGE_FILES.metadata, PACKAGE_FILES.onnx);
    const sha256 = await hashFile(read(onnx));
    return { path: onnx, identical: sha256 === metadata.value.params.source_sha256, sha256 };
  }
  const parity = summary.value.onnx_parity;
  return parity ? { path: summary.path, ...parity } : null;
}

/** The risk register and audit checklist, written by people; each risk names its audit item. */
async function readGovernance(read: (path: string) => string) {
  const text = async (path: string) => {
    try {
      return await Deno.readTextFile(read(path));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      throw new Error(
        `Cannot build the cards: ${path} is missing (a file of the project, written by people, that the audit and the risk matrix read; restore it, e.g. git checkout -- ${path})`,
      );
    }
  };
  let riskJson: unknown;
  try {
    riskJson = JSON.parse(await text(GOVERNANCE.risks));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new Error(`Cannot read ${GOVERNANCE.risks}: expected JSON (${e.message})`);
  }
  const risks = parseRisks(riskJson);
  const items = parseChecklist(await text(GOVERNANCE.checklist));
  const unknown = risks.filter((r) => !items.some((i) => i.id === r.audit_item));
  if (unknown.length) {
    throw new Error(
      `Cannot use ${GOVERNANCE.risks}: risk(s) ${
        unknown.map((r) => `${r.id} -> ${r.audit_item}`).join(", ")
      } link to no item of ${GOVERNANCE.checklist}`,
    );
  }
  return { risks, items };
}

/** The artifacts the cards read, besides the candidate packages. */
export const CARD_SOURCES: readonly string[] = [
  INGEST_REPORT,
  QUALITY_REPORT,
  SPLIT_REPORT,
  CLEAN,
  SCHEMA_PATH,
  GOVERNANCE.risks,
  GOVERNANCE.checklist,
  EVALUATION.summary,
  EVALUATION.predictions,
  EXPLAIN.importance,
  DRIFT_LATEST,
  REGISTER_LAST,
];

/** Stages whose code and parameters a model's lineage must hash, before its producer. */
const LINEAGE_STAGES = ["ingest", "clean", "features", "split"];

export async function buildCards(c: DuckDBConnection, o: CardsOptions): Promise<Cards> {
  // Read first: a missing or broken file of people's governance fails before the slow work.
  const { risks, items } = await readGovernance(o.read);
  const readJson = async <T>(path: string): Promise<Sourced<T>> => ({
    path,
    value: JSON.parse(await Deno.readTextFile(o.read(path))) as T,
  });
  const maybeJson = async <T>(path: string): Promise<Sourced<T> | null> => {
    try {
      return await readJson<T>(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  };
  const t = o.params, cand = o.candidate, pkg = candidateDir(cand);

  const metadata = await readJson<ModelMetadata>(`${pkg}/${PACKAGE_FILES.metadata}`);
  const summary = await readJson<EvaluationSummary>(EVALUATION.summary);
  const entry = summary.value.candidates[cand];
  if (!entry) {
    throw new Error(
      `Cannot write the model card: ${EVALUATION.summary} has no test metrics for "${cand}" (candidates: ${
        Object.keys(summary.value.candidates).join(", ")
      })`,
    );
  }
  const ingest = await readJson<IngestReportFile>(INGEST_REPORT);
  const stationTypes = new Map<string, string>(
    (ingest.value.stations ?? PRSA_STATIONS).map((r) => [r.station, r.type]),
  );

  // Test predictions of the candidate: bootstrap CIs and subgroups.
  const rows = await all<
    { station: string; t: bigint | number; y: number | null; f: number | null }
  >(
    c,
    `SELECT station, epoch_ms(time) AS t, y_true AS y, y_pred AS f FROM read_parquet(${
      lit(o.read(EVALUATION.predictions))
    }) WHERE candidate = ${lit(cand)} ORDER BY station, time`,
  );
  if (rows.length === 0) {
    throw new Error(
      `Cannot write the model card: ${EVALUATION.predictions} has no rows for "${cand}"`,
    );
  }
  const station = rows.map((r) => r.station);
  const time = Float64Array.from(rows, (r) => Number(r.t));
  const y = Float64Array.from(rows, (r) => r.y ?? NaN);
  const pred = Float64Array.from(rows, (r) => r.f ?? NaN);
  const boot = bootstrapErrors(y, pred, {
    resamples: t.bootstrap_resamples,
    level: t.ci_level,
    seed: o.seed,
  });
  const sg = subgroupAnalysis({ station, time, y, pred }, {
    stationTypes,
    exceedance: t.exceedance,
    gapDimensions: t.gap_dimensions as SubgroupDimension[],
  });

  // Importance by the explain stage's method (mean |SHAP|, or permutation).
  let importance: Sourced<{ feature: string; value: number }[]> | null = null;
  try {
    const imp = await all<{ feature: string; value: number }>(
      c,
      `SELECT feature, importance AS value FROM read_parquet(${
        lit(o.read(EXPLAIN.importance))
      }) ORDER BY value DESC`,
    );
    importance = {
      path: EXPLAIN.importance,
      value: imp.map((r) => ({ feature: r.feature, value: Number(r.value) })),
    };
  } catch (e) {
    o.warn(
      `no feature importance in ${EXPLAIN.importance}: ${(e as Error).message.split("\n")[0]}`,
    );
  }

  const drift = await maybeJson<{
    verdict?: { headline?: { state: string; drift_share: number | null } };
    retraining?: { retrain: boolean };
  }>(DRIFT_LATEST);
  const headline = drift?.value.verdict?.headline;
  const driftFacts = drift && {
    path: drift.path,
    value: {
      dataset_drift: !headline || headline.state === "unavailable"
        ? null
        : headline.state === "drift",
      drift_share: headline?.drift_share ?? null,
      retrain: drift.value.retraining?.retrain ?? null,
    },
  };
  const registry = await maybeJson<
    { model: string; version: number; promoted: boolean; reason: string }
  >(REGISTER_LAST);
  const split = await readJson<
    Record<string, { rows: number; from: string | null; to: string | null }>
  >(SPLIT_REPORT);

  const modelCard = buildModelCard({
    candidate: cand,
    metadata,
    test: {
      path: EVALUATION.summary,
      value: { metrics: entry.test, interval: entry.interval, rows: summary.value.rows },
    },
    bootstrap: { path: EVALUATION.predictions, value: boot },
    subgroups: { path: CARDS.subgroups, value: sg },
    split,
    registry,
    drift: driftFacts,
    importance,
    source: o.source,
    pretrained: o.pretrained,
    generated: o.generated,
    run_id: o.runId,
  });
  const dataCard = buildDataCard({
    source: o.source,
    rawDir: o.rawDir,
    ingest,
    quality: await readJson(QUALITY_REPORT),
    split: await readJson(SPLIT_REPORT),
    clean: { path: CLEAN, value: await cleanComposition(c, o.read(CLEAN)) },
    schema: await readJson(SCHEMA_PATH),
    generated: o.generated,
    run_id: o.runId,
  });

  const results = runAudit(items, {
    test: { path: EVALUATION.summary, metrics: entry.test, interval: entry.interval },
    parity: await parityEvidence(metadata, summary, o.read),
    drift: driftFacts ? { path: driftFacts.path, ...driftFacts.value } : null,
    subgroups: { path: CARDS.subgroups, largestGap: sg.largestGap, lowestRecall: sg.lowestRecall },
    lineage: {
      path: metadata.path,
      ...metadata.value.lineage,
      required: [...LINEAGE_STAGES, o.producer],
    },
    cards: [
      { path: CARDS.modelCardJson, problems: cardProblems(modelCard, MODEL_CARD_SECTIONS) },
      { path: CARDS.dataCardJson, problems: cardProblems(dataCard, DATA_CARD_SECTIONS) },
    ],
    ingest: { path: INGEST_REPORT, lines: ingest.value.lines, rejected: ingest.value.rejected },
  }, {
    min_r2: t.min_r2,
    min_skill: t.min_skill,
    coverage_tolerance: t.coverage_tolerance,
    max_gap_pct: t.gap_threshold_pct,
    min_recall: t.min_recall,
    max_reject_share: t.max_reject_share,
  });
  const count = (st: string) => results.filter((r) => r.status === st).length;
  return {
    modelCard,
    dataCard,
    audit: {
      generated: o.generated,
      run_id: o.runId,
      checklist: GOVERNANCE.checklist,
      model: { package: pkg, candidate: cand, pretrained: o.pretrained },
      thresholds: { ...t },
      counts: { pass: count("pass"), fail: count("fail"), manual: count("manual") },
      items: results,
    },
    risks,
    subgroups: sg,
    bootstrap: boot,
    rows: rows.length,
  };
}
