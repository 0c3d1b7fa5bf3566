import assert from "node:assert/strict";
import { DEFAULT_RETRAIN_POLICY, evaluateRetraining } from "../../src/drift/retrain_policy.ts";

Deno.test("evaluateRetraining fires each trigger at its threshold", () => {
  const p = DEFAULT_RETRAIN_POLICY;
  const quiet = evaluateRetraining({ datasetDrift: 0.1, rmseDegradation: 2, modelAgeDays: 30 }, p);
  assert.equal(quiet.retrain, false);
  assert.deepEqual(quiet.triggers.map((t) => t.fired), [false, false, false]);
  const drift = evaluateRetraining({
    datasetDrift: p.driftShare,
    rmseDegradation: 0,
    modelAgeDays: 1,
  }, p);
  assert.equal(drift.retrain, true);
  assert.deepEqual(drift.triggers.map((t) => t.name), [
    "data_drift",
    "rmse_degradation",
    "model_age",
  ]);
  assert.equal(drift.triggers[0]!.fired, true);
  const rmse = evaluateRetraining(
    { datasetDrift: null, rmseDegradation: 12.5, modelAgeDays: null },
    {
      ...p,
      rmseDegradationPct: 12,
    },
  );
  assert.equal(rmse.retrain, true);
  assert.match(rmse.triggers[0]!.reason, /not measured/);
  assert.match(rmse.triggers[1]!.reason, /12.5% >= threshold 12%/);
  const old = evaluateRetraining({ datasetDrift: 0, rmseDegradation: 0, modelAgeDays: 400 });
  assert.equal(old.triggers[2]!.fired, true);
  assert.throws(
    () => evaluateRetraining(quiet.triggers as never, { ...p, driftShare: 2 }),
    RangeError,
  );
});
