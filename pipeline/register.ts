import { join } from "node:path";
import { defineStage } from "../src/pipeline/stage.ts";
import { num, str } from "../src/pipeline/params.ts";
import { all, lit, openDuck } from "../src/data/duck.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { gitCommit } from "../src/pipeline/runs.ts";
import type { RegressionMetrics } from "../src/metrics/regression.ts";
import { type ModelMetadata, PACKAGE_FILES, REGISTRY_INDEX } from "../src/registry/package.ts";
import { registerVersion } from "../src/registry/register.ts";
import {
  candidateDir,
  CANDIDATES,
  DEFAULT_MODEL_NAME,
  EVALUATION,
  REGISTER_LAST,
  registeredCandidate,
} from "../src/pipeline/catalog.ts";
import type { EvaluationSummary } from "../src/metrics/evaluation_summary.ts";

/**
 * The stage's own output: what this run registered. The registry itself
 * (`models/registry/`, `models/registry.json`) is append-only and shared with
 * `deno task registry`, so the stage writes it directly under the registry lock (version
 * folder via temp name + rename, index via temp + rename) instead of staging it.
 */

export default defineStage({
  name: "register",
  description:
    "register the GBDT candidate as the next registry version; champion/challenger decides production or staging",
  after: ["evaluate"],
  params: {
    model_name: str(DEFAULT_MODEL_NAME, "registered model name: models/registry/<name>/v<N>/"),
    candidate: str("gbdt", "candidate package to register", CANDIDATES),
    min_improvement_pct: num(
      1.0,
      "promote only when test RMSE beats production's by at least this % of it",
      { min: 0, max: 100 },
    ),
    max_station_degradation_pct: num(
      5.0,
      "and no station's test RMSE is worse than production's by more than this %",
      { min: 0 },
    ),
  },
  inputs: (p) => [
    candidateDir(registeredCandidate(p, p.candidate)),
    EVALUATION.summary,
    EVALUATION.byStation,
  ],
  outputs: () => [REGISTER_LAST],
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const root = ctx.path(".");
    const name = registeredCandidate(ctx.globals, p.candidate);
    const pkg = ctx.path(candidateDir(name));
    const candidate = JSON.parse(
      await Deno.readTextFile(join(pkg, PACKAGE_FILES.metadata)),
    ) as ModelMetadata;

    // Test metrics come from evaluate (ORT scores of the package's own model.onnx).
    const summary = JSON.parse(
      await Deno.readTextFile(ctx.path(EVALUATION.summary)),
    ) as EvaluationSummary;
    const test = summary.candidates[name]?.test;
    if (!test) {
      throw new Error(
        `Cannot register "${name}": ${EVALUATION.summary} has no test metrics for it (candidates: ${
          Object.keys(summary.candidates).join(", ")
        })`,
      );
    }
    const byStation = await stationMetrics(ctx.path(EVALUATION.byStation), name);
    const lineage = await ctx.lineage("evaluate");
    const metadata: ModelMetadata = {
      ...candidate,
      git_commit: await gitCommit(root),
      metrics: { ...candidate.metrics, test, by_station: byStation },
      lineage,
    };
    const r = await registerVersion(root, {
      model: p.model_name,
      packageDir: pkg,
      metadata,
      rule: {
        minImprovementPct: p.min_improvement_pct,
        maxStationDegradationPct: p.max_station_degradation_pct,
      },
      note: `run ${ctx.runId}: candidate ${name}, test RMSE ${test.rmse.toFixed(3)}`,
    });
    if (r.duplicateOf !== null) {
      ctx.log(
        `candidate ${name} is already registered as ${p.model_name} v${r.version}: nothing registered`,
      );
    } else {
      ctx.log(
        `registered ${p.model_name} v${r.version} -> ${
          r.decision!.promote ? "production" : "staging"
        }: ${r.decision!.reason}`,
      );
    }
    ctx.metric("version", r.version);
    ctx.metric("promoted", r.decision?.promote ? 1 : 0);
    const last = {
      run_id: ctx.runId,
      model: p.model_name,
      candidate: name,
      version: r.version,
      path: r.path,
      registered: r.duplicateOf === null,
      duplicate_of: r.duplicateOf,
      promoted: r.decision?.promote ?? false,
      reason: r.decision?.reason ?? `already registered as v${r.version}`,
      improvement_pct: r.decision?.improvementPct ?? null,
      degraded_stations: r.decision?.degradedStations ?? [],
      aliases: r.aliases,
      test,
      index: REGISTRY_INDEX,
    };
    ctx.record("registry", last);
    await writeJsonAtomic(ctx.out(REGISTER_LAST), last);
  },
});

/** Test metrics per station of one candidate from evaluate's long table. */
async function stationMetrics(
  path: string,
  candidate: string,
): Promise<Record<string, RegressionMetrics>> {
  const c = await openDuck();
  try {
    const rows = await all<Record<string, number | string | null>>(
      c,
      `SELECT "group" AS station, n, rmse, mae, r2, mape, bias, skill FROM read_parquet(${
        lit(path)
      }) WHERE candidate = ${lit(candidate)} ORDER BY station`,
    );
    const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));
    return Object.fromEntries(rows.map((r) => [String(r.station), {
      n: num(r.n),
      rmse: num(r.rmse),
      mae: num(r.mae),
      r2: num(r.r2),
      mape: num(r.mape),
      bias: num(r.bias),
      skill: r.skill === null ? null : num(r.skill),
    }]));
  } finally {
    c.closeSync();
  }
}
