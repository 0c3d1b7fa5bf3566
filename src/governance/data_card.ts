/**
 * The data card, following "Datasheets for Datasets" (Gebru et al. 2021): motivation,
 * composition, collection, preprocessing, uses, distribution, maintenance. Composition and
 * preprocessing figures come from the data reports and the Parquet files.
 */
import { type Card, type CardTable, type Fact, fact, makeCard, section } from "./card.ts";
import type { Sourced } from "./model_card.ts";
import type { IngestReport } from "../data/ingest/ingest.ts";
import type { QualityReport } from "../data/clean.ts";

export const DATA_CARD_SECTIONS = [
  "motivation",
  "composition",
  "collection",
  "preprocessing",
  "uses",
  "distribution",
  "maintenance",
] as const;

/** What the cards stage reads from clean.parquet (one query). */
export interface CleanComposition {
  rows: number;
  stations: string[];
  from: string;
  to: string;
  /** Column -> share of rows where it is missing. */
  missingShare: Record<string, number>;
  /** Flag name -> rows carrying it. */
  flags: Record<string, number>;
}

/** reports/data/ingest.json: the ingest report plus the stations file it checked against. */
export type IngestReportFile = IngestReport & {
  stations: { station: string; type: string }[] | null;
};

export interface DataCardInput {
  source: string;
  rawDir: string;
  ingest: Sourced<IngestReportFile>;
  quality: Sourced<QualityReport>;
  split: Sourced<
    Record<string, unknown> & {
      gapHours?: number;
      droppedInGaps?: number;
      droppedNoTarget?: number;
    }
  >;
  clean: Sourced<CleanComposition>;
  schema: Sourced<{ features: { name: string }[]; target: { name: string; horizonHours: number } }>;
  generated: string;
  run_id: string;
}

export function buildDataCard(i: DataCardInput): Card {
  const synthetic = i.source === "synth";
  const ing = i.ingest.value, ip = i.ingest.path;
  const q = i.quality.value, qp = i.quality.path;
  const cl = i.clean.value, cp = i.clean.path;
  const sp = i.split.path;
  const splitRow = (name: string) => {
    const s = i.split.value[name] as { rows?: number; from?: string; to?: string } | undefined;
    return [name, s?.rows ?? null, s?.from ?? null, s?.to ?? null];
  };
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

  const composition: Fact[] = [
    fact("rows (hourly station records)", cl.rows, cp, "count(*)"),
    fact("stations", cl.stations.length, cp, "count(distinct station)"),
    fact("first hour", cl.from, cp, "min(time)"),
    fact("last hour", cl.to, cp, "max(time)"),
    fact("features", i.schema.value.features.length, i.schema.path, "features (count)"),
    fact("target", i.schema.value.target.name, i.schema.path, "target.name"),
  ];
  const missingTable: CardTable = {
    title: "Missing share per column after cleaning",
    columns: ["column", "missing share"],
    rows: Object.entries(cl.missingShare).map(([k, v]) => [k, v]),
    source: cp,
    field: "avg(column IS NULL)",
  };
  const flagTable: CardTable = {
    title: "Rows per quality flag",
    columns: ["flag", "rows"],
    rows: Object.entries(cl.flags).map(([k, v]) => [k, v]),
    source: cp,
    field: "count(*) where flags & bit",
  };
  const stationTable: CardTable | null = ing.stations
    ? {
      title: "Stations and types",
      columns: ["station", "type"],
      rows: ing.stations.map((s) => [s.station, s.type]),
      source: ip,
      field: "stations",
    }
    : null;

  const preprocessing: CardTable = {
    title: "Steps and their counts",
    columns: ["step", "count"],
    rows: [
      ["ingest: raw lines read", ing.lines],
      ["ingest: lines kept", ing.kept],
      ["ingest: lines rejected", ing.rejected],
      ["clean: hourly grid rows added", q.gridRowsAdded],
      ["ingest: hours with duplicate lines merged", q.duplicates.groups],
      ["ingest: duplicate lines merged", q.duplicates.rowsDropped],
      ["clean: values out of range set missing", sum(q.outOfRange)],
      ["clean: stuck-sensor rows flagged", q.stuckRows],
      [`clean: input values filled (${q.fill.rule})`, sum(q.filled)],
      ["split: rows dropped in the gaps", i.split.value.droppedInGaps ?? null],
      ["split: rows without a target", i.split.value.droppedNoTarget ?? null],
    ],
    source: `${ip}, ${qp}, ${sp}`,
    field:
      "lines, kept, rejected; gridRowsAdded, duplicates, outOfRange, stuckRows, filled; droppedInGaps, droppedNoTarget",
  };
  const rejectTable: CardTable = {
    title: "Rejected lines by rule",
    columns: ["rule", "lines"],
    rows: Object.entries(ing.rejectsByRule).map(([k, v]) => [k, v]),
    source: ip,
    field: "rejectsByRule",
  };
  const interpTable: CardTable = {
    title: "Input values filled from earlier hours, per column",
    columns: ["column", "values"],
    rows: Object.entries(q.filled).map(([k, v]) => [k, v]),
    source: qp,
    field: "filled",
  };

  const sections = [
    section("motivation", "Motivation", {
      text: [
        "Built to study next-hour PM2.5 forecasting from multi-station air-quality and weather observations, in a reproducible workspace.",
        synthetic
          ? "THIS IS SYNTHETIC DATA: the project's own deterministic generator made it in the UCI Beijing PRSA file layout, because the repository cannot ship third-party data. It describes no real city; use it to exercise the pipeline, not to draw conclusions about air quality."
          : `Real observations read from ${i.rawDir} with the "${i.source}" adapter.`,
      ],
      facts: [fact("source", i.source, ip, "source")],
    }),
    section("composition", "Composition", {
      text: [
        "Each row is one station and one hour: pollutant concentrations, weather and wind, with quality flags.",
      ],
      facts: composition,
      tables: [missingTable, flagTable, ...(stationTable ? [stationTable] : [])],
    }),
    section("collection", "Collection", {
      text: [
        synthetic
          ? "Generated, not collected: a regional box model with emissions, weather, episodes and instrument noise, seeded so the same seed gives the same files."
          : "Hourly records of the monitoring network as published by its operator; the workspace reads them as they are and rejects lines it cannot parse.",
      ],
      facts: [
        fact("raw files", ing.files.length, ip, "files (count)"),
        fact("raw lines", ing.lines, ip, "lines"),
      ],
    }),
    section("preprocessing", "Preprocessing", {
      text: [
        "Ingest parses and validates the raw files and merges duplicate lines (the median per variable); clean builds an hourly grid per station, sets out-of-range values missing, flags stuck sensors and fills short input gaps from earlier hours only (never PM2.5, never from later hours); features derives lags and rolling means; split cuts train and test by time with a gap so that no lag crosses a boundary, and the rolling-origin cross-validation folds inside train (the validation split is the last fold's block).",
      ],
      facts: [fact("gap between splits", i.split.value.gapHours ?? null, sp, "gapHours", "h")],
      tables: [
        preprocessing,
        rejectTable,
        interpTable,
        {
          title: "Splits",
          columns: ["split", "rows", "from", "to"],
          rows: ["train", "valid", "test"].map(splitRow),
          source: sp,
          field: "<split>.rows, from, to",
        },
      ],
    }),
    section("uses", "Uses", {
      text: [
        "Training and evaluating next-hour PM2.5 forecasters; drift references for monitoring.",
        "Not for exposure assessment of individuals, nor for any conclusion about a real place when the data is synthetic.",
      ],
    }),
    section("distribution", "Distribution", {
      text: [
        synthetic
          ? "Regenerated from the seed by `deno task pipeline`; generated files stay out of git."
          : "Not redistributed by this repository: users bring the files under the terms of their publisher (the PRSA data: UCI Machine Learning Repository, CC BY 4.0).",
      ],
    }),
    section("maintenance", "Maintenance", {
      text: [
        "Every run re-derives the processed data from the raw files and records its hashes in aqlab.lock; governance/RETRAINING_PLAN.md says when new data triggers retraining.",
      ],
    }),
  ];
  return makeCard(
    "data",
    `Data card: ${synthetic ? "synthetic default data" : i.source}`,
    sections,
    {
      generated: i.generated,
      run_id: i.run_id,
    },
  );
}
