/**
 * The ingest check: every line of a file is accounted for exactly once. The line count comes
 * from the file's bytes (line_count.ts); the kept and rejected line numbers are read back
 * from raw.parquet and rejects.parquet. Comparing the count, the sum and the sum of squares
 * of the line numbers with those of 1..n catches a lost line, a line counted twice, and a
 * lost line hidden by a repeated one.
 */

/** Count, sum and sum of squares of a set of line numbers. */
export interface LineTally {
  n: bigint;
  sum: bigint;
  squares: bigint;
}

export const EMPTY_TALLY: LineTally = { n: 0n, sum: 0n, squares: 0n };

/** Throws unless header (line 1) + kept + rejected are the lines 1..sourceLines, once each. */
export function assertAccounted(
  file: string,
  sourceLines: number,
  kept: LineTally,
  rejected: LineTally,
): void {
  const n = BigInt(sourceLines);
  const header = n > 0n ? 1n : 0n;
  const seen = {
    n: header + kept.n + rejected.n,
    sum: header + kept.sum + rejected.sum,
    squares: header + kept.squares + rejected.squares,
  };
  const expected = { n, sum: n * (n + 1n) / 2n, squares: n * (n + 1n) * (2n * n + 1n) / 6n };
  if (seen.n !== expected.n || seen.sum !== expected.sum || seen.squares !== expected.squares) {
    throw new Error(
      `Cannot account for the lines of "${file}": it has ${n} lines (${header} header), raw.parquet holds ${kept.n} and rejects.parquet ${rejected.n}${
        seen.n === expected.n ? ", but some line numbers are missing and others repeated" : ""
      }`,
    );
  }
}
