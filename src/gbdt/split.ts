/**
 * Best split of a node from its histograms. Gain is XGBoost's (unhalved):
 * GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ); a split needs gain > gamma and each child's hessian
 * sum >= minChildWeight. Missing values are tried on each side and the better side is kept
 * (the learned default direction); a node without missing values sends them to the child
 * with the larger cover.
 */
import { MISSING_BIN } from "./binning.ts";

export interface SplitRules {
  lambda: number;
  minChildWeight: number;
  gamma: number;
}

/** A split candidate; `feature` is -1 when the node has no valid split. */
export interface Split {
  feature: number;
  /** Bins 0..bin go left (missing aside). */
  bin: number;
  defaultLeft: boolean;
  gain: number;
  gradLeft: number;
  hessLeft: number;
  gradRight: number;
  hessRight: number;
}

export function emptySplit(): Split {
  return {
    feature: -1,
    bin: 0,
    defaultLeft: false,
    gain: 0,
    gradLeft: 0,
    hessLeft: 0,
    gradRight: 0,
    hessRight: 0,
  };
}

/** Float64 entries of one per-feature split record: gain, bin, defaultLeft, GL, HL, GR, HR. */
export const SPLIT_RECORD = 8;

/**
 * Best split of one feature (value bins 0..nb-1, missing bin at MISSING_BIN) of a node with
 * totals (G, H), from its histogram at `o`. Writes a record at `out[r]`; gain −1 = none
 * (a split must beat max(gamma, a rounding floor) and leave minChildWeight on each side).
 */
export function featureSplit(
  hist: Float64Array,
  o: number,
  nb: number,
  G: number,
  H: number,
  rules: SplitRules,
  out: Float64Array,
  r: number,
): void {
  const { lambda } = rules;
  const parent = (G * G) / (H + lambda);
  // Rounding in the sums can make a useless split look barely positive.
  let best = Math.max(rules.gamma, 1e-10 * Math.abs(parent));
  const minH = Math.max(rules.minChildWeight, 1e-12);
  out[r] = -1;
  const gm = hist[o + 2 * MISSING_BIN]!, hm = hist[o + 2 * MISSING_BIN + 1]!;
  const hasMissing = hm > 0;
  let gl = 0, hl = 0;
  for (let b = 0; b < nb; b++) {
    const g = hist[o + 2 * b]!, h = hist[o + 2 * b + 1]!;
    // An empty bin after the first leaves (gl, hl) as they were, so its candidates repeat
    // the previous bin's exactly and could not win (a tie keeps the earlier bin): skip it.
    // Small nodes have mostly empty bins, so this saves most of their search.
    if (h === 0 && g === 0 && b > 0) continue;
    gl += g;
    hl += h;
    const last = b === nb - 1;
    if (last && !hasMissing) break;
    // Missing to the right (for the last bin: all values left, missing right).
    let gr = G - gl, hr = H - hl;
    if (hl >= minH && hr >= minH) {
      const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
      if (gain > best) {
        best = gain;
        write(out, r, gain, b, hasMissing ? 0 : hl >= hr ? 1 : 0, gl, hl, gr, hr);
      }
    }
    if (!hasMissing || last) continue;
    // Missing to the left.
    const gl2 = gl + gm, hl2 = hl + hm;
    gr = G - gl2;
    hr = H - hl2;
    if (hl2 >= minH && hr >= minH) {
      const gain = (gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parent;
      if (gain > best) {
        best = gain;
        write(out, r, gain, b, 1, gl2, hl2, gr, hr);
      }
    }
  }
}

function write(
  out: Float64Array,
  r: number,
  gain: number,
  bin: number,
  defaultLeft: number,
  gl: number,
  hl: number,
  gr: number,
  hr: number,
): void {
  out[r] = gain;
  out[r + 1] = bin;
  out[r + 2] = defaultLeft;
  out[r + 3] = gl;
  out[r + 4] = hl;
  out[r + 5] = gr;
  out[r + 6] = hr;
}

/**
 * The best of the per-feature records at `out[base + f * SPLIT_RECORD]` over `features`
 * (ascending): the first largest gain wins, exactly as one sequential scan would choose.
 */
export function pickSplit(
  records: Float64Array,
  base: number,
  features: Int32Array,
  nActive: number,
): Split {
  const s = emptySplit();
  let best = 0;
  for (let k = 0; k < nActive; k++) {
    const f = features[k]!;
    const r = base + f * SPLIT_RECORD;
    const gain = records[r]!;
    if (gain > best) {
      best = gain;
      s.feature = f;
      s.gain = gain;
      s.bin = records[r + 1]!;
      s.defaultLeft = records[r + 2] === 1;
      s.gradLeft = records[r + 3]!;
      s.hessLeft = records[r + 4]!;
      s.gradRight = records[r + 5]!;
      s.hessRight = records[r + 6]!;
    }
  }
  return s;
}

/** Leaf weight −G/(H+λ) before shrinkage. */
export function leafWeight(G: number, H: number, lambda: number): number {
  return -G / (H + lambda);
}
