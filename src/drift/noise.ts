/**
 * The noise of each check, measured on the reference itself, and the decision it supports.
 *
 * Each piece of the reference (null_draws.ts) is thinned to the window's row count and
 * compared with the rest of the reference's same-season rows; the spread of its statistics
 * is the noise. On a log scale (statistic + a small offset, so that zero is allowed) the
 * window's statistic gets a z-score against the pieces' mean and standard deviation:
 *
 * - "drift": z ≥ zDrift (3) and the statistic at least the smallest shift that matters;
 * - "within_noise": zWarn (2) ≤ z < zDrift with the same floor: near the threshold, where a
 *   verdict would flip from one month to the next on noise alone;
 * - "ok": otherwise.
 * @module
 */

import { Pcg32 } from "../gbdt/random.ts";
import { type CheckName, type CheckOptions, checkValues, type ColumnValues } from "./checks.ts";
import { type NullPlan, thin } from "./null_draws.ts";
import { type ColumnIndex, type ReferenceIndex, sortedRowsOf } from "./reference_index.ts";

/** A check's verdict. */
export type CheckState = "drift" | "within_noise" | "ok" | "not_run";

/** Settings of the decision. */
export interface DecisionOptions {
  zDrift: number;
  zWarn: number;
  /** Smallest statistic that can be called drift, per check. */
  minEffect: Record<CheckName, number>;
  /** Fewest pieces with a value for a noise estimate. */
  minDraws: number;
}

/** Offsets of the log scale, per check: well below the smallest shift that matters. */
export const LOG_OFFSET: Readonly<Record<CheckName, number>> = Object.freeze({
  distribution: 0.01,
  missing: 0.005,
  stuck: 0.001,
});

/**
 * Floor of the noise's standard deviation on the log scale: a reference whose pieces all
 * agree (no stuck values anywhere) must not make the tiniest statistic "significant".
 */
export const SD_FLOOR = 0.15;

/** One decision with the figures behind it. */
export interface Decision {
  state: CheckState;
  z: number | null;
  /** Statistic at which z reaches zDrift (before the floor). */
  threshold: number | null;
  /** Typical statistic of a reference piece (median). */
  typical: number | null;
  draws: number;
  note: string;
}

/** Decide one statistic against its null values. */
export function decide(
  check: CheckName,
  value: number | null,
  nulls: readonly number[] | undefined,
  o: DecisionOptions,
): Decision {
  const draws = nulls?.length ?? 0;
  if (value === null || !Number.isFinite(value)) {
    return { state: "not_run", z: null, threshold: null, typical: null, draws, note: "" };
  }
  if (!nulls || draws < o.minDraws) {
    return {
      state: "not_run",
      z: null,
      threshold: null,
      typical: null,
      draws,
      note:
        `Noise unknown: the reference gave ${draws} comparable pieces, at least ${o.minDraws} needed`,
    };
  }
  const c = LOG_OFFSET[check];
  const logs = nulls.map((x) => Math.log(x + c));
  const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
  const sd = Math.max(
    SD_FLOOR,
    Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, logs.length - 1)),
  );
  const z = (Math.log(value + c) - mean) / sd;
  const big = value >= o.minEffect[check];
  const state: CheckState = z >= o.zDrift && big
    ? "drift"
    : z >= o.zWarn && big
    ? "within_noise"
    : "ok";
  const sorted = [...nulls].sort((a, b) => a - b);
  return {
    state,
    z,
    threshold: Math.exp(mean + o.zDrift * sd) - c,
    typical: sorted[Math.floor(sorted.length / 2)]!,
    draws,
    note: "",
  };
}

/** A tested column as the null computation needs it. */
export interface NullColumn {
  name: string;
  col: ColumnIndex;
  checks: readonly CheckName[];
}

/**
 * The statistics of every piece of `plan`, per column and check (memoized on the index).
 * `rows` is the window's row count; `whole` compares pieces with the whole reference
 * instead of their own season.
 */
export function nullStatistics(
  idx: ReferenceIndex,
  plan: NullPlan,
  columns: readonly NullColumn[],
  rows: number,
  whole: boolean,
  o: CheckOptions & { seed: number },
): Map<string, Record<CheckName, number[]>> {
  // Row counts within 10% share one estimate: the noise barely changes over that range.
  const size = Math.round(Math.log(Math.max(1, rows)) / Math.log(1.1));
  const memoKey = `null|${plan.method}|${plan.drawDays}|${plan.blockDays}|${size}|${whole}|${
    columns.map((c) => `${c.name}:${c.checks.join("+")}`).join(",")
  }|${o.minSampleSize}|${o.runLength}|${o.stdFloor}|${o.seed}`;
  const hit = idx.memo.get(memoKey) as Map<string, Record<CheckName, number[]>> | undefined;
  if (hit) return hit;
  const target = Math.round(1.1 ** size);
  const out = new Map<string, Record<CheckName, number[]>>();
  for (const c of columns) out.set(c.name, { distribution: [], missing: [], stuck: [] });
  plan.draws.forEach((draw, d) => {
    const rng = new Pcg32(o.seed + d, 0x7417);
    const picked = draw.rows.length > 1.1 * target ? thin(draw.rows, target, rng) : draw.rows;
    for (const c of columns) {
      const comparison = {
        keys: whole ? idx.keys : draw.keys,
        exclude: draw.exclude,
        ...(c.col.kind === "numeric" ? { excludeSorted: sortedRowsOf(c.col, draw.exclude) } : {}),
      };
      const values: ColumnValues = c.col.kind === "numeric"
        ? { numbers: c.col.values, codes: null, unseen: [] }
        : { numbers: null, codes: c.col.codes, unseen: [] };
      const stuck = c.checks.includes("stuck") ? { rows: draw.rows, groupOf: idx.group } : null;
      const v = checkValues(c.col, values, picked, stuck, comparison, o);
      const acc = out.get(c.name)!;
      for (const check of c.checks) {
        const x = v[check];
        if (x !== null && Number.isFinite(x)) acc[check].push(x);
      }
    }
  });
  idx.memo.set(memoKey, out);
  return out;
}
