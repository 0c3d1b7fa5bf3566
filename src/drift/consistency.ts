/**
 * Checks that take the weather out: a sensor is compared with what the other stations and a
 * physically bound partner say at the same hours, not with its own past distribution.
 * Beijing's months differ from the same month of other years by more than a 20% calibration
 * error; every station and every sensor lives through the same weather, so their relations
 * vary far less.
 *
 * - cross_station: each row's value (log(1 + x) for a quantity never negative in the
 *   reference, so that a calibration factor is a shift) minus the median of the other
 *   stations in the same hour. The statistic is one station's median residual in the window
 *   minus its median over the reference rows of the same season, in units of the feature's
 *   std (of the same scale). Weather, season and the year's pollution move every station
 *   together and cancel; a station whose sensor reads 50% high does not.
 * - bound: for two features that physics orders (dew point ≤ air temperature), the window's
 *   lowest margin high - low (its 0.1% quantile, at least its second-lowest value, so that
 *   one bad row does not decide) minus the reference's, in units of the margin's std. Air
 *   reaches saturation (margin 0) in most months; an air temperature reading 3 °C high
 *   makes a month that never comes near it, a dew point reading high one that passes it.
 *   Which of the two moved cannot be told reliably (a dry month lowers the dew point as a
 *   warm thermometer raises the temperature): both are named, the likelier by their own
 *   shifts against their usual months given as a hint.
 *
 * The noise is measured as for the other checks: each reference piece (null_draws.ts),
 * thinned to the window's rows, gives the same statistic against the rest of its season.
 * @module
 */

import { Pcg32 } from "../gbdt/random.ts";
import type { ThinnedPieces } from "./null_draws.ts";
import {
  MANY_VALUES,
  numericComparison,
  type NumericIndex,
  numericIndex,
  type ReferenceIndex,
  sortedRowsOf,
  sortedValuesOf,
  subtractSorted,
} from "./reference_index.ts";
import type { SignedPart } from "./noise.ts";

const HOUR_MS = 3_600_000;

/** Season keys are below this (months 1-12, hours 0-23); (group, season) share one key. */
const SEASON_SLOTS = 32;

/** Fewest values of a station (cross_station) or of a window (bound) to compute a statistic. */
export const MIN_CONSISTENCY_ROWS = 24;

/** Fewest stations measured in the same hours for the cross-station check. */
export const MIN_STATIONS = 3;

/** The quantile of the margin that stands for its lowest value (at least the second-lowest). */
export const LOW_MARGIN_QUANTILE = 0.001;

/** Two features ordered by physics in every row: `low` ≤ `high`. */
export interface BoundPair {
  low: string;
  high: string;
  /** Why, in words ("the dew point never exceeds the air temperature"). */
  why?: string;
}

/** One feature's cross-station residuals, reference and current. */
export interface StationFeature {
  name: string;
  log: boolean;
  /** Std of the (log-)values over the reference: the unit of the statistic. */
  scale: number;
  ref: StationReference;
  current: Float64Array;
}

interface StationReference {
  residual: Float64Array;
  /** Residuals sorted per group and season key (group × SEASON_SLOTS + key). */
  sorted: Map<number, Float64Array>;
  merged: Map<string, Float64Array>;
}

/** A bound pair with its margins, reference and current. */
export interface BoundFeature {
  pair: BoundPair;
  margin: NumericIndex;
  low: NumericIndex;
  high: NumericIndex;
  current: { margin: Float64Array; low: ArrayLike<number>; high: ArrayLike<number> };
}

/** What the verdict prepares once per call. */
export interface Consistency {
  stations: Map<string, StationFeature>;
  bounds: BoundFeature[];
  /** Group ids of the stations judged (present in both samples). */
  groups: number[];
  /** Group id of each current row, and of each reference row. */
  currentGroup: Int32Array;
  referenceGroup: Int32Array;
  groupNames: Map<number, string>;
  /** Why a check could not run, in words, for the verdict's notes. */
  notes: string[];
}

/**
 * Prepare the consistency checks of a verdict: residuals of `crossStation` features for the
 * stations present in both samples, margins of `bounds`. `values` holds the current
 * numbers of each tested numeric feature.
 */
export function prepareConsistency(
  idx: ReferenceIndex,
  current: { values: Map<string, ArrayLike<number>>; times: Float64Array; group: Int32Array },
  crossStation: readonly string[],
  bounds: readonly BoundPair[],
): Consistency {
  const notes: string[] = [];
  const groupNames = new Map([...idx.groupIds].map(([name, id]) => [id, name]));
  // Stations judged: in the reference and in the current rows.
  const present = new Set<number>();
  for (const g of current.group) if (groupNames.has(g)) present.add(g);
  const groups = [...present].sort((a, b) => a - b);
  const stations = new Map<string, StationFeature>();
  const few: string[] = [];
  const wanted = crossStation.filter((name) => {
    const col = idx.columns.get(name);
    if (col?.kind !== "numeric" || !current.values.has(name)) return false;
    if (col.distinct < MANY_VALUES) few.push(name);
    return col.distinct >= MANY_VALUES;
  });
  if (few.length) {
    notes.push(
      `Cross-station check skipped for ${
        few.map((n) => `"${n}"`).join(", ")
      }: fewer than ${MANY_VALUES} distinct values (a median that jumps between a few values, such as a 16-point wind direction's, says nothing about calibration)`,
    );
  }
  if (wanted.length > 0) {
    if (idx.groupIds.size === 0) {
      notes.push(
        "Cross-station checks not run: the samples do not say which station each row comes from",
      );
    } else if (groups.length < MIN_STATIONS) {
      notes.push(
        `Cross-station checks not run: ${groups.length} station${
          groups.length === 1 ? "" : "s"
        } in both samples, at least ${MIN_STATIONS} needed to compare one with the others`,
      );
    } else {
      let top = idx.groupIds.size;
      for (const g of current.group) if (g > top) top = g;
      const keep = new Uint8Array(top + 1);
      for (const g of groups) keep[g] = 1;
      const setKey = groups.join(",");
      for (const name of wanted) {
        const col = idx.columns.get(name) as NumericIndex;
        const ref = stationReference(idx, name, col, keep, setKey);
        stations.set(name, {
          name,
          ...ref.info,
          ref: ref.ref,
          current: stationResiduals(
            current.values.get(name)!,
            current.times,
            current.group,
            hourOrder(current.times),
            keep,
            ref.info.log,
          ),
        });
      }
    }
  }
  const boundFeatures: BoundFeature[] = [];
  for (const pair of bounds) {
    const lo = idx.columns.get(pair.low);
    const hi = idx.columns.get(pair.high);
    const cl = current.values.get(pair.low);
    const ch = current.values.get(pair.high);
    if (lo?.kind !== "numeric" || hi?.kind !== "numeric" || !cl || !ch) {
      const gone = [pair.low, pair.high].filter((n) =>
        idx.columns.get(n)?.kind !== "numeric" || !current.values.has(n)
      );
      notes.push(
        `Bound ${pair.low} ≤ ${pair.high} not checked: ${
          gone.map((n) => `"${n}"`).join(" and ")
        } not a tested number in both samples`,
      );
      continue;
    }
    const key = `bound|${pair.low}|${pair.high}`;
    let margin = idx.memo.get(key) as NumericIndex | undefined;
    if (!margin) {
      const m = new Float64Array(idx.rows);
      for (let i = 0; i < idx.rows; i++) m[i] = hi.values[i]! - lo.values[i]!;
      margin = numericIndex(m, idx.seasonKey, MANY_VALUES);
      idx.memo.set(key, margin);
    }
    const cm = new Float64Array(cl.length);
    for (let i = 0; i < cl.length; i++) cm[i] = ch[i]! - cl[i]!;
    boundFeatures.push({
      pair,
      margin,
      low: lo,
      high: hi,
      current: { margin: cm, low: cl, high: ch },
    });
  }
  return {
    stations,
    bounds: boundFeatures,
    groups,
    currentGroup: current.group,
    referenceGroup: idx.group,
    groupNames,
    notes,
  };
}

/** A window, or a reference piece, as the consistency statistics see it. */
export interface ConsistencyWindow {
  rows: Int32Array;
  /** Season keys of its comparison rows, and reference rows left out of them. */
  keys: readonly number[];
  exclude: Int32Array | null;
  /**
   * A window's block-bootstrap replicates (windowReplicates): its stations' own sampling
   * noise is added to the pieces' spread.
   */
  replicates?: Int32Array[] | null;
}

/** Replicates of a window for its own sampling noise. */
export const WINDOW_REPLICATES = 20;

/**
 * Block-bootstrap replicates of a window's rows: blocks of whole days (a tenth of its span,
 * at least one day; every station together) drawn with replacement. A few days of one
 * station's analyser acting up weigh on its month's median; the pieces' spread holds that
 * noise for a typical month, these replicates for this one. Null with fewer than 4 blocks.
 */
export function windowReplicates(
  rows: Int32Array,
  times: ArrayLike<number>,
  seed: number,
  n = WINDOW_REPLICATES,
): Int32Array[] | null {
  if (rows.length === 0) return null;
  let first = Infinity;
  let last = -Infinity;
  for (const i of rows) {
    const d = Math.floor(times[i]! / 86_400_000);
    if (d < first) first = d;
    if (d > last) last = d;
  }
  const blockDays = Math.max(1, Math.round((last - first + 1) / 10));
  const blocks: number[][] = [];
  for (const i of rows) {
    const b = Math.floor((Math.floor(times[i]! / 86_400_000) - first) / blockDays);
    (blocks[b] ??= []).push(i);
  }
  const full = blocks.filter((b) => b && b.length > 0);
  if (full.length < 4) return null;
  const rng = new Pcg32(seed, 0xb007);
  return Array.from({ length: n }, () => {
    const out: number[] = [];
    for (let k = 0; k < full.length; k++) out.push(...full[rng.nextInt(full.length)]!);
    return Int32Array.from(out);
  });
}

/** Variance of the finite values of `xs` (0 with fewer than two). */
function variance(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite);
  if (v.length < 2) return 0;
  const m = v.reduce((a, x) => a + x, 0) / v.length;
  return v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1);
}

/**
 * The cross-station parts of a window: one per station with enough rows, its statistic
 * and the same statistic for each reference piece of `pieces` (memoized on the index).
 */
export function stationParts(
  idx: ReferenceIndex,
  c: Consistency,
  f: StationFeature,
  window: ConsistencyWindow,
  pieces: ThinnedPieces,
): SignedPart[] {
  const stat = stationShifts(f, f.current, c.currentGroup, window, c);
  const memoKey = `xs-null|${f.name}|${c.groups.join(",")}|${pieces.key}`;
  let nulls = idx.memo.get(memoKey) as Map<number, number[]> | undefined;
  if (!nulls) {
    nulls = new Map(c.groups.map((g) => [g, []]));
    for (const p of pieces.pieces) {
      const d = stationShifts(f, f.ref.residual, c.referenceGroup, {
        rows: p.picked,
        keys: p.keys,
        exclude: p.exclude,
      }, c);
      // Aligned by piece (NaN where a station had too few rows): a piece's stations are
      // judged together, as a window's are.
      for (const g of c.groups) nulls.get(g)!.push(d.get(g) ?? NaN);
    }
    idx.memo.set(memoKey, nulls);
  }
  // The window's own sampling noise: its stations' medians over the replicates.
  const reps = (window.replicates ?? []).map((rows) =>
    stationMedians(f.current, c.currentGroup, rows, c.groups)
  );
  const parts: SignedPart[] = [];
  for (const g of c.groups) {
    const v = stat.get(g);
    if (v === undefined) continue;
    parts.push({
      name: c.groupNames.get(g)!,
      value: v,
      nulls: nulls.get(g) ?? [],
      extraVariance: variance(reps.map((r) => r.get(g) ?? NaN)) / f.scale ** 2,
    });
  }
  return parts;
}

/** The residuals of `rows` that are numbers, by the group of each row. */
function residualsByGroup(
  residual: Float64Array,
  groupOf: Int32Array,
  rows: Iterable<number>,
): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (const i of rows) {
    const r = residual[i]!;
    if (r !== r) continue;
    const g = groupOf[i]!;
    let list = by.get(g);
    if (!list) by.set(g, list = []);
    list.push(r);
  }
  return by;
}

/** Median residual per station of `rows` (stations with enough of them). */
function stationMedians(
  residual: Float64Array,
  groupOf: Int32Array,
  rows: Int32Array,
  groups: readonly number[],
): Map<number, number> {
  const by = residualsByGroup(residual, groupOf, rows);
  const out = new Map<number, number>();
  for (const g of groups) {
    const list = by.get(g);
    if (list && list.length >= MIN_CONSISTENCY_ROWS) {
      out.set(g, medianOf(Float64Array.from(list)));
    }
  }
  return out;
}

/**
 * Per station: median residual of `rows` minus the median residual of the reference rows
 * of its season keys (less `exclude`), in units of the feature's scale. `groupOf` is the
 * group of each index of `residual`.
 */
function stationShifts(
  f: StationFeature,
  residual: Float64Array,
  groupOf: Int32Array,
  w: ConsistencyWindow,
  c: Consistency,
): Map<number, number> {
  const by = residualsByGroup(residual, groupOf, w.rows);
  // Residuals of the excluded reference rows, per group.
  const excluded = w.exclude
    ? residualsByGroup(f.ref.residual, c.referenceGroup, w.exclude)
    : new Map<number, number[]>();
  const out = new Map<number, number>();
  for (const g of c.groups) {
    const list = by.get(g);
    if (!list || list.length < MIN_CONSISTENCY_ROWS) continue;
    let comp = mergedResiduals(f.ref, g, w.keys);
    const ex = excluded.get(g);
    if (ex) comp = subtractSorted(comp, Float64Array.from(ex).sort());
    if (comp.length < MIN_CONSISTENCY_ROWS) continue;
    out.set(g, (medianOf(Float64Array.from(list)) - medianSorted(comp)) / f.scale);
  }
  return out;
}

function mergedResiduals(
  ref: StationReference,
  g: number,
  keys: readonly number[],
): Float64Array {
  const k = `${g}|${keys.join(",")}`;
  let m = ref.merged.get(k);
  if (m) return m;
  const parts = keys.map((key) => ref.sorted.get(g * SEASON_SLOTS + key)).filter((
    x,
  ): x is Float64Array => !!x);
  if (parts.length === 1) m = parts[0]!;
  else {
    m = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      m.set(p, at);
      at += p.length;
    }
    m.sort();
  }
  ref.merged.set(k, m);
  return m;
}

/** The reference side of a cross-station feature for a set of stations (memoized). */
function stationReference(
  idx: ReferenceIndex,
  name: string,
  col: NumericIndex,
  keep: Uint8Array,
  setKey: string,
): { ref: StationReference; info: { log: boolean; scale: number } } {
  const key = `xs|${name}|${setKey}`;
  const hit = idx.memo.get(key) as
    | { ref: StationReference; info: { log: boolean; scale: number } }
    | undefined;
  if (hit) return hit;
  let min = Infinity;
  for (const s of col.byKey.values()) if (s.sorted.length) min = Math.min(min, s.sorted[0]!);
  const log = min >= 0;
  let order = idx.memo.get("hourOrder") as Int32Array | undefined;
  if (!order) idx.memo.set("hourOrder", order = hourOrder(idx.times));
  const residual = stationResiduals(col.values, idx.times, idx.group, order, keep, log);
  const lists = new Map<number, number[]>();
  for (let i = 0; i < idx.rows; i++) {
    const r = residual[i]!;
    if (r !== r) continue;
    const k = idx.group[i]! * SEASON_SLOTS + idx.seasonKey[i]!;
    let list = lists.get(k);
    if (!list) lists.set(k, list = []);
    list.push(r);
  }
  const sorted = new Map([...lists].map(([k, l]) => [k, Float64Array.from(l).sort()]));
  // The unit: the std of the (log-)values over the reference.
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const v of col.values) {
    if (v !== v) continue;
    const x = log ? Math.log1p(v) : v;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  const scale = Math.max(n > 1 ? Math.sqrt(m2 / n) : 0, 1e-9);
  const out = {
    ref: { residual, sorted, merged: new Map() },
    info: { log, scale },
  };
  idx.memo.set(key, out);
  return out;
}

/** Row numbers in order of their hour (a counting sort: hours are few). */
export function hourOrder(times: ArrayLike<number>): Int32Array {
  const n = times.length;
  const hours = Float64Array.from(times, (t) => Math.floor(t / HOUR_MS));
  let lo = Infinity;
  let hi = -Infinity;
  for (const h of hours) {
    if (h < lo) lo = h;
    if (h > hi) hi = h;
  }
  if (n === 0) return new Int32Array(0);
  if (hi - lo > 4 * n + 1024) {
    // Sparse hours (a few rows over years): a comparison sort is cheaper.
    return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => hours[a]! - hours[b]!);
  }
  const start = new Int32Array(hi - lo + 2);
  for (const h of hours) start[h - lo + 1]!++;
  for (let k = 1; k < start.length; k++) start[k]! += start[k - 1]!;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[start[hours[i]! - lo]!++] = i;
  return out;
}

/**
 * Each row's (log-)value minus the median of the other stations' values in the same hour
 * (stations where `keep[group]` is set); NaN where the row has no value or fewer than two
 * other stations have one. `order` lists the rows by hour.
 */
export function stationResiduals(
  values: ArrayLike<number>,
  times: ArrayLike<number>,
  group: Int32Array,
  order: Int32Array,
  keep: Uint8Array,
  log: boolean,
): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  const v: number[] = [];
  const rows: number[] = [];
  const seen = new Map<number, number>();
  let a = 0;
  while (a < n) {
    const hour = Math.floor(times[order[a]!]! / HOUR_MS);
    let b = a;
    v.length = 0;
    rows.length = 0;
    seen.clear();
    while (b < n && Math.floor(times[order[b]!]! / HOUR_MS) === hour) {
      const i = order[b++]!;
      const g = group[i]!;
      const x = values[i]!;
      if (x !== x || !keep[g]) continue;
      v.push(log ? Math.log1p(Math.max(x, 0)) : x);
      rows.push(i);
      seen.set(g, (seen.get(g) ?? 0) + 1);
    }
    a = b;
    if (seen.size < 3) continue;
    const idx = Array.from(v.keys()).sort((p, q) => v[p]! - v[q]!);
    const sorted = idx.map((k) => v[k]!);
    for (let pos = 0; pos < idx.length; pos++) {
      const i = rows[idx[pos]!]!;
      const g = group[i]!;
      let centre: number;
      if (seen.get(g) === 1) centre = medianSkipping(sorted, pos);
      else {
        // Several rows of one station in the hour: the others are the other stations' rows.
        const others = idx.filter((k) => group[rows[k]!] !== g).map((k) => v[k]!);
        centre = medianSorted(others);
      }
      out[i] = sorted[pos]! - centre;
    }
  }
  return out;
}

/** Median of `sorted` without its element at `skip`. */
function medianSkipping(sorted: readonly number[], skip: number): number {
  const r = sorted.length - 1;
  const at = (j: number) => sorted[j < skip ? j : j + 1]!;
  return r % 2 ? at((r - 1) / 2) : 0.5 * (at(r / 2 - 1) + at(r / 2));
}

/** Median of `a` (reordered in place): selection, not a sort. */
function medianOf(a: Float64Array): number {
  const n = a.length;
  const upper = select(a, n >> 1);
  if (n % 2) return upper;
  // The lower middle is the largest value left of the upper one after selection.
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i]! > lower) lower = a[i]!;
  return 0.5 * (lower + upper);
}

/** The k-th smallest of `a` (Hoare's selection; `a` is reordered around it). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function medianSorted(s: ArrayLike<number>): number {
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}

/** The lowest margin of sorted values: the 0.1% quantile, at least the second-lowest. */
export function lowMargin(sorted: Float64Array): number | null {
  if (sorted.length < MIN_CONSISTENCY_ROWS) return null;
  const k = Math.max(2, Math.ceil(LOW_MARGIN_QUANTILE * sorted.length));
  return sorted[k - 1]!;
}

/** The bound check of a window: its margin part, and how far each member moved. */
export interface BoundJudgement {
  margin: SignedPart;
  /**
   * Which member moved, as log-likelihoods (up to a shared constant) of "the high member
   * moved by the margin's change, the low one as usual" and the reverse, from each
   * member's median shift against its usual months. Null when a shift is unknown.
   */
  evidence: { low: number; high: number } | null;
}

/** Statistics of a bound pair for a window and its reference pieces (memoized). */
export function boundParts(
  idx: ReferenceIndex,
  b: BoundFeature,
  window: ConsistencyWindow,
  pieces: ThinnedPieces,
): BoundJudgement {
  const cur = boundStats(b, b.current, window, (rows, values) => sortedValuesOf(values, rows));
  const memoKey = `bound-null|${b.pair.low}|${b.pair.high}|${pieces.key}`;
  let nulls = idx.memo.get(memoKey) as
    | { margin: number[]; low: number[]; high: number[] }
    | undefined;
  if (!nulls) {
    nulls = { margin: [], low: [], high: [] };
    const ref = { margin: b.margin.values, low: b.low.values, high: b.high.values };
    for (const p of pieces.pieces) {
      const s = boundStats(
        b,
        ref,
        { rows: p.picked, keys: p.keys, exclude: p.exclude },
        (rows, values) => sortedValuesOf(values, rows),
      );
      if (s.margin !== null) nulls.margin.push(s.margin);
      if (s.low !== null) nulls.low.push(s.low);
      if (s.high !== null) nulls.high.push(s.high);
    }
    idx.memo.set(memoKey, nulls);
  }
  // No replicates here: the bootstrap of an extreme (the month's most humid day) says
  // little about its noise (it cannot draw a day more humid than the month had).
  return {
    margin: { name: `${b.pair.high} - ${b.pair.low}`, value: cur.margin, nulls: nulls.margin },
    evidence: blame(b, cur, nulls),
  };
}

/**
 * Log-likelihoods of the two explanations of a margin's change Δ (in its units): the high
 * member moved by Δ, or the low one by -Δ; each member's median shift, against the mean
 * and sd of its shifts over the pieces, says how far each explanation has to stretch.
 */
function blame(
  b: BoundFeature,
  cur: { margin: number | null; low: number | null; high: number | null },
  nulls: { margin: number[]; low: number[]; high: number[] },
): { low: number; high: number } | null {
  if (cur.margin === null || cur.low === null || cur.high === null) return null;
  if (nulls.margin.length < 3 || nulls.low.length < 3 || nulls.high.length < 3) return null;
  const m = meanSd(nulls.margin);
  const lo = meanSd(nulls.low);
  const hi = meanSd(nulls.high);
  // Everything in the members' own units (both share the margin's: °C for TEMP and DEWP).
  const delta = (cur.margin - m.mean) * b.margin.scale;
  const zHigh = (cur.high - hi.mean) / hi.sd;
  const zLow = (cur.low - lo.mean) / lo.sd;
  const dHigh = delta / (hi.sd * b.high.scale);
  const dLow = delta / (lo.sd * b.low.scale);
  return {
    high: -0.5 * ((zHigh - dHigh) ** 2 + zLow ** 2),
    low: -0.5 * (zHigh ** 2 + (zLow + dLow) ** 2),
  };
}

function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const v = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1);
  return { mean, sd: Math.max(Math.sqrt(v), 1e-6) };
}

function boundStats(
  b: BoundFeature,
  values: { margin: ArrayLike<number>; low: ArrayLike<number>; high: ArrayLike<number> },
  w: ConsistencyWindow,
  sortedOf: (rows: Int32Array, values: ArrayLike<number>) => { sorted: Float64Array },
): { margin: number | null; low: number | null; high: number | null } {
  const comp = (col: NumericIndex) =>
    numericComparison(col, w.keys, w.exclude, w.exclude ? sortedRowsOf(col, w.exclude) : undefined)
      .sorted;
  const own = sortedOf(w.rows, values.margin).sorted;
  const ownLow = lowMargin(own);
  const refLow = lowMargin(comp(b.margin));
  const shift = (col: NumericIndex, v: ArrayLike<number>) => {
    const s = sortedOf(w.rows, v).sorted;
    const r = comp(col);
    if (s.length < MIN_CONSISTENCY_ROWS || r.length < MIN_CONSISTENCY_ROWS) return null;
    return (medianSorted(s) - medianSorted(r)) / Math.max(col.scale, 1e-9);
  };
  return {
    margin: ownLow === null || refLow === null
      ? null
      : (ownLow - refLow) / Math.max(b.margin.scale, 1e-9),
    low: shift(b.low, values.low),
    high: shift(b.high, values.high),
  };
}
