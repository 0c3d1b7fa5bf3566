import assert from "node:assert/strict";
import { Pcg32 } from "../../src/gbdt/random.ts";
import { randomConfig, SPACE, toUnit, type TuneConfig } from "../../src/tuning/search_space.ts";
import { type Observation, proposeTpe } from "../../src/tuning/tpe.ts";

/** A smooth landscape with its minimum inside the space, and a better target form. */
function loss(c: TuneConfig): number {
  let s = 0;
  for (const d of SPACE) {
    const lo = toUnit(d, d.low), hi = toUnit(d, d.high);
    const u = (toUnit(d, c.params[d.key]) - lo) / (hi - lo);
    s += (u - 0.3) ** 2;
  }
  return s + (c.target === "change" ? 0 : 0.5);
}

function search(n: number, seed: number, tpe: boolean): number {
  const rng = new Pcg32(seed, 5);
  const forms = ["level", "change"] as const;
  const history: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const config = tpe ? proposeTpe(history, { forms, rng }) : randomConfig(rng, forms);
    history.push({ config, score: loss(config) });
  }
  return Math.min(...history.map((h) => h.score));
}

Deno.test("TPE finds better configurations than uniform draws for the same number of trials", () => {
  let tpe = 0, random = 0, wins = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const a = search(24, seed, true), b = search(24, seed, false);
    tpe += a;
    random += b;
    if (a < b) wins++;
  }
  assert.ok(tpe < 0.7 * random, `mean best: TPE ${tpe / 12}, random ${random / 12}`);
  assert.ok(wins >= 8, `TPE better on ${wins} of 12 seeds`);
});

Deno.test("TPE proposals are seeded, valid and random until the start-up trials are in", () => {
  const forms = ["level", "change"] as const;
  const h: Observation[] = [];
  const rngA = new Pcg32(3), rngB = new Pcg32(3);
  for (let i = 0; i < 10; i++) {
    const a = proposeTpe(h, { forms, rng: rngA }), b = proposeTpe(h, { forms, rng: rngB });
    assert.deepEqual(a, b);
    for (const d of SPACE) assert.ok(a.params[d.key] >= d.low && a.params[d.key] <= d.high);
    h.push({ config: a, score: loss(a) });
  }
  // Before 4 finite scores the proposal is a uniform draw (the same as randomConfig's).
  const r1 = new Pcg32(9), r2 = new Pcg32(9);
  assert.deepEqual(
    proposeTpe(h.slice(0, 3), { forms, rng: r1 }),
    randomConfig(r2, forms),
  );
  // Infinite scores (failed trials) do not count as history.
  const failed = h.map((o) => ({ ...o, score: Infinity }));
  const r3 = new Pcg32(9), r4 = new Pcg32(9);
  assert.deepEqual(proposeTpe(failed, { forms, rng: r3 }), randomConfig(r4, forms));
});
