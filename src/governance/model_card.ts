/**
 * The model card (Mitchell et al. 2019; the Hugging Face and Google Model Card Toolkit
 * section list): built from the artifacts of a run, never from typed figures.
 */
import type { ModelMetadata } from "../registry/package.ts";
import { type RegressionMetrics, SKILL_DEFINITION } from "../metrics/regression.ts";
import type { BootstrapResult } from "./bootstrap.ts";
import type { SubgroupAnalysis } from "./subgroups.ts";
import { type Card, type CardTable, type Fact, fact, makeCard, section } from "./card.ts";

export const MODEL_CARD_SECTIONS = [
  "model_details",
  "intended_use",
  "out_of_scope_use",
  "factors",
  "metrics",
  "evaluation_data",
  "training_data",
  "quantitative_analyses",
  "ethical_considerations",
  "caveats_and_recommendations",
] as const;

/** An artifact's content with its path, so every fact can cite it. */
export interface Sourced<T> {
  path: string;
  value: T;
}

export interface ModelCardInput {
  candidate: string;
  /** The model package's metadata.json. */
  metadata: Sourced<ModelMetadata>;
  /** Test metrics of the candidate and its interval coverage (evaluation summary). */
  test: Sourced<{
    metrics: RegressionMetrics;
    interval: { coverage: number; nominal: number; half_width: number; meanWidth?: number } | null;
    rows: number;
  }>;
  bootstrap: Sourced<BootstrapResult>;
  subgroups: Sourced<SubgroupAnalysis>;
  split: Sourced<Record<string, { rows: number; from: string | null; to: string | null }>>;
  registry: Sourced<{ model: string; version: number; promoted: boolean; reason: string }> | null;
  drift:
    | Sourced<
      { dataset_drift: boolean | null; drift_share: number | null; retrain: boolean | null }
    >
    | null;
  importance: Sourced<{ feature: string; value: number }[]> | null;
  /** "synth" when the data is the project's synthetic default. */
  source: string;
  /** Path of a pretrained model given with --model, or null when the model was trained here. */
  pretrained: string | null;
  generated: string;
  run_id: string;
}

/** Builds the model card. */
export function buildModelCard(i: ModelCardInput): Card {
  const md = i.metadata.value, mp = i.metadata.path;
  const t = i.test.value, tp = i.test.path;
  const b = i.bootstrap.value, bp = i.bootstrap.path;
  const sg = i.subgroups.value, sp = i.subgroups.path;
  const synthetic = i.source === "synth";

  const details: Fact[] = [
    fact("name", md.name, mp, "name"),
    fact("candidate", i.candidate, mp, "package folder"),
    fact("kind", md.kind, mp, "kind"),
    fact("created", md.created, mp, "created"),
    fact("git commit", md.git_commit, mp, "git_commit"),
    fact("lineage run", md.lineage.run_id, mp, "lineage.run_id"),
    fact("lineage data hash", md.lineage.data_hash, mp, "lineage.data_hash"),
    fact("features", md.schema.features.length, mp, "schema.features (count)"),
    fact("target", md.schema.target.name, mp, "schema.target.name", md.schema.target.unit),
    fact("horizon", md.schema.target.horizonHours, mp, "schema.target.horizonHours", "h"),
  ];
  if (i.registry) {
    const r = i.registry.value;
    details.push(
      fact("registered as", `${r.model} v${r.version}`, i.registry.path, "model, version"),
      fact("promoted to production", r.promoted, i.registry.path, "promoted"),
    );
  }
  if (i.pretrained) {
    details.push(fact("pretrained model file", i.pretrained, mp, "params.source_file"));
  }
  const lineageRows = Object.entries(md.lineage.stages).map(([name, s]) => [
    name,
    s.code,
    Object.keys(s.inputs).length,
  ]);
  // Settings as written (a seed is an identifier, not a quantity: "20170301", not "20,170,301").
  const params = Object.entries(md.params).filter(([, v]) => typeof v !== "object" || v === null)
    .map(([k, v]) => [k, v === null ? null : String(v)]);

  const metricFacts: Fact[] = [
    fact("test rows", t.metrics.n, tp, "test.n"),
    fact("RMSE", t.metrics.rmse, tp, "test.rmse", "µg/m³"),
    fact(
      `RMSE ${pct(b.level)} CI lower`,
      b.rmse.lower,
      bp,
      `bootstrap (${b.resamples} resamples, seed ${b.seed})`,
      "µg/m³",
    ),
    fact(`RMSE ${pct(b.level)} CI upper`, b.rmse.upper, bp, "bootstrap", "µg/m³"),
    fact("MAE", t.metrics.mae, tp, "test.mae", "µg/m³"),
    fact(`MAE ${pct(b.level)} CI lower`, b.mae.lower, bp, "bootstrap", "µg/m³"),
    fact(`MAE ${pct(b.level)} CI upper`, b.mae.upper, bp, "bootstrap", "µg/m³"),
    fact("R²", t.metrics.r2, tp, "test.r2"),
    fact("MAPE (y > 0)", t.metrics.mape, tp, "test.mape", "%"),
    fact("bias (prediction - truth)", t.metrics.bias, tp, "test.bias", "µg/m³"),
    fact("skill vs persistence", t.metrics.skill, tp, "test.skill"),
  ];
  if (t.interval) {
    metricFacts.push(
      fact("interval nominal coverage", t.interval.nominal, tp, "interval.nominal"),
      fact("interval empirical coverage (test)", t.interval.coverage, tp, "interval.coverage"),
      fact("interval half-width", t.interval.half_width, tp, "interval.half_width", "µg/m³"),
    );
  }

  const subgroupTable = (dim: string, title: string): CardTable => ({
    title,
    columns: ["group", "n", "RMSE", "MAE", "bias", "RMSE gap %"],
    rows: sg.rows.filter((r) => r.dimension === dim).map((r) => [
      r.group,
      r.n,
      r.rmse,
      r.mae,
      r.bias,
      r.rmse_gap_pct,
    ]),
    source: sp,
    field: `dimension = "${dim}"`,
  });
  const stationRows = sg.rows.filter((r) => r.dimension === "station");
  const exceedanceTable: CardTable = {
    title: `PM2.5 above ${sg.exceedance} µg/m³: recall and precision per station`,
    columns: ["station", "episodes", "recall", "precision"],
    rows: stationRows.map((r) => [r.group, r.episodes, r.recall, r.precision]),
    source: sp,
    field: 'dimension = "station": episodes, recall, precision',
  };
  const gapFacts: Fact[] = [];
  if (sg.largestGap) {
    gapFacts.push(
      fact(
        "largest RMSE gap: group",
        `${sg.largestGap.dimension} ${sg.largestGap.group}`,
        sp,
        "max rmse_gap_pct",
      ),
      fact("largest RMSE gap", sg.largestGap.rmse_gap_pct, sp, "rmse_gap_pct", "%"),
    );
  }
  if (sg.lowestRecall) {
    gapFacts.push(
      fact("lowest exceedance recall: station", sg.lowestRecall.group, sp, "min recall"),
      fact("lowest exceedance recall", sg.lowestRecall.recall, sp, "recall"),
    );
  }

  const split = i.split.value;
  const splitFacts = (name: string): Fact[] => [
    fact(`${name} rows`, split[name]?.rows, i.split.path, `${name}.rows`),
    fact(`${name} from`, split[name]?.from, i.split.path, `${name}.from`),
    fact(`${name} to`, split[name]?.to, i.split.path, `${name}.to`),
  ];

  const caveats: Fact[] = [];
  if (i.drift) {
    caveats.push(
      fact(
        "dataset drift on the test period",
        i.drift.value.dataset_drift,
        i.drift.path,
        "verdict.headline.state",
      ),
      fact(
        "drifted feature share",
        i.drift.value.drift_share,
        i.drift.path,
        "verdict.headline.drift_share",
      ),
      fact("retraining recommended", i.drift.value.retrain, i.drift.path, "retraining.retrain"),
    );
  }

  const sections = [
    section("model_details", "Model details", {
      text: [
        i.pretrained
          ? "A pretrained model brought to the workspace as an ONNX file and scored by the inference-only pipeline; it was not trained here, so its training data and parameters are those its authors report."
          : "A next-hour PM2.5 forecaster trained by this workspace's pipeline and exported to ONNX; the package holds model.onnx, model.json, metadata.json and reference.json.",
      ],
      facts: details,
      tables: [
        {
          title: "Lineage (stage code hashes)",
          columns: ["stage", "code hash", "inputs hashed"],
          rows: lineageRows,
          source: mp,
          field: "lineage.stages",
        },
        ...(params.length
          ? [{
            title: "Parameters",
            columns: ["parameter", "value"],
            rows: params,
            source: mp,
            field: "params",
          }]
          : []),
      ],
    }),
    section("intended_use", "Intended use", {
      text: [
        "Forecasting the next hour's PM2.5 concentration at monitoring stations whose data follow the feature schema, to support air-quality information and health warnings, with the conformal interval shown beside each forecast.",
        "Research and teaching: comparing models, studying errors by station, season and pollution band.",
      ],
    }),
    section("out_of_scope_use", "Out-of-scope use", {
      text: [
        "Forecasts beyond the trained horizon, at stations or in climates unlike the training data, or without the inputs of the feature schema.",
        "Regulatory compliance decisions or individual medical advice; an automated alert without a person reviewing high-pollution forecasts.",
        ...(synthetic
          ? [
            "Any real-world use at all of a model trained on the synthetic default data: it describes a simulated city.",
          ]
          : []),
      ],
    }),
    section("factors", "Factors", {
      text: [
        "Errors are reported by station, station type (urban, suburban, rural), meteorological season and China AQI PM2.5 band of the true value; high bands are where errors matter most for health warnings.",
      ],
      facts: [
        fact(
          "stations in the test period",
          stationRows.length,
          sp,
          'count of dimension = "station"',
        ),
      ],
    }),
    section("metrics", "Metrics", {
      text: [
        `RMSE and MAE with percentile bootstrap confidence intervals over test rows; R², MAPE on y > 0, bias and the skill score against persistence (${SKILL_DEFINITION}); empirical coverage of the conformal interval (one width per PM2.5 band of the prediction) calibrated on out-of-fold residuals of the cross-validation.`,
      ],
      facts: metricFacts,
    }),
    section("evaluation_data", "Evaluation data", {
      text: [
        "The test split: the most recent period, separated from training by a gap of the longest lag plus the horizon.",
      ],
      facts: splitFacts("test"),
    }),
    section("training_data", "Training data", {
      text: [
        i.pretrained
          ? "Unknown to this workspace (a pretrained model); the rows below are this workspace's training split, used only for TreeSHAP covers and drift references."
          : "The training split, on which the final model is fitted; rolling-origin cross-validation inside it chose the parameters, the target form and the tree count, and calibrated the interval. The validation split is its last fold's block.",
      ],
      facts: [
        ...splitFacts("train"),
        ...splitFacts("valid"),
        ...(md.training ? [fact("training rows used", md.training.rows, mp, "training.rows")] : []),
      ],
    }),
    section("quantitative_analyses", "Quantitative analyses", {
      facts: gapFacts,
      tables: [
        subgroupTable("station", "By station"),
        subgroupTable("station_type", "By station type"),
        subgroupTable("season", "By season"),
        subgroupTable("band", "By PM2.5 band (true value)"),
        exceedanceTable,
        ...(i.importance
          ? [{
            title: "Global feature importance",
            columns: ["feature", "importance"],
            rows: i.importance.value.map((r) => [r.feature, r.value]),
            source: i.importance.path,
            field: "feature, importance",
          }]
          : []),
      ],
    }),
    section("ethical_considerations", "Ethical considerations", {
      text: [
        "Missed high-pollution hours fall on the people living near the stations where recall is lowest; the per-station recall above is the figure to watch, and stations of each type should be served alike.",
        "Station types stand in for neighbourhoods: a systematic gap between urban, suburban and rural stations would mean unequal warning quality across communities.",
        ...(synthetic
          ? [
            "The data is the project's synthetic default: no person's data is involved, and no figure here describes a real city.",
          ]
          : []),
      ],
    }),
    section("caveats_and_recommendations", "Caveats and recommendations", {
      text: [
        "Review the subgroup gaps and the exceedance recall before promoting a version (governance/GOVERNANCE.md); retrain on the triggers of governance/RETRAINING_PLAN.md.",
        "The interval's coverage holds on average over test rows, not for every station or band.",
      ],
      facts: caveats,
    }),
  ];
  return makeCard("model", `Model card: ${md.name} (${i.candidate})`, sections, {
    generated: i.generated,
    run_id: i.run_id,
  });
}

const pct = (level: number) => `${Math.round(level * 100)}%`;
