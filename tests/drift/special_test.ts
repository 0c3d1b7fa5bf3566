import assert from "node:assert/strict";
import {
  chi2Sf,
  gammaP,
  gammaQ,
  ldexp,
  logGamma,
  normalIsf,
  normalSf,
} from "../../src/drift/special.ts";
import { assertClose, EXTRA } from "./_fixtures.ts";

Deno.test("logGamma matches scipy gammaln and exact factorials", () => {
  for (const e of EXTRA.gammaln) {
    if (e.value === 0) assert.ok(Math.abs(logGamma(e.x)) < 1e-14, `gammaln(${e.x})`);
    else assertClose(logGamma(e.x), e.value, `gammaln(${e.x})`, 1e-13);
  }
  // Γ(11) = 10! = 3628800, Γ(1/2) = √π.
  assertClose(logGamma(11), Math.log(3628800), "lgamma(11)", 1e-14);
  assertClose(logGamma(0.5), 0.5 * Math.log(Math.PI), "lgamma(1/2)", 1e-14);
});

Deno.test("gammaP and gammaQ match scipy gammainc and gammaincc", () => {
  for (const e of EXTRA.gammaincc) {
    assertClose(gammaQ(e.a, e.x), e.q, `gammaincc(${e.a}, ${e.x})`, 1e-11);
    assertClose(gammaP(e.a, e.x), e.p, `gammainc(${e.a}, ${e.x})`, 1e-11);
  }
});

Deno.test("chi2Sf has the closed forms of 2 degrees of freedom", () => {
  // For dof = 2, P(X > s) = exp(-s/2).
  for (const s of [0.1, 1, 5, 40]) {
    assertClose(chi2Sf(s, 2), Math.exp(-s / 2), `chi2Sf(${s}, 2)`, 1e-13);
  }
  assert.equal(chi2Sf(0, 3), 1);
  assert.throws(() => chi2Sf(1, 0), RangeError);
});

Deno.test("normalSf matches scipy norm.sf, tails included", () => {
  for (const e of EXTRA.norm_sf) assertClose(normalSf(e.z), e.sf, `norm.sf(${e.z})`, 1e-12);
  assertClose(normalSf(-1.96), 1 - EXTRA.norm_sf[2].sf, "norm.sf(-1.96)", 1e-14);
});

Deno.test("normalIsf matches scipy norm.isf from the centre to 1e-300, and inverts normalSf", () => {
  for (const e of EXTRA.norm_isf) {
    if (e.z === 0) assert.equal(normalIsf(e.p), 0);
    else assertClose(normalIsf(e.p), e.z, `norm.isf(${e.p})`, 1e-10);
  }
  for (const z of [-3, 0.7, 2.5, 8]) assertClose(normalIsf(normalSf(z)), z, `isf(sf(${z}))`, 1e-10);
  assert.throws(() => normalIsf(0), RangeError);
  assert.throws(() => normalIsf(1), RangeError);
});

Deno.test("ldexp survives exponents beyond the double range of 2^e", () => {
  assert.equal(ldexp(2 ** 600, -1200), 2 ** -600);
  assert.equal(ldexp(1, 10), 1024);
});
