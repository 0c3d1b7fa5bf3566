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
 *
 * The consistency checks (consistency.ts) have signed statistics made of parts (one per
 * station, or a bound's margin): each part gets z = (statistic - mean) / sd over the pieces;
 * one part is judged by its |z|, several by the furthest one's |z| against the furthest of
 * each reference piece (decideSigned), with the same zDrift and zWarn.
 * @module
 */

import { normalIsf, normalSf } from "./special.ts";
import { type CheckName, type CheckOptions, checkValues, type ColumnValues } from "./checks.ts";
import { type NullPlan, thinnedPieces } from "./null_draws.ts";
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
  // Signed checks (decideSigned) have no log scale.
  cross_station: 0,
  bound: 0,
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
  const pieces = thinnedPieces(idx, plan, rows, whole, o.seed);
  const memoKey = `null|${pieces.key}|${
    columns.map((c) => `${c.name}:${c.checks.join("+")}`).join(",")
  }|${o.minSampleSize}|${o.runLength}|${o.stdFloor}`;
  const hit = idx.memo.get(memoKey) as Map<string, Record<CheckName, number[]>> | undefined;
  if (hit) return hit;
  const out = new Map<string, Record<CheckName, number[]>>();
  for (const c of columns) out.set(c.name, emptyNulls());
  for (const piece of pieces.pieces) {
    for (const c of columns) {
      const comparison = {
        keys: piece.keys,
        exclude: piece.exclude,
        ...(c.col.kind === "numeric" ? { excludeSorted: sortedRowsOf(c.col, piece.exclude) } : {}),
      };
      const values: ColumnValues = c.col.kind === "numeric"
        ? { numbers: c.col.values, codes: null, unseen: [] }
        : { numbers: null, codes: c.col.codes, unseen: [] };
      const stuck = c.checks.includes("stuck") ? { rows: piece.rows, groupOf: idx.group } : null;
      const v = checkValues(c.col, values, piece.picked, stuck, comparison, o);
      const acc = out.get(c.name)!;
      for (const check of c.checks) {
        if (check !== "distribution" && check !== "missing" && check !== "stuck") continue;
        const x = v[check];
        if (x !== null && Number.isFinite(x)) acc[check].push(x);
      }
    }
  }
  idx.memo.set(memoKey, out);
  return out;
}

function emptyNulls(): Record<CheckName, number[]> {
  return { distribution: [], missing: [], stuck: [], cross_station: [], bound: [] };
}

/** One part of a signed check: a station, or a bound's margin. */
export interface SignedPart {
  name: string;
  /** The window's statistic (signed); null where it cannot be computed. */
  value: number | null;
  /** The same statistic for each reference piece. */
  nulls: readonly number[];
  /** The window statistic's own sampling variance, added to the pieces' (default 0). */
  extraVariance?: number;
}

/** A part's figures in a verdict. */
export interface PartFigures {
  name: string;
  value: number;
  /** (value - mean) / sd over the pieces, signed, before the adjustment for the parts. */
  z: number;
}

/** A signed decision: the part that decided, every part's figures. */
export interface SignedDecision extends Decision {
  /** The deciding part (largest |z|), null when none could be judged. */
  part: string | null;
  /** The deciding part's statistic, signed. */
  value: number | null;
  parts: PartFigures[];
}

/**
 * Floor of a signed part's noise sd, as a share of the smallest shift that matters: a
 * station whose residual never moved in training (rain's median is 0) must not turn a
 * rounding into a drift.
 */
export const SIGNED_SD_FLOOR = 0.25;

/** Offset of the log scale of the furthest part's |z| (several parts). */
export const FAMILY_LOG_OFFSET = 0.5;

/**
 * The z of the largest of `zs` (absolute values) once adjusted for their number: the
 * two-sided p of the largest, Šidák-adjusted, as a one-sided z again. One part: its |z|.
 */
export function familyZ(zs: readonly number[]): number {
  if (zs.length === 0) return 0;
  const top = Math.max(...zs.map(Math.abs));
  if (zs.length === 1) return top;
  const p = 2 * normalSf(top);
  const family = -Math.expm1(zs.length * Math.log1p(-Math.min(p, 1 - 1e-16)));
  // Beyond the doubles' reach, the tail's leading term: z² shrinks by 2 log K.
  if (!(family / 2 > 1e-300)) return Math.sqrt(Math.max(0, top * top - 2 * Math.log(zs.length)));
  return family / 2 >= 0.5 ? 0 : normalIsf(family / 2);
}

interface PartNoise {
  name: string;
  value: number;
  nulls: readonly number[];
  mean: number;
  /** Spread of the pieces, and with the window's own sampling noise. */
  sd: number;
  own: number;
  z: number;
}

/**
 * Decide a signed check from its parts.
 *
 * One part (a bound's margin): z = (statistic - mean) / sd over the pieces, two-sided.
 *
 * Several parts (the stations): the station furthest from its usual place, max |z|, is
 * compared with how far the furthest station of each reference piece was (each piece's
 * z-scores against the other pieces), on a log scale as the distances are, and must also
 * lie further out than the furthest station of every piece. Stations are not independent
 * Gaussians: a training month where one analyser drifted for a while is part of the
 * noise, and this keeps it there.
 */
export function decideSigned(
  check: CheckName,
  parts: readonly SignedPart[],
  o: DecisionOptions,
): SignedDecision {
  const floor = SIGNED_SD_FLOOR * o.minEffect[check];
  const judged: PartNoise[] = [];
  let most = 0;
  for (const p of parts) {
    const finite = p.nulls.filter((x) => Number.isFinite(x));
    most = Math.max(most, finite.length);
    if (p.value === null || !Number.isFinite(p.value) || finite.length < o.minDraws) continue;
    const { mean, sd } = meanSd(finite, floor);
    // The window's z: the pieces' spread and the window's own sampling noise.
    const own = Math.sqrt(sd * sd + (p.extraVariance ?? 0));
    judged.push({
      name: p.name,
      value: p.value,
      nulls: p.nulls,
      mean,
      sd,
      own,
      z: (p.value - mean) / own,
    });
  }
  const none = (note: string): SignedDecision => ({
    state: "not_run",
    z: null,
    threshold: null,
    typical: null,
    draws: most,
    note,
    part: null,
    value: null,
    parts: [],
  });
  if (judged.length === 0) {
    const any = parts.some((p) => p.value !== null && Number.isFinite(p.value));
    return none(
      any
        ? `Noise unknown: the reference gave ${most} comparable pieces, at least ${o.minDraws} needed`
        : "",
    );
  }
  let top = judged[0]!;
  for (const j of judged) if (Math.abs(j.z) > Math.abs(top.z)) top = j;
  const big = Math.abs(top.value) >= o.minEffect[check];
  const side = top.value >= top.mean ? 1 : -1;
  const figures = judged.map(({ name, value, z }) => ({ name, value, z }));
  let z: number;
  let partZ: number;
  let typical: number;
  let beyondAll = true;
  if (judged.length === 1) {
    z = Math.abs(top.z);
    partZ = o.zDrift;
    const abs = top.nulls.filter(Number.isFinite).map(Math.abs).sort((a, b) => a - b);
    typical = abs[Math.floor(abs.length / 2)]!;
  } else {
    const furthest = furthestOfPieces(judged, floor);
    if (furthest.length < o.minDraws) {
      return none(
        `Noise unknown: ${furthest.length} reference pieces had these stations, at least ${o.minDraws} needed`,
      );
    }
    const c = FAMILY_LOG_OFFSET;
    const logs = furthest.map((m) => Math.log(m + c));
    const { mean, sd } = meanSd(logs, SD_FLOOR);
    z = (Math.log(Math.abs(top.z) + c) - mean) / sd;
    // The furthest station of a training month is the empirical guard of the tail: a
    // month where an analyser drifted for a while is part of the reference's history.
    const furthestEver = Math.max(...furthest);
    beyondAll = Math.abs(top.z) > furthestEver;
    partZ = Math.max(Math.exp(mean + o.zDrift * sd) - c, furthestEver);
    const sorted = [...furthest].sort((a, b) => a - b);
    // Typical: the deciding station's statistic at the median piece's furthest |z|.
    typical = Math.abs(top.mean + side * sorted[Math.floor(sorted.length / 2)]! * top.own);
  }
  const state: CheckState = z >= o.zDrift && big && beyondAll
    ? "drift"
    : z >= o.zWarn && big
    ? "within_noise"
    : "ok";
  return {
    state,
    z,
    // The |statistic| at which the deciding part would make a drift on its side.
    threshold: Math.abs(top.mean + side * partZ * top.own),
    typical,
    draws: most,
    note: "",
    part: top.name,
    value: top.value,
    parts: figures,
  };
}

/**
 * For each reference piece judged at all, its furthest part's |z| against the other
 * pieces (leave one out), among the parts of this window.
 */
function furthestOfPieces(parts: readonly PartNoise[], floor: number): number[] {
  const n = Math.max(...parts.map((p) => p.nulls.length));
  const sums = parts.map((p) => {
    let s1 = 0;
    let s2 = 0;
    let k = 0;
    for (const x of p.nulls) {
      if (!Number.isFinite(x)) continue;
      s1 += x;
      s2 += x * x;
      k++;
    }
    return { s1, s2, k };
  });
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    let worst = -1;
    parts.forEach((p, i) => {
      const x = p.nulls[j];
      const { s1, s2, k } = sums[i]!;
      if (x === undefined || !Number.isFinite(x) || k < 3) return;
      const mean = (s1 - x) / (k - 1);
      const ss = Math.max(0, s2 - x * x - (k - 1) * mean * mean);
      const sd = Math.max(floor, Math.sqrt(ss / (k - 2)));
      worst = Math.max(worst, Math.abs(x - mean) / sd);
    });
    if (worst >= 0) out.push(worst);
  }
  return out;
}

function meanSd(xs: readonly number[], floor: number): { mean: number; sd: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, sd: Math.max(floor, sd) };
}

/**
 * Several windows' signed decisions together: each part's z summed over the windows where
 * it was judged, / √n (Stouffer), then adjusted for the number of parts. Returns the
 * family's z, the deciding part and its mean statistic.
 */
export function combineSigned(
  windows: readonly (readonly PartFigures[])[],
): { z: number; part: string; value: number } | null {
  const by = new Map<string, { z: number; value: number; n: number }>();
  for (const parts of windows) {
    for (const p of parts) {
      const e = by.get(p.name) ?? { z: 0, value: 0, n: 0 };
      e.z += p.z;
      e.value += p.value;
      e.n++;
      by.set(p.name, e);
    }
  }
  if (by.size === 0) return null;
  const combined = [...by].map(([part, e]) => ({
    part,
    z: e.z / Math.sqrt(e.n),
    value: e.value / e.n,
  }));
  let top = combined[0]!;
  for (const c of combined) if (Math.abs(c.z) > Math.abs(top.z)) top = c;
  return { z: familyZ(combined.map((c) => c.z)), part: top.part, value: top.value };
}
