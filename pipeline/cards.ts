import { defineStage } from "../src/pipeline/stage.ts";
import { int, num, strings } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { writeColumns } from "../src/data/write_columns.ts";
import { subgroupColumns } from "../src/governance/subgroups.ts";
import { cardMarkdown } from "../src/governance/card.ts";
import { riskMatrixMarkdown } from "../src/governance/risks.ts";
import { buildCards, CARD_SOURCES } from "../src/governance/build_cards.ts";
import {
  candidateDir,
  candidatesOf,
  CARDS,
  GOVERNANCE,
  isPretrained,
  rawDataDir,
  registeredCandidate,
} from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "cards",
  description:
    "model card and data card from the artifacts, subgroup analysis, audit checklist results, risk matrix",
  after: ["evaluate", "explain", "register", "drift"],
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
  uses: {
    "pipeline.seed": "number",
    "pipeline.source": "string",
    "pipeline.data_dir": "string",
    "pipeline.model_path": "string",
    "register.candidate": "string",
    "register.model_name": "string",
    "ingest.stations_file": "string",
  },
  inputs: (p) => [...CARD_SOURCES, ...candidatesOf(p).map(candidateDir)],
  outputs: () => Object.values(CARDS),
  module: import.meta.url,
  async run(ctx) {
    const g = ctx.globals;
    const c = await openDuck();
    try {
      const r = await buildCards(c, {
        read: ctx.path,
        candidate: registeredCandidate(g, ctx.used["register.candidate"]),
        producer: isPretrained(g) ? "pretrained" : "train",
        source: g.source,
        rawDir: rawDataDir(g),
        pretrained: g.model_path || null,
        seed: g.seed,
        runId: ctx.runId,
        generated: new Date().toISOString(),
        params: ctx.params,
        warn: ctx.warn,
      });
      ctx.rows("predictions", r.rows);
      await writeColumns(c, ctx.out(CARDS.subgroups), subgroupColumns(r.subgroups));
      await writeJsonAtomic(ctx.out(CARDS.modelCardJson), r.modelCard);
      await Deno.writeTextFile(ctx.out(CARDS.modelCardMd), cardMarkdown(r.modelCard));
      await writeJsonAtomic(ctx.out(CARDS.dataCardJson), r.dataCard);
      await Deno.writeTextFile(ctx.out(CARDS.dataCardMd), cardMarkdown(r.dataCard));
      await writeJsonAtomic(ctx.out(CARDS.audit), r.audit);
      await Deno.writeTextFile(
        ctx.out(CARDS.riskMatrix),
        riskMatrixMarkdown(r.risks, GOVERNANCE.risks),
      );
      const { counts, items } = r.audit;
      for (const [st, n] of Object.entries(counts)) ctx.metric(`audit_${st}`, n);
      ctx.metric("rmse_ci_lower", r.bootstrap.rmse.lower);
      ctx.metric("rmse_ci_upper", r.bootstrap.rmse.upper);
      if (r.subgroups.largestGap) {
        ctx.metric("largest_gap_pct", r.subgroups.largestGap.rmse_gap_pct);
      }
      const failed = items.filter((i) => i.status === "fail").map((i) => `${i.id} ${i.check}`);
      ctx.log(
        `audit: ${counts.pass} pass, ${counts.fail} fail, ${counts.manual} manual${
          failed.length ? ` (failed: ${failed.join(", ")})` : ""
        }`,
      );
    } finally {
      c.closeSync();
    }
  },
});
