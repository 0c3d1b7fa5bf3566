/**
 * Successive halving (Jamieson & Talwalkar 2016; the inner loop of Hyperband, Li et al.
 * 2018): evaluate every configuration on a small budget, keep the best 1/eta, multiply the
 * budget by eta, repeat until the maximum budget. The objective is minimised.
 *
 * Configurations come as a list or from a proposer asked one at a time with the first
 * rung's trials so far (a model-based sampler such as TPE, tpe.ts: BOHB's arrangement,
 * Falkner et al. 2018). Protected configurations (the untuned default) are promoted to
 * the next rung whatever their rank, the best of them only: the last rung then always holds
 * the default, and the search cannot return a configuration that scored worse than it there.
 */

export interface Trial<C> {
  /** 0-based, in the order trials ran. */
  id: number;
  /** Index of the configuration in proposal order. */
  config_id: number;
  rung: number;
  config: C;
  budget: number;
  /** Objective value (lower is better); NaN from the objective is recorded as Infinity. */
  score: number;
  seconds: number;
  /** Whatever the objective returned beside the score (e.g. trees actually grown). */
  info: Record<string, unknown>;
}

/** Configurations asked one at a time: `propose` sees the first rung's trials so far. */
export interface Proposer<C> {
  count: number;
  propose(done: readonly Trial<C>[]): C;
}

export interface HalvingOptions {
  /** Keep the best 1/eta at each rung (>= 2). */
  eta: number;
  /** Budget of each rung, ascending; or minBudget · eta^k capped at maxBudget. */
  budgets?: readonly number[];
  minBudget?: number;
  maxBudget?: number;
  /** Config ids promoted whatever their rank (the best of them at each rung). */
  protect?: readonly number[];
  /** Checked before each trial: true stops the search (time budget spent). */
  stop?: () => boolean;
}

export interface RungContext {
  budget: number;
  rung: number;
  /** Number of rungs the schedule has (the last one runs at maxBudget). */
  rungs: number;
  trialId: number;
}

export type Objective<C> = (
  config: C,
  ctx: RungContext,
) => Promise<number | { score: number; info?: Record<string, unknown> }>;

export interface HalvingResult<C> {
  trials: Trial<C>[];
  /** Best trial of the highest rung reached (lowest score, then lowest id); null if none ran. */
  best: Trial<C> | null;
  budgets: number[];
  /** True when `stop` ended the search before the schedule did. */
  stopped: boolean;
}

/** Budgets min, min·eta, min·eta², ... capped at max, which is always the last rung. */
export function rungBudgets(eta: number, minBudget: number, maxBudget: number): number[] {
  if (!(eta >= 2)) throw new RangeError(`Cannot schedule halving: eta must be >= 2, got ${eta}`);
  if (!(minBudget > 0) || !(maxBudget >= minBudget)) {
    throw new RangeError(
      `Cannot schedule halving: expected 0 < minBudget <= maxBudget, got ${minBudget} and ${maxBudget}`,
    );
  }
  const out: number[] = [];
  for (let b = minBudget; b < maxBudget; b *= eta) out.push(Math.round(b));
  out.push(maxBudget);
  return out;
}

/** Shares of the data per rung: 1/eta^(rungs-1), ..., 1/eta, 1. */
export function rungShares(eta: number, rungs: number): number[] {
  if (!(eta >= 2)) throw new RangeError(`Cannot schedule halving: eta must be >= 2, got ${eta}`);
  if (!Number.isInteger(rungs) || rungs < 1) {
    throw new RangeError(`Cannot schedule halving: rungs must be an integer >= 1, got ${rungs}`);
  }
  return Array.from({ length: rungs }, (_, r) => eta ** (r - rungs + 1));
}

export async function successiveHalving<C>(
  configs: readonly C[] | Proposer<C>,
  objective: Objective<C>,
  options: HalvingOptions,
): Promise<HalvingResult<C>> {
  if (!(options.eta >= 2)) {
    throw new RangeError(`Cannot schedule halving: eta must be >= 2, got ${options.eta}`);
  }
  const budgets = options.budgets
    ? [...options.budgets]
    : rungBudgets(options.eta, options.minBudget ?? NaN, options.maxBudget ?? NaN);
  const proposer: Proposer<C> = Array.isArray(configs)
    ? { count: configs.length, propose: (done) => (configs as readonly C[])[done.length]! }
    : configs as Proposer<C>;
  const known: C[] = [];
  const trials: Trial<C>[] = [];
  let protect = new Set(options.protect ?? []);
  let alive = Array.from({ length: proposer.count }, (_, i) => i);
  let stopped = false;
  /** 1 when the rung's protected configuration came in on top of the ranked ones. */
  let extra = 0;
  let lastRung: Trial<C>[] = [];
  for (let rung = 0; rung < budgets.length && alive.length > 0; rung++) {
    const budget = budgets[rung]!;
    const thisRung: Trial<C>[] = [];
    // Protected configurations first: if the clock stops the search, they ran.
    const order = [...alive].sort((a, b) => Number(protect.has(b)) - Number(protect.has(a)));
    for (const i of rung === 0 ? alive : order) {
      if (options.stop?.()) {
        stopped = true;
        break;
      }
      if (rung === 0) known[i] = proposer.propose(thisRung);
      const t0 = performance.now();
      const r = await objective(known[i]!, {
        budget,
        rung,
        rungs: budgets.length,
        trialId: trials.length,
      });
      const raw = typeof r === "number" ? r : r.score;
      const trial: Trial<C> = {
        id: trials.length,
        config_id: i,
        rung,
        config: known[i]!,
        budget,
        score: Number.isNaN(raw) ? Infinity : raw,
        seconds: (performance.now() - t0) / 1000,
        info: typeof r === "number" ? {} : r.info ?? {},
      };
      trials.push(trial);
      thisRung.push(trial);
    }
    if (thisRung.length > 0) lastRung = thisRung;
    if (stopped) break;
    const ranked = [...thisRung].sort(byScore);
    // The schedule's counts (n, n/eta, ...) as if the protected one had not been added.
    const keep = Math.max(1, Math.ceil((thisRung.length - extra) / options.eta));
    alive = ranked.slice(0, keep).map((t) => t.config_id);
    const guard = ranked.find((t) => protect.has(t.config_id));
    protect = new Set(guard ? [guard.config_id] : []);
    extra = guard && !alive.includes(guard.config_id) ? 1 : 0;
    if (extra) alive.push(guard!.config_id);
  }
  const best = lastRung.length ? [...lastRung].sort(byScore)[0]! : null;
  return { trials, best, budgets, stopped };
}

function byScore<C>(a: Trial<C>, b: Trial<C>): number {
  return a.score - b.score || a.id - b.id;
}
