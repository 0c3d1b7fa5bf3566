/**
 * Import an XGBoost model saved in its JSON format (`Booster.save_model("m.json")`,
 * XGBoost 1.x and 2.x/3.x) into our {@link TreeEnsemble}.
 *
 * XGBoost's branch rule is ours: go left when `x < split_condition` (float32), NaN follows
 * `default_left`. At a leaf (`left_children[n] === -1`) XGBoost stores the leaf value, with
 * the learning rate applied, in `split_conditions[n]` (it equals `base_weights[n]` there).
 * For identity-link regression objectives the prediction is `base_score + sum of leaves`.
 */
import type { Tree, TreeEnsemble } from "./tree.ts";

/** Objectives whose margin is the prediction itself (identity link). */
const IDENTITY_OBJECTIVES = new Set([
  "reg:squarederror",
  "reg:linear", // the pre-1.0 name of reg:squarederror
  "reg:absoluteerror",
  "reg:pseudohubererror",
]);

type Json = Record<string, unknown>;

function field(obj: unknown, key: string, where: string): unknown {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new TypeError(`Cannot import XGBoost model: expected an object at "${where}"`);
  }
  const v = (obj as Json)[key];
  if (v === undefined) {
    throw new TypeError(`Cannot import XGBoost model: missing field "${where}.${key}"`);
  }
  return v;
}

function numberArray(tree: unknown, key: string, t: number, n: number): number[] {
  const v = field(tree, key, `trees[${t}]`);
  if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== "number")) {
    throw new TypeError(
      `Cannot import XGBoost model: expected "trees[${t}].${key}" to be ${n} numbers`,
    );
  }
  return v as number[];
}

/**
 * Parse XGBoost's `base_score`: a decimal string in 1.x/2.x ("8.048819E1"), a bracketed
 * vector in 3.x ("[8.048819E1]"), or a plain number.
 */
function parseBaseScore(raw: unknown): number {
  const s = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : "";
  const inner = s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1).trim() : s;
  const v = inner === "" || inner.includes(",") ? NaN : Number(inner);
  if (!Number.isFinite(v)) {
    throw new TypeError(
      `Cannot import XGBoost model: expected "learner_model_param.base_score" to be one number, got ${
        JSON.stringify(raw)
      }`,
    );
  }
  return v;
}

function importTree(raw: unknown, t: number, nFeatures: number): Tree {
  const left = field(raw, "left_children", `trees[${t}]`);
  if (!Array.isArray(left)) {
    throw new TypeError(`Cannot import XGBoost model: "trees[${t}].left_children" is not an array`);
  }
  const n = left.length;
  const lc = numberArray(raw, "left_children", t, n);
  const rc = numberArray(raw, "right_children", t, n);
  const si = numberArray(raw, "split_indices", t, n);
  const sc = numberArray(raw, "split_conditions", t, n);
  const dl = numberArray(raw, "default_left", t, n);
  const hess = numberArray(raw, "sum_hessian", t, n);
  const loss = numberArray(raw, "loss_changes", t, n);
  const splitType = (raw as Json)["split_type"];
  const tree: Tree = {
    feature: new Int32Array(n),
    threshold: new Float32Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
    defaultLeft: new Uint8Array(n),
    value: new Float32Array(n),
    cover: new Float64Array(hess),
    gain: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const l = lc[i]!, r = rc[i]!;
    if (l === -1) {
      tree.feature[i] = -1;
      tree.left[i] = -1;
      tree.right[i] = -1;
      tree.value[i] = sc[i]!;
      continue;
    }
    if (Array.isArray(splitType) && splitType[i] !== 0) {
      throw new TypeError(
        `Cannot import XGBoost model: node ${i} of tree ${t} is a categorical split; only numeric splits are supported`,
      );
    }
    const f = si[i]!;
    if (!Number.isInteger(f) || f < 0 || f >= nFeatures) {
      throw new RangeError(
        `Cannot import XGBoost model: node ${i} of tree ${t} splits on feature ${f}; expected 0..${
          nFeatures - 1
        }`,
      );
    }
    if (!(l > i && l < n && r > i && r < n)) {
      throw new RangeError(
        `Cannot import XGBoost model: node ${i} of tree ${t} has children ${l}, ${r}; expected indices in ${
          i + 1
        }..${n - 1}`,
      );
    }
    tree.feature[i] = f;
    tree.threshold[i] = sc[i]!;
    tree.left[i] = l;
    tree.right[i] = r;
    tree.defaultLeft[i] = dl[i] ? 1 : 0;
    tree.gain[i] = loss[i]!;
  }
  return tree;
}

/**
 * Convert a parsed XGBoost JSON model (the object `JSON.parse` returns for a file written by
 * `save_model("*.json")`) into a {@link TreeEnsemble}.
 *
 * Supported: booster `gbtree`, one output, numeric splits, identity-link regression
 * objectives (`reg:squarederror`, `reg:linear`, `reg:absoluteerror`,
 * `reg:pseudohubererror`). Anything else throws a `TypeError` naming the field.
 * Feature names come from `learner.feature_names`, else `f0`, `f1`, ... as XGBoost names them.
 */
export function importXgboostJson(json: unknown): TreeEnsemble {
  const learner = field(json, "learner", "model");
  const booster = field(learner, "gradient_booster", "learner");
  const name = field(booster, "name", "learner.gradient_booster");
  if (name !== "gbtree") {
    throw new TypeError(
      `Cannot import XGBoost model: expected booster "gbtree", got ${JSON.stringify(name)}`,
    );
  }
  const objective = field(field(learner, "objective", "learner"), "name", "learner.objective");
  if (typeof objective !== "string" || !IDENTITY_OBJECTIVES.has(objective)) {
    throw new TypeError(
      `Cannot import XGBoost model: expected an identity-link regression objective (${
        [...IDENTITY_OBJECTIVES].join(", ")
      }), got ${JSON.stringify(objective)}`,
    );
  }
  const param = field(learner, "learner_model_param", "learner");
  const numClass = Number((param as Json)["num_class"] ?? 0);
  const numTarget = Number((param as Json)["num_target"] ?? 1);
  if (numClass > 1 || numTarget > 1) {
    throw new TypeError(
      `Cannot import XGBoost model: expected one output, got num_class ${numClass}, num_target ${numTarget}`,
    );
  }
  const baseScore = parseBaseScore(field(param, "base_score", "learner.learner_model_param"));
  const nFeatures = Number(field(param, "num_feature", "learner.learner_model_param"));
  if (!Number.isInteger(nFeatures) || nFeatures < 1) {
    throw new TypeError(
      `Cannot import XGBoost model: expected "num_feature" to be a positive integer, got ${nFeatures}`,
    );
  }
  const rawNames = (learner as Json)["feature_names"];
  let featureNames: string[];
  if (Array.isArray(rawNames) && rawNames.length > 0) {
    if (rawNames.length !== nFeatures || rawNames.some((s) => typeof s !== "string")) {
      throw new TypeError(
        `Cannot import XGBoost model: expected "learner.feature_names" to be ${nFeatures} strings`,
      );
    }
    featureNames = rawNames as string[];
  } else {
    featureNames = Array.from({ length: nFeatures }, (_, i) => `f${i}`);
  }
  const model = field(booster, "model", "learner.gradient_booster");
  const trees = field(model, "trees", "learner.gradient_booster.model");
  if (!Array.isArray(trees)) {
    throw new TypeError(`Cannot import XGBoost model: "model.trees" is not an array`);
  }
  return { baseScore, trees: trees.map((t, i) => importTree(t, i, nFeatures)), featureNames };
}
