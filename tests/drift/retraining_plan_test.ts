import assert from "node:assert/strict";
import { parse } from "yaml";
import { DEFAULT_RETRAIN_POLICY, type RetrainPolicy } from "../../src/drift/retrain_policy.ts";

const root = new URL("../../", import.meta.url);
const plan = Deno.readTextFileSync(new URL("governance/RETRAINING_PLAN.md", root));

// Threshold of the table row whose params key is `key`: the bold number in its last cell.
function planThreshold(key: string): number {
  const row = plan.split("\n").find((l) => l.startsWith("|") && l.includes(`\`${key}\``));
  assert.ok(row, `RETRAINING_PLAN.md has no table row for ${key}`);
  const m = row.match(/\*\*([0-9.]+)\*\*[^|]*\|\s*$/);
  assert.ok(m, `Cannot read the threshold of ${key}: expected **number** in the last cell`);
  return Number(m[1]);
}

const KEYS: [keyof RetrainPolicy, string][] = [
  ["driftShare", "drift.retrain.drift_share"],
  ["rmseDegradationPct", "drift.retrain.rmse_degradation_pct"],
  ["maxModelAgeDays", "drift.retrain.max_model_age_days"],
];

Deno.test("RETRAINING_PLAN.md states the default thresholds", () => {
  for (const [field, key] of KEYS) {
    assert.equal(planThreshold(key), DEFAULT_RETRAIN_POLICY[field], key);
    // The prose repeats each number in bold too.
    assert.ok(plan.includes(`**${DEFAULT_RETRAIN_POLICY[field]}**`), `prose mentions ${key}`);
  }
});

Deno.test("params.yaml, when present, agrees with the plan", () => {
  let text: string;
  try {
    text = Deno.readTextFileSync(new URL("params.yaml", root));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return; // the lead engineer adds it later
    throw e;
  }
  const params = parse(text) as { drift?: { retrain?: Record<string, unknown> } };
  const retrain = params?.drift?.retrain;
  if (retrain === undefined) return; // no overrides: the defaults apply
  for (const [, key] of KEYS) {
    const leaf = key.split(".").pop()!;
    if (retrain[leaf] === undefined) continue;
    assert.equal(Number(retrain[leaf]), planThreshold(key), `${key} in params.yaml vs the plan`);
  }
});
