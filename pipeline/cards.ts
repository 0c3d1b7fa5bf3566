import { defineStage } from "../src/pipeline/stage.ts";
import { int, num, strings } from "../src/pipeline/params.ts";
import { all, lit, openDuck } from "../src/data/duck.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { writeColumns } from "../src/metrics/write_columns.ts";
import type { RegressionMetrics } from "../src/metrics/regression.ts";
import { type ModelMetadata, PACKAGE_FILES } from "../src/registry/package.ts";
import { PRSA_STATIONS } from "../src/data/stations.ts";
import { FLAGS } from "../src/data/clean.ts";
import { bootstrapErrors } from "../src/governance/bootstrap.ts";
import { subgroupAnalysis, type SubgroupDimension } from "../src/governance/subgroups.ts";
import { buildModelCard, MODEL_CARD_SECTIONS, type Sourced } from "../src/governance/model_card.ts";
import {
  buildDataCard,
  type CleanComposition,
  DATA_CARD_SECTIONS,
  type IngestReportFile,
} from "../src/governance/data_card.ts";
import { cardMarkdown, cardProblems } from "../src/governance/card.ts";
import { parseRisks, riskMatrixMarkdown } from "../src/governance/risks.ts";
import { parseChecklist } from "../src/governance/checklist.ts";
import { type AuditInputs, runAudit } from "../src/governance/audit.ts";
import {
  candidateDir,
  type CandidateName,
  CARDS,
  CLEAN,
  DRIFT_LATEST,
  EVALUATION,
  EXPLAIN,
  GOVERNANCE,
  INGEST_REPORT,
  PRETRAINED_DIR,
  QUALITY_REPORT,
  rawDataDir,
  REGISTER_LAST,
  SCHEMA_PATH,
  SCORE,
  SPLIT_REPORT,
} from "../src/pipeline/catalog.ts";

/** Stages whose code and parameters a trained model's lineage must hash. */
const LINEAGE_STAGES = ["ingest", "clean", "features", "split", "train"];

/** Where this configuration's model, test figures and predictions are. */
function sources(g: { model_path: string }, candidate: string) {
  return g.model_path
    ? {
      pkg: PRETRAINED_DIR,
      summary: SCORE.summary,
      predictions: SCORE.predictions,
      candidate: "pretrained",
      importance: SCORE.importance,
      drift: SCORE.drift,
    }
    : {
      pkg: candidateDir(candidate as CandidateName),
      summary: EVALUATION.summary,
      predictions: EVALUATION.predictions,
      candidate,
      importance: EXPLAIN.importance,
      drift: DRIFT_LATEST,
    };
}

export default defineStage({
  name: "cards",
  description:
    "model card and data card from the artifacts, subgroup analysis, audit checklist results, risk matrix",
  after: ["evaluate", "explain", "register", "drift", "score"],
  params: {
    gap_threshold_pct: num(
      25,
      "largest acceptable RMSE gap of a station or station type above the overall RMSE (%)",
      { min: 0 },
    ),
    gap_dimensions: strings(
      ["station", "station_type"],
      "subgroup dimensions whose gap is checked (station, station_type, season, band)",
    ),
    exceedance: num(75, "PM2.5 (µg/m³) above which an hour is a high-pollution episode", {
      min: 0,
    }),
    min_recall: num(0.5, "lowest acceptable per-station recall of episodes", { min: 0, max: 1 }),
    min_r2: num(0.5, "lowest acceptable test R²", { max: 1 }),
    min_skill: num(0, "lowest acceptable skill against persistence (0 = at least as good)", {
      max: 1,
    }),
    coverage_tolerance: num(0.05, "largest acceptable |empirical - nominal| interval coverage", {
      min: 0,
      max: 1,
    }),
    max_reject_share: num(0.01, "largest acceptable share of raw lines rejected at ingest", {
      min: 0,
      max: 1,
    }),
    bootstrap_resamples: int(500, "bootstrap resamples of the RMSE / MAE confidence intervals", {
      min: 10,
    }),
    ci_level: num(0.95, "confidence level of the bootstrap intervals", { min: 0.5, max: 0.999 }),
  },
  uses: [
    "pipeline.seed",
    "pipeline.source",
    "pipeline.data_dir",
    "pipeline.model_path",
    "register.candidate",
    "register.model_name",
    "ingest.stations_file",
  ],
  inputs: (p) => {
    const s = sources(p, "gbdt");
    return [
      INGEST_REPORT,
      QUALITY_REPORT,
      SPLIT_REPORT,
      CLEAN,
      SCHEMA_PATH,
      GOVERNANCE.risks,
      GOVERNANCE.checklist,
      s.summary,
      s.predictions,
      s.importance,
      s.drift,
      ...(p.model_path ? [PRETRAINED_DIR] : [REGISTER_LAST]),
    ];
  },
  outputs: () => Object.values(CARDS),
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params, g = ctx.globals;
    const generated = new Date().toISOString();
    const s = sources(g, String(ctx.all.register?.candidate ?? "gbdt"));
    // ctx.path finds this run's staged copy, also of a file inside a staged folder.
    const resolve = ctx.path;
    const readJson = async <T>(path: string): Promise<Sourced<T>> => ({
      path,
      value: JSON.parse(await Deno.readTextFile(resolve(path))) as T,
    });
    const maybeJson = async <T>(path: string): Promise<Sourced<T> | null> => {
      try {
        return await readJson<T>(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return null;
        throw e;
      }
    };

    const metadata = await readJson<ModelMetadata>(`${s.pkg}/${PACKAGE_FILES.metadata}`);
    const summary = await readJson<{
      rows: number;
      candidates: Record<
        string,
        {
          test: RegressionMetrics;
          interval: { coverage: number; nominal: number; half_width: number } | null;
        }
      >;
      onnx_parity?: { max_rel_diff: number; tolerance: number };
    }>(s.summary);
    const entry = summary.value.candidates[s.candidate];
    if (!entry) {
      throw new Error(
        `Cannot write the model card: ${s.summary} has no test metrics for "${s.candidate}" (candidates: ${
          Object.keys(summary.value.candidates).join(", ")
        })`,
      );
    }
    const ingest = await readJson<IngestReportFile>(INGEST_REPORT);
    const stationTypes = new Map<string, string>(
      (ingest.value.stations ?? PRSA_STATIONS).map((r) => [r.station, r.type]),
    );

    const c = await openDuck();
    try {
      // Test predictions of the candidate: bootstrap CIs and subgroups.
      const rows = await all<
        { station: string; t: bigint | number; y: number | null; f: number | null }
      >(
        c,
        `SELECT station, epoch_ms(time) AS t, y_true AS y, y_pred AS f FROM read_parquet(${
          lit(resolve(s.predictions))
        })
         WHERE candidate = ${lit(s.candidate)} ORDER BY station, time`,
      );
      if (rows.length === 0) {
        throw new Error(
          `Cannot write the model card: ${s.predictions} has no rows for "${s.candidate}"`,
        );
      }
      const station = rows.map((r) => r.station);
      const time = Float64Array.from(rows, (r) => Number(r.t));
      const y = Float64Array.from(rows, (r) => r.y ?? NaN);
      const pred = Float64Array.from(rows, (r) => r.f ?? NaN);
      ctx.rows("predictions", rows.length);
      const boot = bootstrapErrors(y, pred, {
        resamples: p.bootstrap_resamples,
        level: p.ci_level,
        seed: g.seed,
      });
      const sg = subgroupAnalysis({ station, time, y, pred }, {
        stationTypes,
        exceedance: p.exceedance,
        gapDimensions: p.gap_dimensions as SubgroupDimension[],
      });
      const num = (v: number | null) => v ?? NaN;
      await writeColumns(c, ctx.out(CARDS.subgroups), {
        dimension: { type: "string", values: sg.rows.map((r) => r.dimension) },
        group: { type: "string", values: sg.rows.map((r) => r.group) },
        n: { type: "int", values: sg.rows.map((r) => r.n) },
        rmse: { type: "double", values: sg.rows.map((r) => r.rmse) },
        mae: { type: "double", values: sg.rows.map((r) => r.mae) },
        bias: { type: "double", values: sg.rows.map((r) => r.bias) },
        rmse_gap_pct: { type: "double", values: sg.rows.map((r) => r.rmse_gap_pct) },
        episodes: { type: "double", values: sg.rows.map((r) => num(r.episodes)) },
        recall: { type: "double", values: sg.rows.map((r) => num(r.recall)) },
        precision: { type: "double", values: sg.rows.map((r) => num(r.precision)) },
      });

      // Importance: mean |SHAP| of the explain stage, or the score stage's SHAP / permutation table.
      let importance: Sourced<{ feature: string; value: number }[]> | null = null;
      try {
        const imp = await all<{ feature: string; value: number }>(
          c,
          `SELECT feature, ${
            g.model_path ? "importance" : "mean_abs_shap"
          } AS value FROM read_parquet(${lit(resolve(s.importance))}) ORDER BY value DESC`,
        );
        importance = {
          path: s.importance,
          value: imp.map((r) => ({ feature: r.feature, value: Number(r.value) })),
        };
      } catch (e) {
        ctx.warn(
          `no feature importance in ${s.importance}: ${(e as Error).message.split("\n")[0]}`,
        );
      }

      const drift = await maybeJson<{
        verdict?: { headline?: { state: string; drift_share: number | null } };
        retraining?: { retrain: boolean };
      }>(s.drift);
      const headline = drift?.value.verdict?.headline;
      const driftFacts = drift
        ? {
          path: drift.path,
          value: {
            dataset_drift: !headline || headline.state === "unavailable"
              ? null
              : headline.state === "drift",
            drift_share: headline?.drift_share ?? null,
            retrain: drift.value.retraining?.retrain ?? null,
          },
        }
        : null;
      const registry = g.model_path
        ? null
        : await maybeJson<{ model: string; version: number; promoted: boolean; reason: string }>(
          REGISTER_LAST,
        );
      const split = await readJson<
        Record<string, { rows: number; from: string | null; to: string | null }>
      >(SPLIT_REPORT);

      const modelCard = buildModelCard({
        candidate: s.candidate,
        metadata,
        test: {
          path: s.summary,
          value: { metrics: entry.test, interval: entry.interval, rows: summary.value.rows },
        },
        bootstrap: { path: s.predictions, value: boot },
        subgroups: { path: CARDS.subgroups, value: sg },
        split,
        registry,
        drift: driftFacts,
        importance,
        source: g.source,
        pretrained: g.model_path || null,
        generated,
        run_id: ctx.runId,
      });

      // Data card: composition straight from clean.parquet.
      const composition = await cleanComposition(c, resolve(CLEAN));
      const dataCard = buildDataCard({
        source: g.source,
        rawDir: rawDataDir(g),
        ingest,
        quality: await readJson(QUALITY_REPORT),
        split: await readJson(SPLIT_REPORT),
        clean: { path: CLEAN, value: composition },
        schema: await readJson(SCHEMA_PATH),
        generated,
        run_id: ctx.runId,
      });

      // Risk matrix from the register; audit from the checklist.
      const risks = parseRisks(JSON.parse(await Deno.readTextFile(resolve(GOVERNANCE.risks))));
      const items = parseChecklist(await Deno.readTextFile(resolve(GOVERNANCE.checklist)));
      const unknown = risks.filter((r) => !items.some((i) => i.id === r.audit_item));
      if (unknown.length) {
        throw new Error(
          `Cannot use ${GOVERNANCE.risks}: risk(s) ${
            unknown.map((r) => `${r.id} -> ${r.audit_item}`).join(", ")
          } link to no item of ${GOVERNANCE.checklist}`,
        );
      }
      const auditInputs: AuditInputs = {
        test: { path: s.summary, metrics: entry.test, interval: entry.interval },
        parity: summary.value.onnx_parity
          ? { path: s.summary, ...summary.value.onnx_parity }
          : null,
        drift: driftFacts ? { path: driftFacts.path, ...driftFacts.value } : null,
        subgroups: {
          path: CARDS.subgroups,
          largestGap: sg.largestGap,
          lowestRecall: sg.lowestRecall,
        },
        lineage: {
          path: `${s.pkg}/${PACKAGE_FILES.metadata}`,
          ...metadata.value.lineage,
          required: LINEAGE_STAGES,
        },
        cards: [
          { path: CARDS.modelCardJson, problems: cardProblems(modelCard, MODEL_CARD_SECTIONS) },
          { path: CARDS.dataCardJson, problems: cardProblems(dataCard, DATA_CARD_SECTIONS) },
        ],
        ingest: { path: INGEST_REPORT, lines: ingest.value.lines, rejected: ingest.value.rejected },
      };
      const results = runAudit(items, auditInputs, {
        min_r2: p.min_r2,
        min_skill: p.min_skill,
        coverage_tolerance: p.coverage_tolerance,
        max_gap_pct: p.gap_threshold_pct,
        min_recall: p.min_recall,
        max_reject_share: p.max_reject_share,
      });
      const count = (st: string) => results.filter((r) => r.status === st).length;
      const audit = {
        generated,
        run_id: ctx.runId,
        checklist: GOVERNANCE.checklist,
        model: { package: s.pkg, candidate: s.candidate, pretrained: g.model_path || null },
        thresholds: { ...p },
        counts: { pass: count("pass"), fail: count("fail"), manual: count("manual") },
        items: results,
      };

      await writeJsonAtomic(ctx.out(CARDS.modelCardJson), modelCard);
      await Deno.writeTextFile(ctx.out(CARDS.modelCardMd), cardMarkdown(modelCard));
      await writeJsonAtomic(ctx.out(CARDS.dataCardJson), dataCard);
      await Deno.writeTextFile(ctx.out(CARDS.dataCardMd), cardMarkdown(dataCard));
      await writeJsonAtomic(ctx.out(CARDS.audit), audit);
      await Deno.writeTextFile(
        ctx.out(CARDS.riskMatrix),
        riskMatrixMarkdown(risks, GOVERNANCE.risks),
      );
      for (const st of ["pass", "fail", "manual"]) ctx.metric(`audit_${st}`, count(st));
      ctx.metric("rmse_ci_lower", boot.rmse.lower);
      ctx.metric("rmse_ci_upper", boot.rmse.upper);
      if (sg.largestGap) ctx.metric("largest_gap_pct", sg.largestGap.rmse_gap_pct);
      ctx.log(
        `audit: ${audit.counts.pass} pass, ${audit.counts.fail} fail, ${audit.counts.manual} manual${
          audit.counts.fail
            ? ` (failed: ${
              results.filter((r) => r.status === "fail").map((r) =>
                `${r.id} ${r.check}`
              ).join(", ")
            })`
            : ""
        }`,
      );
    } finally {
      c.closeSync();
    }
  },
});

/** Rows, stations, period, missing shares and flag counts of clean.parquet. */
async function cleanComposition(
  c: Parameters<typeof all>[0],
  path: string,
): Promise<CleanComposition> {
  const cols =
    (await all<{ column_name: string }>(c, `DESCRIBE SELECT * FROM read_parquet(${lit(path)})`))
      .map((r) => r.column_name)
      .filter((n) => !["station", "time", "flags"].includes(n));
  const flagSql = Object.entries(FLAGS).map(([k, bit]) =>
    `count(*) FILTER (WHERE (flags & ${bit}) <> 0) AS "flag_${k}"`
  );
  const missSql = cols.map((n) => `avg(CASE WHEN "${n}" IS NULL THEN 1 ELSE 0 END) AS "miss_${n}"`);
  const [r] = await all<Record<string, unknown>>(
    c,
    `SELECT count(*) AS rows, list(DISTINCT station) AS stations, strftime(min(time), '%Y-%m-%d %H:%M') AS t0,
       strftime(max(time), '%Y-%m-%d %H:%M') AS t1, ${[...flagSql, ...missSql].join(", ")}
     FROM read_parquet(${lit(path)})`,
  );
  if (!r) throw new Error(`Cannot describe ${path}: the query returned no row`);
  const stations = r.stations as { items?: string[] } | string[];
  return {
    rows: Number(r.rows),
    stations: (Array.isArray(stations) ? stations : stations.items ?? []).map(String).sort(),
    from: String(r.t0),
    to: String(r.t1),
    missingShare: Object.fromEntries(cols.map((n) => [n, Number(r[`miss_${n}`])])),
    flags: Object.fromEntries(Object.keys(FLAGS).map((k) => [k, Number(r[`flag_${k}`])])),
  };
}
