import assert from "node:assert/strict";
import { parse } from "yaml";
import { DEFAULT_RETRAIN_POLICY, type RetrainPolicy } from "../../src/drift/retrain_policy.ts";
import driftStage from "../../pipeline/drift.ts";

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

// Flat keys of the drift stage's section: `drift.<key>` in params.yaml.
const KEYS: [keyof RetrainPolicy, string][] = [
  ["driftShare", "drift.retrain_drift_share"],
  ["rmseDegradationPct", "drift.retrain_rmse_degradation_pct"],
  ["maxModelAgeDays", "drift.retrain_max_model_age_days"],
];

Deno.test("RETRAINING_PLAN.md states the default thresholds", () => {
  for (const [field, key] of KEYS) {
    assert.equal(planThreshold(key), DEFAULT_RETRAIN_POLICY[field], key);
    // The prose repeats each number in bold too.
    assert.ok(plan.includes(`**${DEFAULT_RETRAIN_POLICY[field]}**`), `prose mentions ${key}`);
  }
});

Deno.test("params.yaml and the drift stage's defaults agree with the plan", () => {
  const text = Deno.readTextFileSync(new URL("params.yaml", root));
  const params = parse(text) as { drift?: Record<string, unknown> };
  const section = params?.drift;
  assert.ok(section, "params.yaml has a drift section");
  for (const [field, key] of KEYS) {
    const leaf = key.split(".").pop()!;
    assert.equal(typeof section[leaf], "number", `${key} is set in params.yaml`);
    assert.equal(Number(section[leaf]), planThreshold(key), `${key} in params.yaml vs the plan`);
    // The stage falls back to the same numbers when params.yaml leaves a key out.
    const decl = driftStage.params[leaf as keyof typeof driftStage.params];
    assert.ok(decl, `the drift stage declares ${leaf}`);
    assert.equal(decl.default, DEFAULT_RETRAIN_POLICY[field], `drift stage default of ${leaf}`);
  }
});
