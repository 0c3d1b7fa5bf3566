/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011, "Algorithms for hyper-parameter
 * optimization"): split the configurations tried so far at the γ-quantile of their score
 * into good and bad, model each set with Parzen windows per dimension (truncated normals
 * around the points plus a flat prior), draw candidates from the good model l(x) and keep
 * the one with the largest l(x) / g(x), the expected-improvement maximiser under TPE's
 * assumptions. Dimensions are modelled independently (as Optuna's default does); the target
 * form, a category, by smoothed frequencies. Seeded: the same history, the same proposal.
 */
import type { Pcg32 } from "../gbdt/random.ts";
import { configOf, randomConfig, SPACE, toUnit, type TuneConfig } from "./search_space.ts";
import type { TargetForm } from "./target.ts";

export interface TpeOptions {
  /** Share of the history taken as "good" (Bergstra et al.: 0.15-0.25). */
  gamma?: number;
  /** Candidates drawn from l(x) per proposal. */
  candidates?: number;
  /** Random configurations before the model is used. */
  startup?: number;
  forms: readonly TargetForm[];
  rng: Pcg32;
}

export interface Observation {
  config: TuneConfig;
  score: number;
}

/** The next configuration to try given the history (random until `startup` points). */
export function proposeTpe(history: readonly Observation[], o: TpeOptions): TuneConfig {
  const done = history.filter((h) => Number.isFinite(h.score));
  if (done.length < Math.max(2, o.startup ?? 4)) return randomConfig(o.rng, o.forms);
  const sorted = [...done].sort((a, b) => a.score - b.score);
  const nGood = Math.max(1, Math.ceil((o.gamma ?? 0.25) * sorted.length));
  const good = sorted.slice(0, nGood), bad = sorted.slice(nGood);
  const models = SPACE.map((d, k) => {
    const lo = toUnit(d, d.low) - (d.integer ? 0.5 : 0);
    const hi = toUnit(d, d.high) + (d.integer ? 0.5 : 0);
    const at = (h: Observation) => toUnit(d, h.config.params[d.key]);
    return { k, l: parzen(good.map(at), lo, hi), g: parzen(bad.map(at), lo, hi) };
  });
  const forms = o.forms;
  const freq = (set: Observation[]) =>
    forms.map((f) =>
      (set.filter((h) => h.config.target === f).length + 1) / (set.length + forms.length)
    );
  const lForm = freq(good), gForm = freq(bad);
  let best: TuneConfig | null = null, bestScore = -Infinity;
  for (let c = 0; c < (o.candidates ?? 24); c++) {
    const units = models.map((m) => sample(m.l, o.rng));
    let s = 0;
    models.forEach((
      m,
      k,
    ) => (s += Math.log(density(m.l, units[k]!)) - Math.log(density(m.g, units[k]!))));
    let fi = 0;
    if (forms.length > 1) {
      const u = o.rng.nextFloat();
      for (let acc = lForm[0]!; fi < forms.length - 1 && u >= acc; acc += lForm[++fi]!);
      s += Math.log(lForm[fi]!) - Math.log(gForm[fi]!);
    }
    if (s > bestScore) {
      bestScore = s;
      best = configOf(units, forms[fi]!);
    }
  }
  return best!;
}

/** A Parzen estimator on [lo, hi]: truncated normals at the points plus a flat prior. */
interface Parzen {
  mu: number[];
  sigma: number[];
  lo: number;
  hi: number;
}

function parzen(points: number[], lo: number, hi: number): Parzen {
  const range = hi - lo;
  // Bandwidth: the larger gap to a neighbour (Bergstra et al.), clipped to
  // [range / min(100, n + 1), range]; the prior is a normal as wide as the range.
  const order = points.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const sigma = new Array<number>(points.length);
  order.forEach(([p, i], r) => {
    const left = r > 0 ? p - order[r - 1]![0] : p - lo;
    const right = r < order.length - 1 ? order[r + 1]![0] - p : hi - p;
    const minS = range / Math.min(100, points.length + 1);
    sigma[i] = Math.min(range, Math.max(minS, left, right));
  });
  return { mu: [...points, (lo + hi) / 2], sigma: [...sigma, range], lo, hi };
}

function sample(p: Parzen, rng: Pcg32): number {
  const k = rng.nextInt(p.mu.length);
  const mu = p.mu[k]!, s = p.sigma[k]!;
  for (let tries = 0; tries < 64; tries++) {
    const v = mu + s * normal(rng);
    if (v >= p.lo && v <= p.hi) return v;
  }
  return Math.min(p.hi, Math.max(p.lo, mu));
}

function density(p: Parzen, x: number): number {
  let d = 0;
  for (let k = 0; k < p.mu.length; k++) {
    const mu = p.mu[k]!, s = p.sigma[k]!;
    const z = cdf((p.hi - mu) / s) - cdf((p.lo - mu) / s);
    d += Math.exp(-0.5 * ((x - mu) / s) ** 2) / (s * Math.sqrt(2 * Math.PI) * Math.max(z, 1e-12));
  }
  return Math.max(d / p.mu.length, 1e-300);
}

/** Box-Muller: one standard normal draw. */
function normal(rng: Pcg32): number {
  const u = 1 - rng.nextFloat(), v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Standard normal CDF through erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function cdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2, t = 1 / (1 + 0.3275911 * x);
  const y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 +
                t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}
