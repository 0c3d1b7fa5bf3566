/**
 * Drift report of a current batch against a reference: one entry per column with the
 * test Evidently would choose (see select.ts), and a dataset verdict: drift when the share
 * of drifted features among those tested is at least `datasetDriftShare` (default 0.5).
 *
 * Bad batches give a clear report, never an exception: a missing column, an all-missing
 * column, an empty batch or a very small one yields an entry with `status: "not_run"` and a
 * note saying why; unseen categories are listed. Missing values (NaN, null, "") are
 * excluded from the tests and reported as shares. Each numeric column is sorted once and the
 * sort is reused by KS, Wasserstein and PSI.
 * @module
 */

import { ks2sampSorted, type KsResult } from "./ks.ts";
import { sortedNonMissing } from "./sort.ts";
import { populationStd, wassersteinSorted } from "./wasserstein.ts";
import { type PsiOptions, psiSorted } from "./psi.ts";
import {
  type CategoryCounts,
  chi2Contingency,
  countCategories,
  jensenShannonDistance,
  proportionsZTest,
} from "./categorical.ts";
import {
  DEFAULT_SELECT_OPTIONS,
  type DriftTest,
  type FeatureKind,
  type SelectOptions,
  selectTest,
} from "./select.ts";

/** A column: numbers (NaN = missing) or strings (null or "" = missing). */
export type Column = Float32Array | Float64Array | (string | null)[];

/** Named columns of one batch. */
export type Columns = Record<string, Column>;

/** A prediction or target column pair, reported beside the features. */
export interface ExtraColumn {
  reference: Column;
  current: Column;
  /** Defaults from the column type: typed arrays numeric, string arrays categorical. */
  kind?: FeatureKind;
}

/** Options of {@link driftReport}. */
export interface DriftReportOptions extends SelectOptions {
  /** Kind per column; defaults from the column type. */
  kinds?: Record<string, FeatureKind>;
  /** Columns to test, in this order; default: reference's columns, then current's new ones. */
  features?: string[];
  /** Dataset drift when drifted / tested features ≥ this share (default 0.5, Evidently). */
  datasetDriftShare?: number;
  /** Fewest non-missing values each sample needs for a test to run (default 5). */
  minSampleSize?: number;
  /** Prediction and target drift: the same tests, reported apart from the feature share. */
  extra?: { prediction?: ExtraColumn; target?: ExtraColumn };
  /** PSI options (quantile bins of the reference; default 10 bins, 1e-4 floor). */
  psi?: PsiOptions;
  /** Also compute KS, Wasserstein and PSI for every numeric column (default true). */
  supplementary?: boolean;
  /** Std floor of the normed Wasserstein distance (default 0.001, Evidently). */
  stdFloor?: number;
}

/** Extra scores of a numeric column, whichever test decided its drift. */
export interface NumericScores {
  ksStatistic: number;
  ksPValue: number;
  ksMethod: KsResult["method"];
  wasserstein: number;
  wassersteinNormed: number;
  psi: number;
}

/** The drift verdict of one column. */
export interface FeatureDrift {
  feature: string;
  role: "feature" | "prediction" | "target";
  kind: FeatureKind;
  status: "tested" | "not_run";
  test: DriftTest | null;
  /** KS D, chi-square, z, normed Wasserstein or JS distance, by test. */
  statistic: number | null;
  pValue: number | null;
  distance: number | null;
  threshold: number | null;
  drifted: boolean;
  /** Non-missing values used. */
  nReference: number;
  nCurrent: number;
  /** Missing share of the column's rows; null for a column absent or with no rows. */
  missingShareReference: number | null;
  missingShareCurrent: number | null;
  /** Current categories never seen in the reference (categorical tests only). */
  unseenCategories: string[];
  scores: NumericScores | null;
  note: string;
}

/** The whole report. */
export interface DriftReport {
  features: FeatureDrift[];
  prediction: FeatureDrift | null;
  target: FeatureDrift | null;
  nFeatures: number;
  nTested: number;
  nDrifted: number;
  /** nDrifted / nTested; null when no feature could be tested. */
  driftShare: number | null;
  datasetDriftShare: number;
  datasetDrift: boolean;
  rows: { reference: number; current: number };
  missingColumns: { reference: string[]; current: string[] };
  notes: string[];
}

/** Compare `current` with `reference`, column by column. */
export function driftReport(
  reference: Columns,
  current: Columns,
  options: DriftReportOptions = {},
): DriftReport {
  const share = options.datasetDriftShare ?? 0.5;
  const names = options.features ?? unionKeys(reference, current);
  const missingColumns = {
    reference: names.filter((n) => !(n in reference)),
    current: names.filter((n) => !(n in current)),
  };
  const features = names.map((name) =>
    columnDrift(name, "feature", reference[name], current[name], options)
  );
  const extra = options.extra ?? {};
  const prediction = extra.prediction
    ? columnDrift(
      "prediction",
      "prediction",
      extra.prediction.reference,
      extra.prediction.current,
      {
        ...options,
        kinds: { prediction: extra.prediction.kind ?? kindOf(extra.prediction.reference) },
      },
    )
    : null;
  const target = extra.target
    ? columnDrift("target", "target", extra.target.reference, extra.target.current, {
      ...options,
      kinds: { target: extra.target.kind ?? kindOf(extra.target.reference) },
    })
    : null;
  const tested = features.filter((f) => f.status === "tested");
  const nDrifted = tested.filter((f) => f.drifted).length;
  const driftShare = tested.length > 0 ? nDrifted / tested.length : null;
  const rows = { reference: maxLength(reference), current: maxLength(current) };
  const notes: string[] = [];
  if (rows.current === 0) notes.push("Current batch is empty: no test could run");
  if (rows.reference === 0) notes.push("Reference is empty: no test could run");
  if (missingColumns.current.length > 0) {
    notes.push(`Columns missing from the current batch: ${missingColumns.current.join(", ")}`);
  }
  if (missingColumns.reference.length > 0) {
    notes.push(`Columns missing from the reference: ${missingColumns.reference.join(", ")}`);
  }
  const notRun = features.length - tested.length;
  if (notRun > 0) {
    notes.push(`${notRun} of ${features.length} features not tested (see their notes)`);
  }
  if (tested.length === 0 && features.length > 0) {
    notes.push("No feature could be tested: no dataset drift verdict");
  }
  return {
    features,
    prediction,
    target,
    nFeatures: features.length,
    nTested: tested.length,
    nDrifted,
    driftShare,
    datasetDriftShare: share,
    datasetDrift: driftShare !== null && driftShare >= share,
    rows,
    missingColumns,
    notes,
  };
}

function unionKeys(a: Columns, b: Columns): string[] {
  const out = Object.keys(a);
  for (const k of Object.keys(b)) if (!(k in a)) out.push(k);
  return out;
}

function maxLength(cols: Columns): number {
  let n = 0;
  for (const c of Object.values(cols)) n = Math.max(n, c.length);
  return n;
}

function kindOf(col: Column | undefined): FeatureKind {
  return col === undefined || Array.isArray(col) ? "categorical" : "numeric";
}

function isNumeric(col: Column): col is Float32Array | Float64Array {
  return !Array.isArray(col);
}

function columnDrift(
  name: string,
  role: FeatureDrift["role"],
  ref: Column | undefined,
  cur: Column | undefined,
  options: DriftReportOptions,
): FeatureDrift {
  const kind = options.kinds?.[name] ?? kindOf(ref ?? cur);
  const base: FeatureDrift = {
    feature: name,
    role,
    kind,
    status: "not_run",
    test: null,
    statistic: null,
    pValue: null,
    distance: null,
    threshold: null,
    drifted: false,
    nReference: 0,
    nCurrent: 0,
    missingShareReference: null,
    missingShareCurrent: null,
    unseenCategories: [],
    scores: null,
    note: "",
  };
  if (ref === undefined || cur === undefined) {
    const where = ref === undefined && cur === undefined
      ? "both batches"
      : ref === undefined
      ? "the reference"
      : "the current batch";
    return { ...base, note: `Column "${name}" is missing from ${where}: not tested` };
  }
  if (kind === "numeric" && (!isNumeric(ref) || !isNumeric(cur))) {
    return {
      ...base,
      note:
        `Column "${name}" is declared numeric: expected Float32Array or Float64Array, got strings`,
    };
  }
  try {
    return kind === "numeric"
      ? numericDrift(
        base,
        ref as Float32Array | Float64Array,
        cur as Float32Array | Float64Array,
        options,
      )
      : categoricalDrift(base, toStrings(ref), toStrings(cur), options);
  } catch (e) {
    // A report must never crash on a bad batch: the failure becomes the column's note.
    return { ...base, note: `Test failed on column "${name}": ${(e as Error).message}` };
  }
}

function toStrings(col: Column): (string | null)[] {
  if (Array.isArray(col)) return col;
  return Array.from(col, (v) => (Number.isNaN(v) ? null : String(v)));
}

function share(missing: number, total: number): number | null {
  return total > 0 ? missing / total : null;
}

function tooSmall(base: FeatureDrift, min: number): FeatureDrift | null {
  const { nReference: r, nCurrent: c } = base;
  if (r >= min && c >= min) return null;
  const which: string[] = [];
  if (r < min) which.push(`reference has ${r}`);
  if (c < min) which.push(`current has ${c}`);
  return {
    ...base,
    note: `Not tested: ${which.join(" and ")} non-missing values; at least ${min} needed`,
  };
}

function numericDrift(
  base0: FeatureDrift,
  ref: Float32Array | Float64Array,
  cur: Float32Array | Float64Array,
  options: DriftReportOptions,
): FeatureDrift {
  const r = sortedNonMissing(ref);
  const c = sortedNonMissing(cur);
  const base: FeatureDrift = {
    ...base0,
    nReference: r.length,
    nCurrent: c.length,
    missingShareReference: share(ref.length - r.length, ref.length),
    missingShareCurrent: share(cur.length - c.length, cur.length),
  };
  const small = tooSmall(base, options.minSampleSize ?? 5);
  if (small) return small;
  const lowCardMax = options.lowCardinalityMax ?? DEFAULT_SELECT_OPTIONS.lowCardinalityMax;
  const nDistinct = countDistinctUpTo(r, c, lowCardMax + 1);
  const sel = selectTest("numeric", r.length, nDistinct, options);
  let scores: NumericScores | null = null;
  const wantScores = options.supplementary ?? true;
  let ks: KsResult | null = null;
  let wNormed = NaN;
  if (wantScores || sel.test === "ks") ks = ks2sampSorted(r, c);
  if (wantScores || sel.test === "wasserstein") {
    const w = wassersteinSorted(r, c);
    wNormed = w / Math.max(populationStd(r), options.stdFloor ?? 0.001);
    if (wantScores) {
      const psi = psiSorted(r, c, {
        ...options.psi,
        referenceMissing: ref.length - r.length,
        currentMissing: cur.length - c.length,
      }).psi;
      scores = {
        ksStatistic: ks!.statistic,
        ksPValue: ks!.pValue,
        ksMethod: ks!.method,
        wasserstein: w,
        wassersteinNormed: wNormed,
        psi,
      };
    }
  }
  const out = {
    ...base,
    status: "tested" as const,
    test: sel.test,
    threshold: sel.threshold,
    scores,
  };
  if (sel.test === "ks") {
    const p = ks!.pValue;
    return { ...out, statistic: ks!.statistic, pValue: p, drifted: p < sel.threshold, note: "" };
  }
  if (sel.test === "wasserstein") {
    return { ...out, statistic: wNormed, distance: wNormed, drifted: wNormed >= sel.threshold };
  }
  const counts = numericCategoryCounts(r, c);
  return {
    ...categoricalTest(out, counts, sel.test, sel.threshold),
    unseenCategories: counts.unseen,
    note: `Numeric column with ${nDistinct} distinct values: tested as categories`,
  };
}

function categoricalDrift(
  base0: FeatureDrift,
  ref: (string | null)[],
  cur: (string | null)[],
  options: DriftReportOptions,
): FeatureDrift {
  const counts = countCategories(ref, cur);
  const base: FeatureDrift = {
    ...base0,
    nReference: ref.length - counts.referenceMissing,
    nCurrent: cur.length - counts.currentMissing,
    missingShareReference: share(counts.referenceMissing, ref.length),
    missingShareCurrent: share(counts.currentMissing, cur.length),
    unseenCategories: counts.unseen,
  };
  const small = tooSmall(base, options.minSampleSize ?? 5);
  if (small) return small;
  const sel = selectTest("categorical", base.nReference, counts.categories.length, options);
  const out = categoricalTest(
    { ...base, status: "tested", test: sel.test, threshold: sel.threshold },
    counts,
    sel.test,
    sel.threshold,
  );
  if (counts.unseen.length > 0) {
    out.note = `Unseen categories in current: ${counts.unseen.join(", ")}`;
  }
  return out;
}

function categoricalTest(
  base: FeatureDrift,
  counts: CategoryCounts,
  test: DriftTest,
  threshold: number,
): FeatureDrift {
  const { referenceCounts: rc, currentCounts: cc } = counts;
  if (test === "chisquare") {
    const r = chi2Contingency(rc, cc);
    return { ...base, statistic: r.statistic, pValue: r.pValue, drifted: r.pValue < threshold };
  }
  if (test === "z") {
    const nr = rc.reduce((s, x) => s + x, 0);
    const nc = cc.reduce((s, x) => s + x, 0);
    const r = proportionsZTest(rc[0] ?? 0, nr, cc[0] ?? 0, nc);
    return { ...base, statistic: r.statistic, pValue: r.pValue, drifted: r.pValue < threshold };
  }
  const d = jensenShannonDistance(rc, cc, 2);
  return { ...base, statistic: d, distance: d, drifted: d >= threshold };
}

function countDistinctUpTo(a: ArrayLike<number>, b: ArrayLike<number>, cap: number): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while ((i < a.length || j < b.length) && n < cap) {
    const v = i < a.length && (j >= b.length || a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    n++;
  }
  return n;
}

function numericCategoryCounts(a: ArrayLike<number>, b: ArrayLike<number>): CategoryCounts {
  const categories: string[] = [];
  const referenceCounts: number[] = [];
  const currentCounts: number[] = [];
  const unseen: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const v = i < a.length && (j >= b.length || a[i]! <= b[j]!) ? a[i]! : b[j]!;
    const i0 = i;
    const j0 = j;
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    categories.push(String(v));
    referenceCounts.push(i - i0);
    currentCounts.push(j - j0);
    if (i === i0) unseen.push(String(v));
  }
  return {
    categories,
    referenceCounts,
    currentCounts,
    unseen,
    referenceMissing: 0,
    currentMissing: 0,
  };
}
