import { join } from "node:path";
import { defineStage } from "../src/pipeline/stage.ts";
import { num, str } from "../src/pipeline/params.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { gitCommit } from "../src/pipeline/runs.ts";
import { type ModelMetadata, PACKAGE_FILES, REGISTRY_INDEX } from "../src/registry/package.ts";
import { planRegistration, writeVersionFolder } from "../src/registry/register.ts";
import { withRegistryLock } from "../src/registry/store.ts";
import {
  candidateDir,
  CANDIDATES,
  DEFAULT_MODEL_NAME,
  EVALUATION,
  REGISTER_LAST,
  registeredCandidate,
  REGISTRY_LOCK,
} from "../src/pipeline/catalog.ts";
import { testEvidence } from "../src/registry/evidence.ts";

/**
 * The stage's own output: what this run registered. The registry itself
 * (`models/registry/`, `models/registry.json`) is shared with `deno task registry` and the
 * endpoint's admin routes, so the new version folder and index are staged with
 * `ctx.sharedOut` and committed by the runner with the run, under the registry lock, only
 * if nobody changed the registry meanwhile: a killed or failed run never changes it.
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

    const { test, byStation } = await testEvidence(
      name,
      ctx.path(EVALUATION.summary),
      ctx.path(EVALUATION.byStation),
      { summary: EVALUATION.summary },
    );
    const lineage = await ctx.lineage("evaluate");
    const metadata: ModelMetadata = {
      ...candidate,
      git_commit: await gitCommit(root),
      metrics: { ...candidate.metrics, test, by_station: byStation },
      lineage,
    };
    const options = {
      model: p.model_name,
      packageDir: pkg,
      metadata,
      rule: {
        minImprovementPct: p.min_improvement_pct,
        maxStationDegradationPct: p.max_station_degradation_pct,
      },
      note: `run ${ctx.runId}: candidate ${name}, test RMSE ${test.rmse.toFixed(3)}`,
    };
    // Decided against the registry as it is; written into staging, committed with the run.
    const r = await withRegistryLock(root, async () => {
      const plan = await planRegistration(root, options);
      if (plan.index && plan.metadata) {
        await writeVersionFolder(pkg, plan.metadata, await ctx.sharedOut(plan.path, REGISTRY_LOCK));
        await writeJsonAtomic(await ctx.sharedOut(REGISTRY_INDEX, REGISTRY_LOCK), plan.index);
      }
      return plan;
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
