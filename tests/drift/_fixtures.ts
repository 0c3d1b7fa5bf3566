// Shared loaders and tolerances for the drift tests.
import assert from "node:assert/strict";

const here = new URL(".", import.meta.url);

/** scipy 1.10.1 reference values (tests/fixtures/README.md). */
export const SHARED = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/drift_scipy.expected.json", here)),
);

/** Extra scipy 1.10.1 values, generated once by fixtures/make_scipy_extra.py. */
export const EXTRA = JSON.parse(
  Deno.readTextFileSync(new URL("fixtures/scipy_extra.json", here)),
);

/**
 * Agreement with scipy: relative 1e-9 (p-values span 1e-300..1, so an absolute bound would
 * be meaningless), with an absolute floor of 1e-15 for values that are 0 in scipy.
 */
export function assertClose(actual: number, expected: number, what: string, rtol = 1e-9): void {
  const ok = actual === expected ||
    Math.abs(actual - expected) <= rtol * Math.abs(expected) + 1e-300 ||
    (expected === 0 && Math.abs(actual) < 1e-15);
  assert.ok(ok, `${what}: expected ${expected}, got ${actual}`);
}
