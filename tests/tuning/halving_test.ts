import assert from "node:assert/strict";
import { rungBudgets, successiveHalving } from "../../src/tuning/successive_halving.ts";
import { sampleConfigs, TUNED_KEYS } from "../../src/tuning/search_space.ts";
import { mergeTuned } from "../../src/tuning/gbdt_params.ts";
import { sampleRowIndices, takeRows } from "../../src/tuning/row_sample.ts";
import { resolveParams } from "../../src/gbdt/params.ts";

Deno.test("rungBudgets multiplies by eta and ends at the maximum", () => {
  assert.deepEqual(rungBudgets(3, 20, 150), [20, 60, 150]);
  assert.deepEqual(rungBudgets(3, 10, 90), [10, 30, 90]);
  assert.deepEqual(rungBudgets(2, 5, 5), [5]);
  assert.throws(() => rungBudgets(1, 5, 10), /eta must be >= 2/);
  assert.throws(() => rungBudgets(3, 10, 5), /minBudget <= maxBudget/);
});

Deno.test("successive halving keeps the best of a known landscape", async () => {
  // Config x in 0..26; the score falls with budget towards (x - 17)^2, and early rungs
  // add noise that never flips the order of configurations more than 3 apart.
  const configs = Array.from({ length: 27 }, (_, i) => i);
  const calls: { x: number; budget: number }[] = [];
  const r = await successiveHalving(configs, (x, { budget }) => {
    calls.push({ x, budget });
    return Promise.resolve((x - 17) ** 2 + 100 / budget);
  }, { eta: 3, minBudget: 1, maxBudget: 9 });
  assert.deepEqual(r.budgets, [1, 3, 9]);
  assert.equal(r.best?.config, 17);
  assert.equal(r.best?.rung, 2);
  // 27 at rung 0, 9 at rung 1, 3 at rung 2.
  assert.deepEqual([0, 1, 2].map((k) => r.trials.filter((t) => t.rung === k).length), [27, 9, 3]);
  assert.deepEqual(
    r.trials.filter((t) => t.rung === 2).map((t) => t.config).sort((a, b) => a - b),
    [16, 17, 18],
  );
  assert.equal(calls.length, 39);
  assert.ok(r.trials.every((t, i) => t.id === i));
  assert.equal(r.stopped, false);
});

Deno.test("successive halving stops at the deadline and keeps the best of the highest rung", async () => {
  let budgetLeft = 12; // trials allowed
  const r = await successiveHalving(
    Array.from({ length: 9 }, (_, i) => i),
    (x) => Promise.resolve(Math.abs(x - 4)),
    { eta: 3, minBudget: 1, maxBudget: 9, stop: () => budgetLeft-- <= 0 },
  );
  assert.equal(r.stopped, true);
  assert.equal(r.trials.length, 12); // 9 at rung 0, then 3 at rung 1
  assert.equal(r.best?.rung, 1);
  assert.equal(r.best?.config, 4);
});

Deno.test("successive halving treats NaN as the worst score", async () => {
  const r = await successiveHalving([0, 1, 2], (x) => Promise.resolve(x === 0 ? NaN : x), {
    eta: 3,
    minBudget: 1,
    maxBudget: 3,
  });
  assert.equal(r.trials[0]!.score, Infinity);
  assert.equal(r.best?.config, 1);
});

Deno.test("sampled configurations are seeded and valid learner parameters", () => {
  const a = sampleConfigs(20, 42), b = sampleConfigs(20, 42), c = sampleConfigs(20, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  for (const cfg of a) {
    assert.deepEqual(Object.keys(cfg).sort(), [...TUNED_KEYS].sort());
    resolveParams(cfg); // throws on an invalid value
    assert.ok(cfg.learningRate >= 0.03 && cfg.learningRate <= 0.3);
  }
  assert.ok(a.some((x) => x.maxLeaves > 0) && a.some((x) => x.maxLeaves === 0));
});

Deno.test("mergeTuned: tuned keys override, others stay", () => {
  const m = mergeTuned({ nEstimators: 500, learningRate: 0.1, gamma: 2 }, {
    learningRate: 0.05,
    maxDepth: 4,
  });
  assert.deepEqual(m, { nEstimators: 500, learningRate: 0.05, gamma: 2, maxDepth: 4 });
  assert.deepEqual(mergeTuned({ learningRate: 0.1 }, null), { learningRate: 0.1 });
});

Deno.test("sampleRowIndices draws k distinct ascending rows, seeded", () => {
  const a = sampleRowIndices(1000, 100, 1);
  assert.equal(a.length, 100);
  for (let i = 1; i < a.length; i++) assert.ok(a[i]! > a[i - 1]!);
  assert.deepEqual(a, sampleRowIndices(1000, 100, 1));
  assert.equal(sampleRowIndices(5, 10, 1).length, 5);
  const t = takeRows(
    { data: Float32Array.from([1, 2, 3, 4, 5, 6]), nRows: 3, nCols: 2, names: ["a", "b"] },
    Float32Array.from([10, 20, 30]),
    [2, 0],
  );
  assert.deepEqual([...t.X.data], [5, 6, 1, 2]);
  assert.deepEqual([...t.y], [30, 10]);
});
