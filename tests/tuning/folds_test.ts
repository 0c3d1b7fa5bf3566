import assert from "node:assert/strict";
import { foldRows, rollingOriginFolds } from "../../src/tuning/folds.ts";

const H = 3_600_000;
const day = (s: string) => Date.parse(`${s}T00:00:00Z`);

Deno.test("rollingOriginFolds tiles the months before the test period, a gap before each block", () => {
  const folds = rollingOriginFolds({
    testStart: day("2016-03-01"),
    validMonths: 12,
    folds: 4,
    gapHours: 25,
  });
  assert.equal(folds.length, 4);
  assert.equal(folds[0]!.validStart, day("2015-03-01"));
  // The last block ends where the training period ends: test start less the gap.
  assert.equal(folds[3]!.validEnd, day("2016-03-01") - 25 * H);
  for (let k = 0; k < 4; k++) {
    const f = folds[k]!;
    assert.equal(f.fold, k);
    assert.equal(f.validStart - f.fitEnd, 25 * H, "gap before each block");
    if (k > 0) assert.equal(f.validStart, folds[k - 1]!.validEnd, "blocks are contiguous");
    // Equal blocks of whole hours (within one hour), about three months each: every season.
    const len = (f.validEnd - f.validStart) / H;
    assert.ok(Number.isInteger(len) && Math.abs(len - (365 * 24 + 24 - 25) / 4) <= 1, `${len}`);
    // Expanding window: each fold fits on more history than the one before.
    if (k > 0) assert.ok(f.fitEnd > folds[k - 1]!.fitEnd);
  }
  assert.throws(
    () =>
      rollingOriginFolds({
        testStart: day("2016-03-01"),
        validMonths: 1,
        folds: 2000,
        gapHours: 25,
      }),
    /Cannot make 2000 folds in 1 month\(s\) before 2016-03-01 with a gap of 25 h/,
  );
  assert.throws(
    () => rollingOriginFolds({ testStart: 0, validMonths: 1, folds: 0, gapHours: 1 }),
    /folds must be an integer >= 1/,
  );
});

Deno.test("foldRows: fitted rows end before the gap, the block is its own rows only", () => {
  const [f] = rollingOriginFolds({
    testStart: day("2020-01-11"),
    validMonths: 1,
    folds: 1,
    gapHours: 2,
  });
  const time = Array.from({ length: 24 * 50 }, (_, h) => day("2019-12-01") + h * H);
  const { fit, valid } = foldRows(time, f!);
  assert.ok(fit.length > 0 && valid.length > 0);
  assert.ok([...fit].every((i) => time[i]! < f!.validStart - 2 * H + 1));
  assert.ok([...valid].every((i) => time[i]! >= f!.validStart && time[i]! < f!.validEnd));
  // Nothing at or after the block's end (the test period) is fitted or validated.
  assert.ok([...fit, ...valid].every((i) => time[i]! < day("2020-01-11") - 2 * H));
  // The gap's rows are in neither set.
  const gap = time.filter((t) => t >= f!.fitEnd && t < f!.validStart);
  assert.equal(gap.length, 2);
  assert.equal(fit.length + valid.length + gap.length, time.filter((t) => t < f!.validEnd).length);
});
