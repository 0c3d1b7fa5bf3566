/**
 * The Kolmogorov distribution of the two-sided one-sample statistic D_n (scipy `kstwo`)
 * and the exact one-sided Smirnov distribution (scipy `special.smirnov`).
 *
 * The branch structure follows scipy 1.10's `_ksstats._kolmogn` (Simard & L'Ecuyer 2011,
 * "Computing the two-sided Kolmogorov-Smirnov distribution", J. Stat. Softw. 39(11)):
 * Ruben-Gambino closed forms near the ends, the Durbin matrix (Marsaglia, Tsang & Wang
 * 2003) and the Pomeranz (1974) recursion for small n, the Pelz-Good (1976) series for
 * large n, and 2·smirnov(n, x) in the upper tail. scipy's ks_2samp uses
 * `kstwo.sf(d, round(n1·n2/(n1+n2)))` as its asymptotic p-value, so matching these
 * branches is what makes our p-values agree with scipy's to 1e-9.
 * @module
 */

import { ldexp } from "./special.ts";

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const MIN_LOG = -708;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT2PI = Math.sqrt(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
// cephes MINLOG = log(2^-1022): below it the Smirnov tail underflows.
const CEPHES_MINLOG = -708.3964185322641;
const DBL_EPSILON = 2.220446049250313e-16;
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
const STIRLING = [
  -2.955065359477124183e-2,
  6.4102564102564102564e-3,
  -1.9175269175269175269e-3,
  8.4175084175084175084e-4,
  -5.952380952380952381e-4,
  7.9365079365079365079e-4,
  -2.7777777777777777778e-3,
  8.3333333333333333333e-2,
];

const clip01 = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);

function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

// Exact product n·x as hi + lo (Dekker), so floor(n·x) is right even when n·x rounds up
// onto an integer.
function exactProduct(a: number, b: number): [number, number] {
  const split = (v: number): [number, number] => {
    const c = 134217729 * v; // 2^27 + 1
    const hi = c - (c - v);
    return [hi, v - hi];
  };
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const err = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  return [p, err];
}

/**
 * Survival function of the one-sided Smirnov statistic, P(D+_n > x), by the
 * Birnbaum-Tingey sum x·Σ_{v=0}^{n-⌊nx⌋-1} C(n,v)(x+v/n)^(v-1)(1-x-v/n)^(n-v).
 * All terms are positive, so the sum is stable; each term is formed in logs (the binomial
 * log with compensated summation) to avoid underflow at large n. scipy's double-double
 * version is more accurate still; ours agrees to about 1e-11 relative.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1) || !Number.isInteger(n)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const [nx, err] = exactProduct(n, x);
  let nxfl = Math.floor(nx);
  let alpha = nx - nxfl + err;
  if (alpha < 0) {
    nxfl -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    nxfl += 1;
    alpha = 0;
  }
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    return clip01(1 - x * Math.pow(1 + x, n - 1));
  }
  if (-2 * n * x * x < CEPHES_MINLOG) return 0;
  if (nxfl >= n - 1) return clip01(Math.pow(1 - x, n));
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -Math.pow(6 * n * x + 1, 2) / 18 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }
  const nTerms = n - nxfl;
  let sum = 0;
  let logC = 0;
  let logCComp = 0; // Neumaier compensation for the running log-binomial
  for (let v = 0; v < nTerms; v++) {
    const up = (nxfl + v + alpha) / n; // x + v/n
    const down = (n - nxfl - v - alpha) / n; // 1 - x - v/n
    const logTerm = logC + logCComp + (v - 1) * Math.log(up) + (n - v) * Math.log(down);
    const term = Math.exp(logTerm);
    sum += term;
    if (term !== 0) {
      if (4 * (nTerms - v) * term < DBL_EPSILON * sum && v !== nTerms - 1 && v > 0) break;
    } else if (v > n / 2) break;
    const inc = Math.log((n - v) / (v + 1));
    const t = logC + inc;
    logCComp += Math.abs(logC) >= Math.abs(inc) ? (logC - t) + inc : (inc - t) + logC;
    logC = t;
  }
  return clip01(x * sum);
}

/** Durbin's matrix method (Marsaglia-Tsang-Wang form): P(D_n ≤ d). */
function kolmogornDMTW(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - Math.pow(h, j)) * fac;
  }
  const tt = Math.pow(Math.max(2 * h - 1, 0), m) - 2 * Math.pow(h, m);
  v[m - 1] = (1 + tt) * fac;
  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      P = matmul(P, H, m);
      expnt += hExpnt;
    }
    H = matmul(H, H, m);
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > EP128) {
      for (let i = 0; i < H.length; i++) H[i]! /= EP128;
      hExpnt += E128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= E128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

function matmul(A: Float64Array, B: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const a = A[i * m + l]!;
      if (a === 0) continue;
      const bRow = l * m;
      const cRow = i * m;
      for (let j = 0; j < m; j++) C[cRow + j]! += a * B[bRow + j]!;
    }
  }
  return C;
}

function pomeranzJ1J2(
  i: number,
  n: number,
  ll: number,
  ceilf: number,
  roundf: number,
): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pomeranz's recursion: P(D_n ≤ x). */
function kolmogornPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  const gn = g / n;
  const twogn = (2 * g) / n;
  const onem2gn = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gn) / m;
    twogpower[m] = (twogpower[m - 1]! * twogn) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * onem2gn) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let expnt = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const off = k1 - V0s;
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let maxV = -Infinity;
      for (let o = 0; o < convLen; o++) {
        // Entry convStart+o of the full convolution of V0[off : off+ln2] with pwrs[:ln2].
        const idx = convStart + o;
        let s = 0;
        const aLo = Math.max(0, idx - ln2 + 1);
        const aHi = Math.min(idx, ln2 - 1, npwrs - 1 - off);
        for (let a = aLo; a <= aHi; a++) s += V0[off + a]! * pwrs[idx - a]!;
        V1[o] = s;
        if (s > maxV) maxV = s;
      }
      if (maxV > 0 && maxV < EM128) {
        for (let o = 0; o < npwrs; o++) V1[o]! *= EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/** Pelz-Good asymptotic series: P(D_n ≤ x). */
function kolmogornPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = Math.pow(q, 8 * k);
    K[0] = K[0]! * qp + 1;
    K[1] = K[1]! * qp + (k1a + k1b * m2);
    K[2] = K[2]! * qp + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3]! * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const den = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / den[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qpw = Math.pow(q, k2);
    k2extra += k2 * qpw;
    const kpi = Math.PI * k;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qpw;
  }
  K[2] = K[2]! + (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] = K[3]! + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / Math.pow(n, i / 2);
  return sum;
}

function kolmogn(n: number, x: number, cdf: boolean): number {
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(
      `Cannot compute the Kolmogorov distribution: expected n a positive integer, got ${n}`,
    );
  }
  if (Number.isNaN(x)) return NaN;
  const pick = (cdfProb: number): number => clip01(cdf ? cdfProb : 1 - cdfProb);
  // Tail branches compute the survival probability directly; keep it (no 1 - (1 - p)).
  const pickSf = (sfProb: number): number => clip01(cdf ? 1 - sfProb : sfProb);
  if (x >= 1) return cdf ? 1 : 0;
  if (x <= 0) return cdf ? 0 : 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return cdf ? 0 : 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    return pick(prob);
  }
  if (t >= n - 1) return pickSf(2 * Math.pow(1 - x, n));
  if (x >= 0.5) return pickSf(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return pick(kolmogornDMTW(n, x));
    if (nx2 <= 4) return pick(kolmogornPomeranz(n, x));
    return pickSf(2 * smirnovSf(n, x));
  }
  if (!cdf) {
    if (nx2 >= 370) return 0;
    if (nx2 >= 2.2) return clip01(2 * smirnovSf(n, x));
  }
  let cdfProb: number;
  if (nx2 >= 18) cdfProb = 1;
  else if (n <= 100000 && n * Math.pow(x, 1.5) <= 1.4) cdfProb = kolmogornDMTW(n, x);
  else cdfProb = kolmogornPelzGood(n, x);
  return pick(cdfProb);
}

/** P(D_n > x) for the two-sided one-sample KS statistic (scipy `kstwo.sf(x, n)`). */
export function kstwoSf(x: number, n: number): number {
  return kolmogn(n, x, false);
}

/** P(D_n ≤ x) for the two-sided one-sample KS statistic (scipy `kstwo.cdf(x, n)`). */
export function kstwoCdf(x: number, n: number): number {
  return kolmogn(n, x, true);
}
