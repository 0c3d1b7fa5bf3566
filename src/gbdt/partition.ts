/**
 * Row partitioning: after a split, a node's segment of the row-index array is reordered so
 * that the rows going left come first, both sides in their original (ascending) order.
 * Gradients stay at their row index, so only row indices move.
 */
import { MISSING_BIN } from "./binning.ts";

/**
 * Stable partition of rows[s, e) by "bin of the split feature <= `bin`" (missing:
 * `missingLeft`), reading the feature's column-major bins at `col`: the left rows move to the
 * front of the range (rows[s, s + nLeft)), the right rows go to the scratch array at
 * tmpRows[s, s + nRight). Returns nLeft.
 */
export function partitionChunk(
  rows: Uint32Array,
  tmpRows: Uint32Array,
  bins: Uint8Array,
  col: number,
  bin: number,
  missingLeft: number,
  s: number,
  e: number,
): number {
  // A row's side by table (its bin's entry: 1 left, 0 right), one load in place of the
  // comparisons (about 25% less time per row on PRSA rows).
  side.fill(1, 0, bin + 1);
  side.fill(0, bin + 1, MISSING_BIN);
  side[MISSING_BIN] = missingLeft;
  let l = s, r = s;
  // Branch-free (the side of a row is a coin flip for the predictor): every row is written
  // to both sides and only one cursor moves (rows[l] is never ahead of the row being read).
  for (let i = s; i < e; i++) {
    const row = rows[i]!;
    const goLeft = side[bins[col + row]!]!;
    rows[l] = row;
    tmpRows[r] = row;
    l += goLeft;
    r += 1 - goLeft;
  }
  return l - s;
}

/** The side of each bin in the partition under way (this thread's). */
const side = new Uint8Array(MISSING_BIN + 1);
