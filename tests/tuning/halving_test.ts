import assert from "node:assert/strict";
import { rungBudgets, rungShares, successiveHalving } from "../../src/tuning/successive_halving.ts";
import { sampleConfigs, SPACE, TUNED_KEYS } from "../../src/tuning/search_space.ts";
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
  const a = sampleConfigs(40, 42, ["level", "change"]),
    b = sampleConfigs(40, 42, ["level", "change"]);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, sampleConfigs(40, 43, ["level", "change"]));
  for (const cfg of a) {
    assert.deepEqual(Object.keys(cfg.params).sort(), [...TUNED_KEYS].sort());
    resolveParams(cfg.params); // throws on an invalid value
    for (const d of SPACE) {
      const v = cfg.params[d.key];
      assert.ok(v >= d.low && v <= d.high, `${d.key} ${v}`);
      if (d.integer) assert.ok(Number.isInteger(v));
    }
  }
  // Every depth and both target forms are drawn.
  assert.deepEqual(new Set(a.map((x) => x.params.maxDepth)).size, 7);
  assert.ok(a.some((x) => x.target === "level") && a.some((x) => x.target === "change"));
  assert.ok(sampleConfigs(10, 1).every((x) => x.target === "level"));
});

Deno.test("the search space holds the reference's settings", () => {
  const reference = {
    learningRate: 0.05,
    maxDepth: 8,
    subsample: 0.8,
    colsampleBytree: 0.8,
    minChildWeight: 1,
    lambda: 1,
  };
  for (const d of SPACE) {
    const v = reference[d.key];
    assert.ok(v >= d.low && v <= d.high, `${d.key} = ${v} is outside [${d.low}, ${d.high}]`);
  }
});

Deno.test("rungShares: all rows at the last rung, 1/eta less at each one before", () => {
  assert.deepEqual(rungShares(3, 3), [1 / 9, 1 / 3, 1]);
  assert.deepEqual(rungShares(2, 1), [1]);
  assert.throws(() => rungShares(3, 0), /rungs must be an integer >= 1/);
});

Deno.test("a protected configuration reaches the last rung whatever its rank", async () => {
  // Config 0 (the default) is the worst at every rung; it still runs at the last rung, and
  // the best returned is never worse than it there.
  const configs = [50, 1, 2, 3, 4, 5, 6, 7, 8];
  const r = await successiveHalving(configs, (x) => Promise.resolve(x), {
    eta: 3,
    budgets: [1, 3, 9],
    protect: [0],
  });
  const last = r.trials.filter((t) => t.rung === 2);
  assert.ok(last.some((t) => t.config_id === 0));
  assert.deepEqual(last.map((t) => t.config).sort((a, b) => a - b), [1, 50]);
  assert.equal(r.best?.config, 1);
  // Protected trials run first within a rung (so a wall-clock stop cannot skip them).
  assert.equal(r.trials.find((t) => t.rung === 1)!.config_id, 0);
  // Of several protected configurations, only the best is carried past the first rung.
  const two = await successiveHalving([40, 30, 1, 2, 3, 4], (x) => Promise.resolve(x), {
    eta: 3,
    budgets: [1, 3],
    protect: [0, 1],
  });
  assert.deepEqual(
    two.trials.filter((t) => t.rung === 1).map((t) => t.config).sort((a, b) => a - b),
    [1, 2, 30],
  );
});

Deno.test("a proposer sees the first rung's trials so far", async () => {
  const seen: number[] = [];
  const r = await successiveHalving<number>(
    {
      count: 4,
      propose: (done) => {
        seen.push(done.length);
        return done.length === 0 ? 10 : Math.min(...done.map((t) => t.config)) - 1;
      },
    },
    (x) => Promise.resolve(x),
    { eta: 2, budgets: [1, 2] },
  );
  assert.deepEqual(seen, [0, 1, 2, 3]);
  assert.deepEqual(r.trials.filter((t) => t.rung === 0).map((t) => t.config), [10, 9, 8, 7]);
  assert.equal(r.best?.config, 7);
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
