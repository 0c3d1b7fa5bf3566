/**
 * Successive halving (Jamieson & Talwalkar 2016; the inner loop of Hyperband, Li et al.
 * 2018): evaluate every configuration on a small budget, keep the best 1/eta, multiply the
 * budget by eta, repeat until the maximum budget. The objective is minimised.
 */

export interface Trial<C> {
  /** 0-based, in the order trials ran. */
  id: number;
  /** Index of the configuration in the input list. */
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

export interface HalvingOptions {
  /** Keep the best 1/eta at each rung and multiply the budget by eta (>= 2). */
  eta: number;
  minBudget: number;
  maxBudget: number;
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

export async function successiveHalving<C>(
  configs: readonly C[],
  objective: Objective<C>,
  options: HalvingOptions,
): Promise<HalvingResult<C>> {
  const budgets = rungBudgets(options.eta, options.minBudget, options.maxBudget);
  const trials: Trial<C>[] = [];
  let alive = configs.map((_, i) => i);
  let stopped = false;
  let lastRung: Trial<C>[] = [];
  for (let rung = 0; rung < budgets.length && alive.length > 0; rung++) {
    const budget = budgets[rung]!;
    const thisRung: Trial<C>[] = [];
    for (const i of alive) {
      if (options.stop?.()) {
        stopped = true;
        break;
      }
      const t0 = performance.now();
      const r = await objective(configs[i]!, {
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
        config: configs[i]!,
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
    const keep = Math.max(1, Math.ceil(thisRung.length / options.eta));
    alive = [...thisRung].sort(byScore).slice(0, keep).map((t) => t.config_id);
  }
  const best = lastRung.length ? [...lastRung].sort(byScore)[0]! : null;
  return { trials, best, budgets, stopped };
}

function byScore<C>(a: Trial<C>, b: Trial<C>): number {
  return a.score - b.score || a.id - b.id;
}
