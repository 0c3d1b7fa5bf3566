import assert from "node:assert/strict";
import { psi, quantileSorted } from "../../src/drift/psi.ts";

// Slow reference: bins assigned one value at a time by scanning the edges.
function naivePsi(ref: number[], cur: number[], bins: number, eps: number): number {
  const sorted = ref.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const pos = (sorted.length - 1) * k / bins;
    const lo = Math.floor(pos);
    const e = sorted[lo]! +
      (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (pos - lo);
    if (!edges.includes(e)) edges.push(e);
  }
  const shares = (xs: number[]) => {
    const counts = new Array(edges.length + 2).fill(0);
    for (const x of xs) {
      if (Number.isNaN(x)) counts[edges.length + 1]++;
      else {
        let b = 0;
        while (b < edges.length && x > edges[b]!) b++;
        counts[b]++;
      }
    }
    return counts.map((c) => c / xs.length);
  };
  const r = shares(ref);
  const c = shares(cur);
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const a = Math.max(r[i]!, eps);
    const b = Math.max(c[i]!, eps);
    s += (b - a) * Math.log(b / a);
  }
  return s;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

Deno.test("psi equals the slow reference, with ties and missing values", () => {
  const rnd = lcg(7);
  const ref = Array.from({ length: 500 }, () => Math.round(rnd() * 40) / 4);
  const cur = Array.from(
    { length: 300 },
    () => (rnd() < 0.05 ? NaN : Math.round((rnd() + 0.2) * 40) / 4),
  );
  const got = psi(ref, cur);
  const want = naivePsi(ref, cur, 10, 1e-4);
  assert.ok(Math.abs(got.psi - want) < 1e-12, `psi ${got.psi} vs ${want}`);
  assert.ok(got.psi > 0.1, "a 20% shift is a moderate or major PSI");
  assert.ok(got.currentShares[got.currentShares.length - 1]! > 0, "missing bin is counted");
});

Deno.test("psi is 0 on identical samples and finite with empty bins", () => {
  const a = Array.from({ length: 100 }, (_, i) => i);
  assert.equal(psi(a, a).psi, 0);
  const far = psi(a, a.map((x) => x + 1000));
  assert.ok(Number.isFinite(far.psi) && far.psi > 1);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.throws(() => psi(a, a, { bins: 0 }), RangeError);
});
