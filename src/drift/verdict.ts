/**
 * The drift verdict: the one function behind the drift stage's summary, its monthly
 * timeline, the endpoint's `/v1/drift`, the retraining trigger and the site.
 *
 * The current rows are cut into calendar months (windows). Each window is compared with the
 * reference rows of the same calendar months (the seasonal reference; the whole reference
 * where those months are absent), feature by feature, on three checks (checks.ts): the
 * distribution, the missing share and stuck values. Each statistic is judged against the
 * same statistic between pieces of the reference and the rest of it (noise.ts,
 * null_draws.ts), so that the sampling noise, the autocorrelation of hourly data and the
 * ordinary year-to-year variation never read as drift. Calendar and identity features are
 * listed with the reason and not tested.
 *
 * The summary is computed from the windows' own verdict objects: a feature drifts in the
 * batch when it drifts in some window, or when a shift too small for any single month
 * persists across months (Stouffer's combination of the monthly z-scores reaches zDrift).
 * So a month in drift always shows in the summary, and the summary never says more than
 * its months support without saying why.
 * @module
 */

import {
  type BoundPair,
  boundParts,
  type Consistency,
  type ConsistencyWindow,
  prepareConsistency,
  stationParts,
  windowReplicates,
} from "./consistency.ts";
import {
  type CheckName,
  checksOf,
  type CheckValues,
  checkValues,
  columnValues,
  type StatisticName,
  statisticOf,
} from "./checks.ts";
import {
  type CheckState,
  combineSigned,
  decide,
  decideSigned,
  type Decision,
  type DecisionOptions,
  type NullColumn,
  nullStatistics,
  type PartFigures,
  type SignedDecision,
} from "./noise.ts";
import { monthRows, nullPlan, thinnedPieces } from "./null_draws.ts";
import {
  type ColumnIndex,
  groupCodes,
  indexReference,
  MANY_VALUES,
  PREDICTION,
  type ReferenceIndex,
  sortedValuesOf,
  TARGET_COLUMN,
  timeOrder,
} from "./reference_index.ts";
import {
  checkSample,
  type DriftSample,
  monthLabel,
  monthOrdinal,
  type SkipRole,
} from "./sample.ts";
import { type SeasonKey, seasonOf } from "./seasonal.ts";
import type { FeatureKind } from "./select.ts";

/** Options of {@link driftVerdict}; every default is the drift stage's parameter default. */
export interface VerdictOptions {
  /** Features to judge, in order (default: the reference's columns, then the current's). */
  features?: readonly string[];
  /** Kind per column; default from its type. */
  kinds?: Record<string, FeatureKind>;
  /** Features never tested, with why: "calendar" (hour, month, ...) or "identity" (station). */
  skip?: Record<string, SkipRole>;
  /** Seasonal reference: "month" (default), "hour", or null for the whole reference. */
  season?: SeasonKey | null;
  /** z-score (log scale, against the reference's own pieces) that makes a drift (3). */
  zDrift?: number;
  /** z-score from which a statistic is reported "within noise" of the threshold (2). */
  zWarn?: number;
  /** Smallest distance (normed Wasserstein, Jensen-Shannon) called drift (0.1). */
  minDistance?: number;
  /** Smallest change of the missing share called drift (0.1). */
  minMissingChange?: number;
  /** Smallest share of one station's rows in stuck runs called drift (0.1). */
  minStuckShare?: number;
  /**
   * Features compared with the other stations at the same hours (cross_station; default:
   * every tested number with at least 50 distinct values). Needs groups (stations).
   */
  crossStation?: readonly string[];
  /** Pairs that physics orders, low ≤ high in every row (bound; default: none). */
  bounds?: readonly BoundPair[];
  /** Smallest shift called drift by cross_station and bound, in the feature's std (0.1). */
  minShift?: number;
  /** Shortest run of one repeated value counted as stuck (24). */
  stuckHours?: number;
  /** Fewest non-missing values on each side for a distribution check (5). */
  minSampleSize?: number;
  /** Fewest reference pieces for a noise estimate (12). */
  minNullDraws?: number;
  /** Most reference pieces used (60). */
  maxNullDraws?: number;
  /** Seed of the thinning and block draws (1). */
  seed?: number;
  /** Numeric columns with at most this many distinct values are tested as categories (5). */
  lowCardinalityMax?: number;
  /** What the target is, in words, for the explanations ("the label"). */
  targetLabel?: string;
}

/** Verdict states, worst first. */
export type VerdictState = "drift" | "within_noise" | "ok" | "not_run" | "skipped";

/** One check of one feature in one window. */
export interface CheckVerdict {
  check: CheckName;
  statistic: StatisticName;
  value: number | null;
  z: number | null;
  /** Statistic at which the noise makes a drift (before the floor `min_effect`). */
  threshold: number | null;
  min_effect: number;
  /** Median statistic of the reference's own pieces. */
  typical: number | null;
  state: CheckState;
  /** Consistency checks: what was compared, in words (the station, the partner). */
  about?: string;
  /** Consistency checks: the statistic of each part (station, margin), signed, and its z. */
  parts?: PartFigures[];
  /**
   * Bound checks: per member, the log-likelihood (up to a shared constant) that it alone
   * moved by the margin's change, from each member's own shift against its usual months;
   * the likelier one is named.
   */
  blame?: Record<string, number>;
}

/** One feature (or the prediction, or the target) in one window. */
export interface FeatureWindowVerdict {
  feature: string;
  role: "feature" | "prediction" | "target";
  state: VerdictState;
  /** The check that decided the state; null when none ran. */
  decided_by: CheckName | null;
  checks: CheckVerdict[];
  n_rows: number;
  n_reference: number;
  unseen_categories: string[];
}

/** The dataset-level counts of a set of feature verdicts. */
export interface DatasetCounts {
  state: "drift" | "within_noise" | "no_drift" | "unavailable";
  n_features: number;
  n_tested: number;
  n_drift: number;
  n_within_noise: number;
  /** n_drift / n_tested; null when nothing was tested. */
  drift_share: number | null;
  drifted: string[];
  within_noise: string[];
}

/** One window of the timeline. */
export interface WindowVerdict extends DatasetCounts {
  window: string;
  from: string;
  to: string;
  rows: number;
  span_days: number;
  /** "seasonal": reference rows of the same months; "whole_reference" where those are absent. */
  comparison: "seasonal" | "whole_reference";
  reference_rows: number;
  noise: {
    method: "months" | "chunks" | "blocks";
    pieces: number;
    piece_days: number;
    block_days: number;
    /** Median rows of a reference piece, before thinning to the window's rows. */
    piece_rows: number;
  };
  features: FeatureWindowVerdict[];
  prediction: FeatureWindowVerdict | null;
  target: FeatureWindowVerdict | null;
  notes: string[];
}

/** A check over the whole batch. */
export interface CheckSummary {
  check: CheckName;
  statistic: StatisticName;
  /** The statistic on all current rows at once. */
  value: number | null;
  /** With one window its z; with several, Stouffer's Σz / √n over the windows. */
  z: number | null;
  /** With one window, its threshold; with several, null (each month has its own). */
  threshold: number | null;
  min_effect: number;
  state: CheckState;
  drift_windows: string[];
  within_noise_windows: string[];
  /** Consistency checks: what decided, in words. */
  about?: string;
}

/** One feature (or the prediction, or the target) over the batch. */
export interface FeatureVerdict {
  feature: string;
  role: "feature" | "prediction" | "target";
  kind: FeatureKind | null;
  state: VerdictState;
  /** Plain words: what was found, or why the feature was not tested. */
  reason: string;
  skip: SkipRole | null;
  decided_by: CheckName | null;
  checks: CheckSummary[];
  unseen_categories: string[];
}

/** The verdict object (see the module docs). */
export interface DriftVerdict {
  kind: "aqlab.drift_verdict";
  version: 1;
  headline: DatasetCounts & {
    text: string;
    n_skipped: number;
    n_not_run: number;
    skipped: { feature: string; role: SkipRole; reason: string }[];
    windows: { n: number; drift: string[]; within_noise: string[] };
  };
  features: FeatureVerdict[];
  prediction: FeatureVerdict | null;
  target: FeatureVerdict | null;
  explanations: { verdict: string; prediction: string; target: string };
  rule: RuleDescription;
  windows: WindowVerdict[];
  rows: { reference: number; current: number; overlap: number };
  notes: string[];
}

/** The rule, stated in the verdict so that a reader needs nothing else. */
export interface RuleDescription {
  name: "noise-aware seasonal drift";
  text: string;
  season: SeasonKey | null;
  z_drift: number;
  z_warn: number;
  min_effect: Record<CheckName, number>;
  stuck_hours: number;
  statistics: Record<CheckName, string>;
}

const SEVERITY: Record<VerdictState, number> = {
  drift: 4,
  within_noise: 3,
  ok: 2,
  not_run: 1,
  skipped: 0,
};

interface Settings {
  zDrift: number;
  zWarn: number;
  minEffect: Record<CheckName, number>;
  stuckHours: number;
  minSampleSize: number;
  minNullDraws: number;
  maxNullDraws: number;
  seed: number;
  stdFloor: number;
  targetLabel: string;
}

function settingsOf(o: VerdictOptions): Settings {
  const s: Settings = {
    zDrift: o.zDrift ?? 3,
    zWarn: o.zWarn ?? 2,
    minEffect: {
      distribution: o.minDistance ?? 0.1,
      missing: o.minMissingChange ?? 0.1,
      stuck: o.minStuckShare ?? 0.1,
      cross_station: o.minShift ?? 0.1,
      bound: o.minShift ?? 0.1,
    },
    stuckHours: o.stuckHours ?? 24,
    minSampleSize: o.minSampleSize ?? 5,
    minNullDraws: o.minNullDraws ?? 12,
    maxNullDraws: o.maxNullDraws ?? 60,
    seed: o.seed ?? 1,
    stdFloor: 0.001,
    targetLabel: o.targetLabel ?? "the label",
  };
  if (!(s.zWarn > 0 && s.zDrift >= s.zWarn)) {
    throw new RangeError(
      `Cannot judge drift: expected 0 < zWarn <= zDrift, got zWarn ${s.zWarn} and zDrift ${s.zDrift}`,
    );
  }
  if (!(s.minNullDraws >= 3 && s.maxNullDraws >= s.minNullDraws)) {
    throw new RangeError(
      `Cannot judge drift: expected 3 <= minNullDraws <= maxNullDraws, got ${s.minNullDraws} and ${s.maxNullDraws}`,
    );
  }
  return s;
}

/** A column judged in every window. */
interface Tested extends NullColumn {
  checks: CheckName[];
  role: "feature" | "prediction" | "target";
  kind: FeatureKind;
  raw: ArrayLike<number> | (string | null)[];
}

/**
 * Judge `current` against `reference` (a sample, or an index of one made with the same
 * season). See the module docs for the rule.
 */
export function driftVerdict(
  reference: DriftSample | ReferenceIndex,
  current: DriftSample,
  options: VerdictOptions = {},
): DriftVerdict {
  const s = settingsOf(options);
  checkSample(current, "current");
  const idx = "columns" in reference && reference.columns instanceof Map
    ? reference as ReferenceIndex
    : indexReference(reference as DriftSample, {
      ...(options.features ? { features: options.features } : {}),
      ...(options.kinds ? { kinds: options.kinds } : {}),
      season: options.season === undefined ? "month" : options.season,
      ...(options.lowCardinalityMax ? { lowCardinalityMax: options.lowCardinalityMax } : {}),
      ...(options.skip ? { skip: options.skip } : {}),
    });
  const names = options.features ??
    [...new Set([...idx.columns.keys(), ...Object.keys(current.columns)])].filter((n) =>
      n !== PREDICTION && n !== TARGET_COLUMN
    );
  const notes: string[] = [];

  // What gets tested, and why not.
  const tested: Tested[] = [];
  const untested = new Map<string, FeatureVerdict>();
  for (const name of names) {
    const skip = options.skip?.[name] ?? null;
    const col = idx.columns.get(name);
    const raw = current.columns[name];
    if (skip) {
      untested.set(
        name,
        emptyFeature(name, "feature", col ? kindOf(col) : null, "skipped", skipReason(skip), skip),
      );
    } else if (!col || !raw) {
      const where = !col && !raw ? "both samples" : !col ? "the reference" : "the current rows";
      untested.set(
        name,
        emptyFeature(
          name,
          "feature",
          col ? kindOf(col) : null,
          "not_run",
          `Not tested: column "${name}" is missing from ${where}`,
          null,
        ),
      );
    } else {
      tested.push({
        name,
        col,
        role: "feature",
        kind: kindOf(col),
        raw,
        checks: checksOf(col, "feature"),
      });
    }
  }
  const extra: Tested[] = [];
  const predIdx = idx.columns.get(PREDICTION);
  if (predIdx && current.prediction) {
    extra.push({
      name: PREDICTION,
      col: predIdx,
      role: "prediction",
      kind: "numeric",
      raw: current.prediction as ArrayLike<number>,
      checks: ["distribution"],
    });
  }
  const targetIdx = idx.columns.get(TARGET_COLUMN);
  if (targetIdx && current.target && countFinite(current.target) >= s.minSampleSize) {
    extra.push({
      name: TARGET_COLUMN,
      col: targetIdx,
      role: "target",
      kind: "numeric",
      raw: current.target as ArrayLike<number>,
      checks: ["distribution"],
    });
  }
  const all = [...tested, ...extra];
  const values = new Map(all.map((t) => [t.name, columnValues(t.col, t.raw)]));

  // Current rows: groups in the reference's ids, group-then-time order, calendar windows.
  const n = current.times.length;
  const times = Float64Array.from(current.times);
  const { group } = groupCodes(current.groups ?? null, n, new Map(idx.groupIds));
  const order = timeOrder(group, times);
  const overlap = overlapRows(idx, current, times, group);
  if (overlap.count > 0) {
    notes.push(
      `${overlap.count} current rows are also reference rows (same time and group): left out of the reference they are compared with`,
    );
  }
  const byMonth = new Map<number, number[]>();
  for (const i of order) {
    const m = monthOrdinal(times[i]!);
    let list = byMonth.get(m);
    if (!list) byMonth.set(m, list = []);
    list.push(i);
  }
  const months = [...byMonth.keys()].sort((a, b) => a - b);

  // Consistency checks: against the other stations, and within physically bound pairs.
  const numbers = new Map<string, ArrayLike<number>>();
  for (const t of tested) {
    const v = values.get(t.name)!;
    if (v.numbers) numbers.set(t.name, v.numbers);
  }
  const consistency = prepareConsistency(
    idx,
    { values: numbers, times, group },
    options.crossStation ??
      tested.filter((t) => t.col.kind === "numeric" && t.col.distinct >= MANY_VALUES).map((t) =>
        t.name
      ),
    options.bounds ?? [],
  );
  notes.push(...consistency.notes);
  for (const t of tested) {
    if (consistency.stations.has(t.name)) t.checks.push("cross_station");
    if (consistency.bounds.some((b) => b.pair.low === t.name || b.pair.high === t.name)) {
      t.checks.push("bound");
    }
  }

  const decision: DecisionOptions = {
    zDrift: s.zDrift,
    zWarn: s.zWarn,
    minEffect: s.minEffect,
    minDraws: s.minNullDraws,
  };
  const checkOptions = {
    minSampleSize: s.minSampleSize,
    stdFloor: s.stdFloor,
    runLength: s.stuckHours,
    seed: s.seed,
  };

  const windows: WindowVerdict[] = [];
  const windowKeys: number[][] = [];
  for (const m of months) {
    const rows = Int32Array.from(byMonth.get(m)!);
    const w = judgeWindow(
      idx,
      m,
      rows,
      times,
      group,
      all,
      values,
      overlap.byCurrent,
      consistency,
      decision,
      checkOptions,
      s,
    );
    windows.push(w.verdict);
    windowKeys.push(w.keys);
  }
  if (n === 0) notes.push("The current sample is empty: no window to judge");
  if (idx.rows === 0) notes.push("The reference is empty: no test could run");

  // The summary, from the windows' verdict objects.
  const pooledKeys = windows.some((w) => w.comparison === "whole_reference")
    ? idx.keys
    : [...new Set(windowKeys.flat())].sort((a, b) => a - b);
  const summarize = (t: Tested) =>
    summarizeFeature(t, windows, values.get(t.name)!, {
      order,
      group,
      keys: pooledKeys,
      exclude: overlap.all,
    }, s);
  const features = names.map((name) =>
    untested.get(name) ?? summarize(tested.find((t) => t.name === name)!)
  );
  const prediction = extra.find((t) => t.role === "prediction");
  const target = extra.find((t) => t.role === "target");
  const predictionVerdict = prediction ? summarize(prediction) : null;
  const targetVerdict = target ? summarize(target) : null;
  const counts = datasetCounts(features);
  const skipped = features.filter((f) => f.state === "skipped").map((f) => ({
    feature: f.feature,
    role: f.skip!,
    reason: f.reason,
  }));
  const headline = {
    ...counts,
    text: "",
    n_skipped: skipped.length,
    n_not_run: features.filter((f) => f.state === "not_run").length,
    skipped,
    windows: {
      n: windows.length,
      drift: windows.filter((w) => w.state === "drift").map((w) => w.window),
      within_noise: windows.filter((w) => w.state === "within_noise").map((w) => w.window),
    },
  };
  headline.text = headlineText(headline);
  return {
    kind: "aqlab.drift_verdict",
    version: 1,
    headline,
    features,
    prediction: predictionVerdict,
    target: targetVerdict,
    explanations: {
      verdict: VERDICT_EXPLAINED,
      prediction: predictionText(predictionVerdict),
      target: targetText(
        targetVerdict,
        current.target ? countFinite(current.target) > 0 : false,
        s.targetLabel,
      ),
    },
    rule: ruleOf(idx.season, s),
    windows,
    rows: { reference: idx.rows, current: n, overlap: overlap.count },
    notes,
  };
}

function kindOf(col: ColumnIndex): FeatureKind {
  return col.kind === "numeric" ? "numeric" : col.numeric ? "numeric" : "categorical";
}

function countFinite(col: ArrayLike<unknown>): number {
  let k = 0;
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (typeof v === "number" ? Number.isFinite(v) : v !== null && v !== "") k++;
  }
  return k;
}

/** Reference rows with the same time and group as a current row (only with groups on both). */
function overlapRows(
  idx: ReferenceIndex,
  current: DriftSample,
  times: Float64Array,
  group: Int32Array,
) {
  const byCurrent = new Map<number, number>();
  if (!current.groups || idx.groupIds.size === 0) return { count: 0, byCurrent, all: null };
  // Faster path: batches after the reference period (the usual case) cannot overlap it.
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of times) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  let span = idx.memo.get("timeSpan") as [number, number] | undefined;
  if (!span) {
    span = [Infinity, -Infinity];
    for (const t of idx.times) span = [Math.min(span[0], t), Math.max(span[1], t)];
    idx.memo.set("timeSpan", span);
  }
  if (hi < span[0] || lo > span[1]) return { count: 0, byCurrent, all: null };
  const key = (t: number, g: number) => t * 4096 + g;
  let refAt = idx.memo.get("rowAt") as Map<number, number> | undefined;
  if (!refAt) {
    refAt = new Map<number, number>();
    for (let i = 0; i < idx.rows; i++) refAt.set(key(idx.times[i]!, idx.group[i]!), i);
    idx.memo.set("rowAt", refAt);
  }
  for (let i = 0; i < times.length; i++) {
    const r = refAt.get(key(times[i]!, group[i]!));
    if (r !== undefined) byCurrent.set(i, r);
  }
  return {
    count: byCurrent.size,
    byCurrent,
    all: byCurrent.size ? Int32Array.from(byCurrent.values()) : null,
  };
}

function judgeWindow(
  idx: ReferenceIndex,
  month: number,
  rows: Int32Array,
  times: Float64Array,
  group: Int32Array,
  all: readonly Tested[],
  values: Map<string, ReturnType<typeof columnValues>>,
  overlap: Map<number, number>,
  consistency: Consistency,
  decision: DecisionOptions,
  checkOptions: { minSampleSize: number; stdFloor: number; runLength: number; seed: number },
  s: Settings,
): { verdict: WindowVerdict; keys: number[] } {
  let lo = Infinity;
  let hi = -Infinity;
  const keys = new Set<number>();
  const exclude: number[] = [];
  for (const i of rows) {
    const t = times[i]!;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
    keys.add(idx.season ? seasonOf(t, idx.season) : 0);
    const r = overlap.get(i);
    if (r !== undefined) exclude.push(r);
  }
  const spanDays = (hi - lo) / 86_400_000 + 1 / 24;
  const seasonal = [...keys].filter((k) => idx.keys.includes(k)).sort((a, b) => a - b);
  const whole = seasonal.length === 0 || seasonal.length < keys.size;
  const compKeys = whole ? idx.keys : seasonal;
  const notes: string[] = [];
  if (whole && idx.season && idx.rows > 0) {
    notes.push(
      `No reference rows in the same ${
        idx.season === "month" ? "month" : "hours"
      }: compared with the whole reference`,
    );
  }
  const plan = nullPlan(idx, spanDays, {
    minDraws: s.minNullDraws,
    maxDraws: s.maxNullDraws,
    seed: s.seed,
  });
  const nulls = nullStatistics(idx, plan, all, rows.length, whole, checkOptions);
  const pieceRows = median(plan.draws.map((d) => d.rows.length));
  if (plan.method === "blocks" && plan.draws.length > 0) {
    notes.push(
      `The reference is too short for pieces of ${
        Math.round(spanDays)
      } days: the noise comes from ${plan.draws.length} draws of ${plan.blockDays}-day blocks, without year-to-year variation`,
    );
  }
  if (pieceRows > 0 && rows.length > 1.1 * pieceRows) {
    notes.push(
      `This window has more rows (${rows.length}) than a reference piece (${pieceRows}): its noise is overestimated and the verdict errs towards "ok"`,
    );
  }
  const ex = exclude.length ? Int32Array.from(exclude) : null;
  const extraChecks = consistencyChecks(
    idx,
    consistency,
    {
      rows,
      keys: compKeys,
      exclude: ex,
      replicates: consistency.stations.size ? windowReplicates(rows, times, s.seed + month) : null,
    },
    thinnedPieces(idx, plan, rows.length, whole, s.seed),
    decision,
    s,
  );
  const comparisons = leaveOneMonthOut(idx, compKeys, whole || plan.method === "blocks", ex);
  const judged = all.map((t) => {
    const own = values.get(t.name)!;
    // The window's values are sorted once for every comparison.
    const rowsSorted = own.numbers ? sortedValuesOf(own.numbers, rows) : undefined;
    const v = averaged(comparisons.map((cmp, k) =>
      checkValues(
        t.col,
        own,
        rows,
        k === 0 && t.checks.includes("stuck") ? { rows, groupOf: group } : null,
        rowsSorted ? { ...cmp, rowsSorted } : cmp,
        checkOptions,
      )
    ));
    const byCheck = nulls.get(t.name)!;
    const checks: CheckVerdict[] = [];
    for (const check of t.checks) {
      if (check !== "distribution" && check !== "missing" && check !== "stuck") continue;
      const d = decide(check, v[check], byCheck[check], decision);
      checks.push(checkVerdict(check, t.col, v[check], d, s));
    }
    checks.push(...(extraChecks.get(t.name) ?? []));
    const worst = worstCheck(checks);
    return {
      feature: t.name,
      role: t.role,
      state: worst ? (worst.state as VerdictState) : "not_run",
      decided_by: worst?.check ?? null,
      checks,
      n_rows: v.nRows,
      n_reference: v.nComparison,
      unseen_categories: values.get(t.name)!.unseen,
    } satisfies FeatureWindowVerdict;
  });
  const features = judged.filter((f) => f.role === "feature");
  let refRows = 0;
  for (const k of compKeys) refRows += idx.keyRows.get(k) ?? 0;
  const verdict: WindowVerdict = {
    window: monthLabel(month),
    from: iso(lo),
    to: iso(hi),
    rows: rows.length,
    span_days: round(spanDays, 2),
    comparison: whole ? "whole_reference" : "seasonal",
    reference_rows: refRows - (ex?.length ?? 0),
    noise: {
      method: plan.method,
      pieces: plan.draws.length,
      piece_days: plan.drawDays,
      block_days: plan.blockDays,
      piece_rows: pieceRows,
    },
    ...datasetCounts(features),
    features,
    prediction: judged.find((f) => f.role === "prediction") ?? null,
    target: judged.find((f) => f.role === "target") ?? null,
    notes,
  };
  return { verdict, keys: compKeys };
}

/**
 * The consistency checks of one window, per feature: each cross-station feature's stations
 * (the one furthest from its usual agreement decides), each bound pair's margin (both
 * members get the check; the one that moved more in the direction of the margin's move is
 * named, the other is "ok" with the pair's figures).
 */
function consistencyChecks(
  idx: ReferenceIndex,
  c: Consistency,
  window: ConsistencyWindow,
  pieces: ReturnType<typeof thinnedPieces>,
  decision: DecisionOptions,
  s: Settings,
): Map<string, CheckVerdict[]> {
  const out = new Map<string, CheckVerdict[]>();
  const add = (name: string, v: CheckVerdict) => {
    let list = out.get(name);
    if (!list) out.set(name, list = []);
    list.push(v);
  };
  for (const f of c.stations.values()) {
    const d = decideSigned("cross_station", stationParts(idx, c, f, window, pieces), decision);
    add(f.name, {
      ...signedVerdict("cross_station", d, s),
      about: d.part === null ? "no station with enough rows" : stationWords(d, f.log),
      parts: d.parts.map(roundPart),
    });
  }
  for (const b of c.bounds) {
    const j = boundParts(idx, b, window, pieces);
    const d = decideSigned("bound", [j.margin], decision);
    const ev = j.evidence;
    const blame: Record<string, number> = {};
    if (ev) {
      blame[b.pair.low] = round(ev.low, 3);
      blame[b.pair.high] = round(ev.high, 3);
    }
    const base = signedVerdict("bound", d, s);
    // Both members are named: which one moved cannot be told reliably (a dry month lowers
    // the dew point as much as a warm sensor raises the temperature); the likelier one is
    // given as a hint.
    const about = d.part === null || !ev
      ? boundWords(b.pair, d)
      : `${boundWords(b.pair, d)}; ${likelier(b.pair, ev.low, ev.high)}`;
    for (const name of [b.pair.low, b.pair.high]) {
      add(name, { ...base, about, parts: d.parts.map(roundPart), blame });
    }
  }
  return out;
}

function signedVerdict(check: CheckName, d: SignedDecision, s: Settings): CheckVerdict {
  return {
    check,
    statistic: check === "bound" ? "bound_margin_shift" : "station_residual_shift",
    value: d.value === null ? null : finite(Math.abs(d.value)),
    z: d.z === null ? null : round(d.z, 3),
    threshold: finite(d.threshold),
    min_effect: s.minEffect[check],
    typical: finite(d.typical),
    state: d.state,
  };
}

function roundPart(p: PartFigures): PartFigures {
  return { name: p.name, value: round(p.value, 4), z: round(p.z, 3) };
}

function stationWords(d: SignedDecision, log: boolean): string {
  const v = d.value!;
  return `station ${d.part}: ${fmt(Math.abs(v))} std ${
    v >= 0 ? "above" : "below"
  } its usual place among the other stations in the same hours${
    log ? " (log scale: a calibration factor)" : ""
  }`;
}

function likelier(pair: BoundPair, low: number, high: number): string {
  const [a, b] = high >= low ? [pair.high, pair.low] : [pair.low, pair.high];
  return `one of the two sensors moved, more likely ${a} than ${b} by their own shifts against their usual months (log-likelihood ${
    fmt(Math.max(low, high))
  } against ${fmt(Math.min(low, high))})`;
}

function boundWords(pair: BoundPair, d: SignedDecision): string {
  const rule = `${pair.low} ≤ ${pair.high}${pair.why ? ` (${pair.why})` : ""}`;
  if (d.value === null) return `${rule}: too few rows with both`;
  return `${rule}: the lowest margin ${pair.high} - ${pair.low} is ${fmt(Math.abs(d.value))} std ${
    d.value >= 0 ? "wider" : "narrower"
  } than in the same months of training`;
}

/**
 * The reference a window is compared with. A reference piece is compared with the other
 * years of its calendar month, so the window is too: once without each reference month of
 * its season in turn, the statistics averaged (otherwise the window, compared with one more
 * year than any piece, would look closer to the reference than it is). With more than six
 * such months (an hourly season, the whole reference) the difference is negligible and the
 * whole reference is used.
 */
function leaveOneMonthOut(
  idx: ReferenceIndex,
  keys: readonly number[],
  plain: boolean,
  exclude: Int32Array | null,
): { keys: readonly number[]; exclude: Int32Array | null }[] {
  const base = [{ keys, exclude }];
  if (plain) return base;
  const overlap = new Set(exclude ?? []);
  const months = [...monthRows(idx)].filter(([, rows]) =>
    rows.length > 0 && keys.includes(idx.seasonKey[rows[0]!]!) &&
    !rows.some((r) => overlap.has(r))
  );
  if (months.length < 2 || months.length > 6) return base;
  return months.map(([, rows]) => {
    if (!exclude) return { keys, exclude: rows };
    const both = new Int32Array(exclude.length + rows.length);
    both.set(exclude);
    both.set(rows, exclude.length);
    return { keys, exclude: both };
  });
}

/** Mean of each statistic over comparisons; stuck and counts from the first. */
function averaged(vs: CheckValues[]): CheckValues {
  if (vs.length === 1) return vs[0]!;
  const mean = (k: "distribution" | "missing") => {
    const xs = vs.map((v) => v[k]).filter((x): x is number => x !== null && Number.isFinite(x));
    return xs.length === vs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  return { ...vs[0]!, distribution: mean("distribution"), missing: mean("missing") };
}

function checkVerdict(
  check: CheckName,
  col: ColumnIndex,
  value: number | null,
  d: Decision,
  s: Settings,
): CheckVerdict {
  return {
    check,
    statistic: statisticOf(check, col),
    value: finite(value),
    z: d.z === null ? null : round(d.z, 3),
    threshold: finite(d.threshold),
    min_effect: s.minEffect[check],
    typical: finite(d.typical),
    state: d.state,
  };
}

/** The most severe check (the first on ties); null when none ran. */
function worstCheck<T extends { state: CheckState }>(checks: T[]): T | null {
  let best: T | null = null;
  for (const c of checks) {
    if (c.state === "not_run") continue;
    if (!best || SEVERITY[c.state] > SEVERITY[best.state]) best = c;
  }
  return best;
}

function summarizeFeature(
  t: Tested,
  windows: WindowVerdict[],
  values: ReturnType<typeof columnValues>,
  batch: { order: Int32Array; group: Int32Array; keys: number[]; exclude: Int32Array | null },
  s: Settings,
): FeatureVerdict {
  const per = windows.map((w) => {
    const f = t.role === "feature"
      ? w.features.find((x) => x.feature === t.name)
      : t.role === "prediction"
      ? w.prediction
      : w.target;
    return { window: w.window, f: f ?? null };
  });
  // The batch at once: for one window, the window itself; for several, every current row
  // against the reference rows of every month they cover.
  let pooled: Record<CheckName, number | null> | null = null;
  if (windows.length > 1 && t.checks.some((c) => c !== "cross_station" && c !== "bound")) {
    const { order, group, keys, exclude } = batch;
    const v = checkValues(
      t.col,
      values,
      order,
      t.checks.includes("stuck") ? { rows: order, groupOf: group } : null,
      { keys, exclude },
      {
        minSampleSize: s.minSampleSize,
        stdFloor: s.stdFloor,
        runLength: s.stuckHours,
      },
    );
    pooled = {
      distribution: v.distribution,
      missing: v.missing,
      stuck: v.stuck,
      cross_station: null,
      bound: null,
    };
  }
  const checks = t.checks.map((check): CheckSummary => {
    const cs = per.map((p) => ({
      window: p.window,
      c: p.f?.checks.find((c) => c.check === check) ?? null,
    }));
    const ran = cs.filter((x) => x.c && x.c.state !== "not_run");
    const driftW = ran.filter((x) => x.c!.state === "drift").map((x) => x.window);
    const warnW = ran.filter((x) => x.c!.state === "within_noise").map((x) => x.window);
    if (check === "cross_station" || check === "bound") {
      return signedSummary(t, check, cs, windows.length, driftW, warnW, s);
    }
    const min = s.minEffect[check];
    if (windows.length <= 1) {
      const c = cs[0]?.c;
      return {
        check,
        statistic: statisticOf(check, t.col),
        value: c?.value ?? null,
        z: c?.z ?? null,
        threshold: c?.threshold ?? null,
        min_effect: min,
        state: c?.state ?? "not_run",
        drift_windows: driftW,
        within_noise_windows: warnW,
      };
    }
    const zs = ran.map((x) => x.c!.z!).filter((z) => Number.isFinite(z));
    const z = zs.length ? zs.reduce((a, b) => a + b, 0) / Math.sqrt(zs.length) : null;
    const value = finite(pooled![check]);
    const big = value !== null && value >= min;
    const state: CheckState = ran.length === 0
      ? "not_run"
      : driftW.length > 0 || (z !== null && z >= s.zDrift && big)
      ? "drift"
      : z !== null && z >= s.zWarn && big
      ? "within_noise"
      : "ok";
    return {
      check,
      statistic: statisticOf(check, t.col),
      value,
      z: z === null ? null : round(z, 3),
      threshold: null,
      min_effect: min,
      state,
      drift_windows: driftW,
      within_noise_windows: warnW,
    };
  });
  const worst = worstCheck(checks);
  const state: VerdictState = worst ? worst.state : "not_run";
  const unseen = [...new Set(per.flatMap((p) => p.f?.unseen_categories ?? []))];
  const v: FeatureVerdict = {
    feature: t.name,
    role: t.role,
    kind: t.kind,
    state,
    reason: "",
    skip: null,
    decided_by: worst?.check ?? null,
    checks,
    unseen_categories: unseen,
  };
  v.reason = featureReason(v, windows);
  return v;
}

/**
 * A consistency check over several windows: drift where a month drifts; otherwise each
 * part's (station's, margin's) z combined over the months (Stouffer), adjusted for the
 * number of parts, against the same thresholds. A bound member is named only when it moved
 * more than its partner over the months (the months' log-likelihoods of each explanation
 * added up).
 */
function signedSummary(
  t: Tested,
  check: "cross_station" | "bound",
  cs: { window: string; c: CheckVerdict | null }[],
  nWindows: number,
  driftW: string[],
  warnW: string[],
  s: Settings,
): CheckSummary {
  const ran = cs.filter((x) => x.c && x.c.state !== "not_run").map((x) => x.c!);
  const min = s.minEffect[check];
  const base = {
    check,
    statistic: statisticOf(check, t.col),
    min_effect: min,
    drift_windows: driftW,
    within_noise_windows: warnW,
  };
  if (nWindows <= 1) {
    const c = cs[0]?.c;
    return {
      ...base,
      value: c?.value ?? null,
      z: c?.z ?? null,
      threshold: c?.threshold ?? null,
      state: c?.state ?? "not_run",
      ...(c?.about ? { about: c.about } : {}),
    };
  }
  const combined = combineSigned(ran.map((c) => c.parts ?? []));
  if (!combined) {
    return { ...base, value: null, z: null, threshold: null, state: "not_run" };
  }
  const z = round(combined.z, 3);
  const big = Math.abs(combined.value) >= min;
  // A bound's hint over the months: the months' log-likelihoods of each explanation add up.
  const blame = new Map<string, number>();
  for (const c of ran) {
    for (const [name, b] of Object.entries(c.blame ?? {})) {
      blame.set(name, (blame.get(name) ?? 0) + b);
    }
  }
  const state: CheckState = driftW.length > 0 || (z >= s.zDrift && big)
    ? "drift"
    : z >= s.zWarn && big
    ? "within_noise"
    : "ok";
  const [first, second] = [...blame].sort((a, b) => b[1] - a[1]);
  const hint = first && second
    ? `; one of the two sensors moved, more likely ${first[0]} than ${second[0]} (log-likelihood ${
      fmt(first[1])
    } against ${fmt(second[1])} over the months)`
    : "";
  return {
    ...base,
    value: finite(Math.abs(combined.value)),
    z,
    threshold: null,
    state,
    about: `${check === "bound" ? "margin" : "station"} ${combined.part}: ${
      fmt(Math.abs(combined.value))
    } std ${
      check === "bound"
        ? combined.value >= 0 ? "wider" : "narrower"
        : combined.value >= 0
        ? "above"
        : "below"
    } on average over the months${hint}`,
  };
}

function emptyFeature(
  feature: string,
  role: FeatureVerdict["role"],
  kind: FeatureKind | null,
  state: "skipped" | "not_run",
  reason: string,
  skip: SkipRole | null,
): FeatureVerdict {
  return {
    feature,
    role,
    kind,
    state,
    reason,
    skip,
    decided_by: null,
    checks: [],
    unseen_categories: [],
  };
}

function datasetCounts(features: { feature: string; state: VerdictState }[]): DatasetCounts {
  const tested = features.filter((f) =>
    f.state === "drift" || f.state === "within_noise" || f.state === "ok"
  );
  const drifted = tested.filter((f) => f.state === "drift").map((f) => f.feature);
  const warn = tested.filter((f) => f.state === "within_noise").map((f) => f.feature);
  return {
    state: tested.length === 0
      ? "unavailable"
      : drifted.length
      ? "drift"
      : warn.length
      ? "within_noise"
      : "no_drift",
    n_features: features.length,
    n_tested: tested.length,
    n_drift: drifted.length,
    n_within_noise: warn.length,
    drift_share: tested.length ? drifted.length / tested.length : null,
    drifted,
    within_noise: warn,
  };
}

const CHECK_WORDS: Record<CheckName, string> = {
  distribution: "its distribution moved",
  missing: "its share of missing values changed",
  stuck: "it holds runs of one repeated value (a stuck sensor?)",
  cross_station:
    "it no longer agrees with the other stations at the same hours (a miscalibrated sensor?)",
  bound:
    "it broke its usual physical relation with its partner at the same hours (a miscalibrated sensor?)",
};

function featureReason(f: FeatureVerdict, windows: WindowVerdict[]): string {
  const c = f.checks.find((x) => x.check === f.decided_by);
  if (!c) {
    return `Not tested: ${
      f.checks.length
        ? "no check could run (too few values or too short a reference)"
        : "no check applies"
    }`;
  }
  const many = windows.length > 1;
  const fig = (
    x: Pick<CheckSummary, "statistic" | "value" | "threshold" | "min_effect" | "z" | "about">,
  ) =>
    `${x.about ? `${x.about}; ` : ""}${x.statistic.replaceAll("_", " ")} ${fmt(x.value)}${
      x.threshold !== null ? `, drift at ${fmt(Math.max(x.threshold, x.min_effect))}` : ""
    }${x.z !== null ? `, z ${fmt(x.z)}` : ""}`;
  // With several months, the figures of the month that decided.
  const monthFig = (ws: string[]) => {
    let best: CheckVerdict | null = null;
    let label = "";
    for (const w of windows) {
      if (!ws.includes(w.window)) continue;
      const fw = f.role === "feature"
        ? w.features.find((x) => x.feature === f.feature)
        : f.role === "prediction"
        ? w.prediction
        : w.target;
      const cw = fw?.checks.find((x) => x.check === c.check);
      if (cw && (!best || (cw.z ?? -Infinity) > (best.z ?? -Infinity))) {
        best = cw;
        label = w.window;
      }
    }
    return best ? `; ${label}: ${fig(best)}` : "";
  };
  if (f.state === "drift") {
    if (!many) {
      return `Drift: ${CHECK_WORDS[c.check]} beyond the noise of the training months (${fig(c)})`;
    }
    if (c.drift_windows.length) {
      return `Drift: ${CHECK_WORDS[c.check]} beyond the noise of the training months in ${
        c.drift_windows.join(", ")
      }${monthFig(c.drift_windows)}`;
    }
    return `Drift: ${
      CHECK_WORDS[c.check]
    } a little in every month, together beyond noise (all months: ${fig(c)})`;
  }
  if (f.state === "within_noise") {
    const where = many && c.within_noise_windows.length
      ? ` in ${c.within_noise_windows.join(", ")}${monthFig(c.within_noise_windows)}`
      : ` (${fig(c)})`;
    return `Within noise: ${
      CHECK_WORDS[c.check]
    } close to the threshold, as some training months do too${where}; watch the next batch`;
  }
  return `No drift: within the variation of the training months (${many ? "all months: " : ""}${
    fig(c)
  })`;
}

function skipReason(role: SkipRole): string {
  return role === "calendar"
    ? "Not tested: a calendar feature's distribution is set by the dates the rows cover (the seasonal reference already matches the months, and an hourly grid holds every hour and weekday alike), so its shift says nothing about the data"
    : "Not tested: an identity feature (the station) says which stations the rows come from, not how they behave; the stations are listed with the batch, unseen ones noted";
}

function headlineText(h: DriftVerdict["headline"]): string {
  const months = h.windows.n > 1
    ? ` (drift in ${h.windows.drift.length} of ${h.windows.n} months)`
    : "";
  const skipped = h.n_skipped
    ? `; ${h.n_skipped} not tested (${
      [...new Set(h.skipped.map((x) => x.role))].join(" and ")
    } features)`
    : "";
  if (h.state === "unavailable") return `No verdict: no feature could be tested${skipped}`;
  if (h.state === "drift") {
    return `Drift: ${h.n_drift} of ${h.n_tested} tested features moved beyond the noise of the training months (${
      h.drifted.join(", ")
    })${months}${skipped}`;
  }
  if (h.state === "within_noise") {
    return `No drift beyond noise: ${h.n_within_noise} of ${h.n_tested} tested features close to their threshold, within noise (${
      h.within_noise.join(", ")
    })${skipped}`;
  }
  return `No drift: all ${h.n_tested} tested features within the variation of the training months${skipped}`;
}

const VERDICT_EXPLAINED =
  "Each month of the current rows is compared with the training rows of the same calendar month. A feature drifts when its distribution, its share of missing values or its runs of repeated values differ from training by more than training months differ from the rest of training (3 noise standard deviations), and by at least the smallest shift that matters. Because weather moves whole months, a sensor is also compared with what the other stations and a physically bound partner say at the same hours (a station reading 50% high, an air temperature that no longer meets the dew point): the same rule, on the change of those relations. Between 2 and 3 it is reported as within noise: close to the threshold, where a verdict would flip on noise alone.";

function predictionText(p: FeatureVerdict | null): string {
  const base =
    "Prediction drift compares the model's forecasts for these rows with its forecasts for the training rows. A drift means the inputs moved in a way the model reacts to, so it now forecasts a different range of values; it does not mean the forecasts are wrong (that takes labels: see target drift and the RMSE).";
  if (!p) return `${base} Not computed: no model scored both samples.`;
  return `${base} Here: ${stateWords(p)}.`;
}

function targetText(t: FeatureVerdict | null, hasColumn: boolean, label: string): string {
  const base =
    `Target drift compares the measured ${label} of these rows with that of the training rows. A drift means the quantity being forecast behaves differently (a cleaner or more polluted season than any in training, say), which can make the model wrong even where its inputs look familiar.`;
  if (!t) {
    return `${base} Not computed: ${
      hasColumn ? "too few labelled rows" : "the current rows have no labels yet"
    }.`;
  }
  return `${base} Here: ${stateWords(t)}.`;
}

function stateWords(f: FeatureVerdict): string {
  if (f.state === "drift") return "drifted beyond noise";
  if (f.state === "within_noise") return "close to the threshold, within noise";
  if (f.state === "ok") return "no drift";
  return "not tested";
}

function ruleOf(season: SeasonKey | null, s: Settings): RuleDescription {
  return {
    name: "noise-aware seasonal drift",
    text:
      `${VERDICT_EXPLAINED} The noise of each statistic is measured on the reference: each training month (or, for a shorter window, each chunk of its length) is thinned to the window's row count and compared with the rest of the training rows of its calendar month, so the sampling noise, the autocorrelation of hourly data and the year-to-year variation are all in it. On a log scale, z = (log(statistic + c) - mean) / sd over those pieces. Over several months a feature drifts when it drifts in one of them, or when Stouffer's combination of its monthly z-scores reaches ${s.zDrift} (a small shift that persists). The consistency checks (cross_station, bound) are signed: z = (statistic - mean) / sd over the same pieces, two-sided. The bound's margin is judged by its |z|. A station's sd also holds the window's own sampling noise (block-bootstrap replicates of its days), and the station furthest from its usual place is judged against the furthest station of each training month (log scale) and must lie beyond all of them, so that the analyser episodes of training months count as noise. Over several months, each station's z-scores are combined (Stouffer) and the furthest adjusted for the number of stations (Šidák). Calendar and identity features are not tested.`,
    season,
    z_drift: s.zDrift,
    z_warn: s.zWarn,
    min_effect: s.minEffect,
    stuck_hours: s.stuckHours,
    statistics: {
      distribution:
        "normed Wasserstein distance (W1 / std of the reference rows of the season, floored at a quarter of the feature's std over the whole reference) for numbers, Jensen-Shannon distance (base 2) for categories and numbers with at most 5 values",
      missing: "absolute change of the share of missing values",
      stuck:
        `largest share of one station's rows in runs of at least ${s.stuckHours} equal non-zero values`,
      cross_station:
        "per station: the median of its residuals against the median of the other stations in the same hour (log(1 + x) for quantities never negative, so a calibration factor is a shift), minus the same over the training rows of the same months, in the feature's std; the station furthest from its usual place (in z) decides",
      bound:
        "for a pair that physics orders (low ≤ high): the lowest margin high - low of the window (0.1% quantile, at least the second-lowest value) minus that of the training rows of the same months, in the margin's std; both members are named, the likelier to have moved (by each one's median shift against its usual months) given as a hint",
    },
  };
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function finite(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}

function round(x: number, d: number): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}

function fmt(x: number | null): string {
  if (x === null) return "n/a";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16) : "";
}
