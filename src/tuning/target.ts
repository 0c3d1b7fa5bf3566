/**
 * The target's form: the level PM2.5(t + h), or its change PM2.5(t + h) - PM2.5(t), which
 * the trees learn and the model adds back (src/gbdt/add_back.ts). Trees cannot predict past
 * the leaf values they learned; a change target keeps an extreme winter's levels within
 * reach of a model trained on milder ones. `auto` leaves the choice to cross-validation.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import {
  type AddBack,
  addBackColumns,
  addBackOf,
  CHANGE_ADD_BACK_FEATURES,
} from "../gbdt/add_back.ts";

export const TARGET_FORMS = ["level", "change"] as const;
export type TargetForm = (typeof TARGET_FORMS)[number];
export const TARGET_CHOICES = ["auto", ...TARGET_FORMS] as const;
export type TargetChoice = (typeof TARGET_CHOICES)[number];

/** The forms cross-validation compares for a `features.target` setting. */
export function targetForms(choice: string): TargetForm[] {
  if (choice === "auto") return [...TARGET_FORMS];
  if ((TARGET_FORMS as readonly string[]).includes(choice)) return [choice as TargetForm];
  throw new RangeError(
    `Cannot choose the target: features.target must be one of ${
      TARGET_CHOICES.map((c) => `"${c}"`).join(", ")
    }: got "${choice}"`,
  );
}

/**
 * The add-back of a change target fitted on (X, y): PM2.5 now, else an hour before, else the
 * training mean of the target; `mean` is the add-back's mean over these rows.
 */
export function fitAddBack(X: FeatureMatrix, y: ArrayLike<number>): AddBack {
  let sy = 0, n = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (Number.isFinite(v)) {
      sy += v;
      n++;
    }
  }
  if (n === 0) throw new RangeError("Cannot fit the add-back: the target has no value");
  const a: AddBack = { features: [...CHANGE_ADD_BACK_FEATURES], fallback: sy / n, mean: 0 };
  const v = addBackValues(a, X);
  let s = 0;
  for (const x of v) s += x;
  a.mean = X.nRows ? s / X.nRows : a.fallback;
  return a;
}

/** The add-back of every row of X. */
export function addBackValues(a: AddBack, X: FeatureMatrix): Float64Array {
  const cols = addBackColumns(a, X.names);
  const out = new Float64Array(X.nRows);
  for (let i = 0; i < X.nRows; i++) out[i] = addBackOf(a, cols, X.data, i * X.nCols);
  return out;
}

/** What the trees are fitted on: y itself, or y minus the add-back. */
export function treeTarget(y: Float32Array, addBack: ArrayLike<number> | null): Float32Array {
  if (!addBack) return y;
  return Float32Array.from(y, (v, i) => v - addBack[i]!);
}
