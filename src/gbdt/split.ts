/**
 * Best split of a node from its histograms. Gain is XGBoost's (unhalved):
 * GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ); a split needs gain > gamma and each child's hessian
 * sum >= minChildWeight. Missing values are tried on each side and the better side is kept
 * (the learned default direction); a node without missing values sends them to the child
 * with the larger cover.
 */
import { MISSING_BIN } from "./binning.ts";
import { FEATURE_STRIDE } from "./histogram.ts";

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

/**
 * Best split over `features` (ascending; ties keep the first) of the node whose histogram
 * slot starts at `offset` in `hist`, with totals (G, H). `nBins[f]` = value bins of f.
 * Writes into `out` and returns it.
 */
export function findBestSplit(
  hist: Float64Array,
  offset: number,
  features: Int32Array,
  nActive: number,
  nBins: Int32Array,
  G: number,
  H: number,
  rules: SplitRules,
  out: Split,
): Split {
  const { lambda, minChildWeight: mcw } = rules;
  const parent = (G * G) / (H + lambda);
  // Rounding in the sums can make a useless split look barely positive.
  const minGain = Math.max(rules.gamma, 1e-10 * Math.abs(parent));
  const minH = Math.max(mcw, 1e-12);
  out.feature = -1;
  out.gain = 0;
  let best = minGain;
  for (let k = 0; k < nActive; k++) {
    const f = features[k]!;
    const o = offset + f * FEATURE_STRIDE;
    const nb = nBins[f]!;
    const gm = hist[o + 2 * MISSING_BIN]!, hm = hist[o + 2 * MISSING_BIN + 1]!;
    const hasMissing = hm > 0;
    let gl = 0, hl = 0;
    for (let b = 0; b < nb; b++) {
      gl += hist[o + 2 * b]!;
      hl += hist[o + 2 * b + 1]!;
      const last = b === nb - 1;
      if (last && !hasMissing) break;
      // Missing to the right (for the last bin: all values left, missing right).
      let gr = G - gl, hr = H - hl;
      if (hl >= minH && hr >= minH) {
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > best) {
          best = gain;
          out.feature = f;
          out.bin = b;
          out.defaultLeft = hasMissing ? false : hl >= hr;
          out.gain = gain;
          out.gradLeft = gl;
          out.hessLeft = hl;
          out.gradRight = gr;
          out.hessRight = hr;
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
          out.feature = f;
          out.bin = b;
          out.defaultLeft = true;
          out.gain = gain;
          out.gradLeft = gl2;
          out.hessLeft = hl2;
          out.gradRight = gr;
          out.hessRight = hr;
        }
      }
    }
  }
  return out;
}

/** Leaf weight −G/(H+λ) before shrinkage. */
export function leafWeight(G: number, H: number, lambda: number): number {
  return -G / (H + lambda);
}
