/**
 * Our own JSON model format. Numbers are written as JavaScript prints them (shortest
 * round-trip form), so float32 thresholds and leaf values and float64 cover and gain come
 * back bit for bit. JSON has no infinity: a threshold of ±Infinity (the split "every value
 * left, missing right") is written as the string "Infinity" / "-Infinity".
 */
import type { Tree, TreeEnsemble } from "./tree.ts";
import { type AddBack, checkAddBack } from "./add_back.ts";

export const MODEL_FORMAT = "aqlab-gbdt";
/** Version 2 adds `addBack`; a model without one is written as version 1, as before. */
export const MODEL_FORMAT_VERSION = 2;

export interface TreeJson {
  feature: number[];
  threshold: (number | string)[];
  left: number[];
  right: number[];
  defaultLeft: number[];
  value: number[];
  cover: number[];
  gain: number[];
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  baseScore: number;
  featureNames: string[];
  trees: TreeJson[];
  /** Change-target models: the current value added back to the trees' sum (add_back.ts). */
  addBack?: AddBack;
  /** Anything the caller wants kept beside the model (params, training metadata). */
  extra?: Record<string, unknown>;
}

/** The model as a JSON-ready object; `extra` is stored as given. */
export function modelToJSON(model: TreeEnsemble, extra?: Record<string, unknown>): ModelJson {
  const out: ModelJson = {
    format: MODEL_FORMAT,
    // Readers of version 1 would ignore an add-back and answer the change, not the level.
    formatVersion: model.addBack ? MODEL_FORMAT_VERSION : 1,
    baseScore: model.baseScore,
    featureNames: [...model.featureNames],
    trees: model.trees.map((t) => ({
      feature: Array.from(t.feature),
      threshold: Array.from(t.threshold, (v) => Number.isFinite(v) ? v : String(v)),
      left: Array.from(t.left),
      right: Array.from(t.right),
      defaultLeft: Array.from(t.defaultLeft),
      value: Array.from(t.value),
      cover: Array.from(t.cover),
      gain: Array.from(t.gain),
    })),
  };
  if (model.addBack) out.addBack = { ...model.addBack, features: [...model.addBack.features] };
  if (extra !== undefined) out.extra = extra;
  return out;
}

/** A model from `modelToJSON` output (object or JSON text), checked for shape and consistency. */
export function modelFromJSON(json: unknown): TreeEnsemble & { extra?: Record<string, unknown> } {
  const j = (typeof json === "string" ? JSON.parse(json) : json) as Partial<ModelJson>;
  const fail = (what: string): never => {
    throw new TypeError(`Cannot read model JSON: ${what}`);
  };
  if (typeof j !== "object" || j === null) fail(`expected an object, got ${typeof j}`);
  if (j.format !== MODEL_FORMAT) {
    fail(`expected format "${MODEL_FORMAT}", got ${JSON.stringify(j.format)}`);
  }
  if (j.formatVersion !== 1 && j.formatVersion !== MODEL_FORMAT_VERSION) {
    fail(
      `expected formatVersion 1 to ${MODEL_FORMAT_VERSION}, got ${JSON.stringify(j.formatVersion)}`,
    );
  }
  if (typeof j.baseScore !== "number" || !Number.isFinite(j.baseScore)) {
    fail(`expected a finite baseScore, got ${JSON.stringify(j.baseScore)}`);
  }
  if (!Array.isArray(j.featureNames) || !j.featureNames.every((s) => typeof s === "string")) {
    fail("expected featureNames to be an array of strings");
  }
  if (!Array.isArray(j.trees)) fail("expected trees to be an array");
  const nFeatures = j.featureNames!.length;
  const trees = j.trees!.map((t, i) => readTree(t, i, nFeatures, fail));
  const model: TreeEnsemble & { extra?: Record<string, unknown> } = {
    baseScore: j.baseScore!,
    trees,
    featureNames: [...j.featureNames!],
  };
  if (j.addBack !== undefined) {
    model.addBack = checkAddBack(j.addBack, "model JSON");
    for (const f of model.addBack.features) {
      if (!model.featureNames.includes(f)) fail(`addBack column "${f}" is not a feature`);
    }
  }
  if (j.extra !== undefined) model.extra = j.extra;
  return model;
}

function readTree(t: TreeJson, i: number, nFeatures: number, fail: (w: string) => never): Tree {
  const keys = ["feature", "threshold", "left", "right", "defaultLeft", "value", "cover", "gain"];
  const n = Array.isArray(t?.feature) ? t.feature.length : -1;
  if (n < 1) fail(`tree ${i}: expected a non-empty feature array`);
  for (const k of keys) {
    const a = (t as unknown as Record<string, unknown>)[k];
    if (!Array.isArray(a) || a.length !== n) {
      fail(`tree ${i}: expected ${k} to be an array of ${n}`);
    }
  }
  const num = (v: unknown, k: string, node: number): number => {
    if (typeof v === "number") return v;
    if (k === "threshold" && (v === "Infinity" || v === "-Infinity")) return Number(v);
    return fail(`tree ${i} node ${node}: expected a number for ${k}, got ${JSON.stringify(v)}`);
  };
  const tree: Tree = {
    feature: Int32Array.from(t.feature, (v, n) => num(v, "feature", n)),
    threshold: Float32Array.from(t.threshold, (v, n) => num(v, "threshold", n)),
    left: Int32Array.from(t.left, (v, n) => num(v, "left", n)),
    right: Int32Array.from(t.right, (v, n) => num(v, "right", n)),
    defaultLeft: Uint8Array.from(t.defaultLeft, (v, n) => num(v, "defaultLeft", n)),
    value: Float32Array.from(t.value, (v, n) => num(v, "value", n)),
    cover: Float64Array.from(t.cover, (v, n) => num(v, "cover", n)),
    gain: Float64Array.from(t.gain, (v, n) => num(v, "gain", n)),
  };
  for (let k = 0; k < n; k++) {
    const f = tree.feature[k]!;
    if (f < 0) continue;
    if (f >= nFeatures) fail(`tree ${i} node ${k}: feature ${f} is out of range [0, ${nFeatures})`);
    const l = tree.left[k]!, r = tree.right[k]!;
    if (!(l > k && l < n && r > k && r < n)) {
      fail(`tree ${i} node ${k}: children ${l}, ${r} must lie after the node and below ${n}`);
    }
  }
  return tree;
}
