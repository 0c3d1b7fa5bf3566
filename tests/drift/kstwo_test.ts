import assert from "node:assert/strict";
import { kstwoCdf, kstwoSf, smirnovSf } from "../../src/drift/kstwo.ts";
import { assertClose, EXTRA } from "./_fixtures.ts";

Deno.test("kstwo sf and cdf match scipy over every branch of kolmogn", () => {
  // The fixture covers n from 1 to 2e6 and n·x² from 0.3 to 400: Ruben-Gambino, Durbin
  // matrix, Pomeranz, Pelz-Good, the Smirnov tail and the zero tail.
  assert.ok(EXTRA.kstwo.length > 200);
  for (const e of EXTRA.kstwo) {
    assertClose(kstwoSf(e.x, e.n), e.sf, `kstwo.sf(${e.x}, ${e.n})`);
    assertClose(kstwoCdf(e.x, e.n), e.cdf, `kstwo.cdf(${e.x}, ${e.n})`);
  }
});

Deno.test("smirnov matches scipy special.smirnov", () => {
  for (const e of EXTRA.smirnov) assertClose(smirnovSf(e.n, e.x), e.sf, `smirnov(${e.n}, ${e.x})`);
});

Deno.test("kstwo rejects a non-integer n and handles the ends", () => {
  assert.throws(() => kstwoSf(0.1, 2.5), RangeError);
  assert.equal(kstwoSf(0, 10), 1);
  assert.equal(kstwoSf(1, 10), 0);
  // D_1 is uniform on [1/2, 1]: P(D_1 > 0.75) = 0.5.
  assertClose(kstwoSf(0.75, 1), 0.5, "kstwo.sf(0.75, 1)");
});
