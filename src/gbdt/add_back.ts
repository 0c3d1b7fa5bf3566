/**
 * The add-back of a model trained on a change target (PM2.5(t + h) - PM2.5(t)): the level
 * prediction is the trees' sum plus the current value. It is part of the model, so
 * `predict`, the ONNX graph, TreeSHAP, the endpoint and the browser all give the level.
 *
 * Where the current value is missing the next column of `features` is used (PM2.5 one hour
 * before), and where all are missing `fallback` (the training mean of the target): the
 * model still answers. The trees were fitted against exactly this add-back, so they learned
 * the correction for each case.
 */
export interface AddBack {
  /** Columns tried in order: the first one present is added to the trees' sum. */
  features: string[];
  /** Added where every column of `features` is missing. */
  fallback: number;
  /** Mean add-back over the training rows: part of TreeSHAP's base value. */
  mean: number;
}

/** The add-back columns of the study's change target: PM2.5 now, else one hour before. */
export const CHANGE_ADD_BACK_FEATURES = ["PM2.5", "pm25_lag1"] as const;

/** Column indices of `a.features` in `featureNames`; throws naming a missing one. */
export function addBackColumns(a: AddBack, featureNames: readonly string[]): Int32Array {
  return Int32Array.from(a.features, (f) => {
    const j = featureNames.indexOf(f);
    if (j < 0) {
      throw new RangeError(
        `Cannot use the add-back: column "${f}" is not a model feature (${
          featureNames.join(", ")
        })`,
      );
    }
    return j;
  });
}

/** The add-back of the row at `x[o ..]`; `cols` from {@link addBackColumns}. */
export function addBackOf(
  a: AddBack,
  cols: Int32Array,
  x: ArrayLike<number>,
  o: number,
): number {
  for (let k = 0; k < cols.length; k++) {
    const v = x[o + cols[k]!]!;
    if (v === v) return v;
  }
  return a.fallback;
}

/** Index into `cols` of the column that gives the row's add-back, or -1 for the fallback. */
export function addBackSource(cols: Int32Array, x: ArrayLike<number>, o: number): number {
  for (let k = 0; k < cols.length; k++) {
    const v = x[o + cols[k]!]!;
    if (v === v) return k;
  }
  return -1;
}

/** Checks the shape of an add-back read from a file; throws a TypeError naming the field. */
export function checkAddBack(a: unknown, where: string): AddBack {
  const o = a as Partial<AddBack> | null;
  const ok = typeof o === "object" && o !== null && Array.isArray(o.features) &&
    o.features.length > 0 && o.features.every((f) => typeof f === "string") &&
    typeof o.fallback === "number" && Number.isFinite(o.fallback) &&
    typeof o.mean === "number" && Number.isFinite(o.mean);
  if (!ok) {
    throw new TypeError(
      `Cannot read ${where}: expected addBack {features: string[], fallback: number, mean: number}, got ${
        JSON.stringify(a)
      }`,
    );
  }
  return { features: [...o!.features!], fallback: o!.fallback!, mean: o!.mean! };
}
