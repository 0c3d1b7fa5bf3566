/**
 * The model the endpoint serves, loaded from a model package folder (src/registry/package.ts).
 * I/O code: files are read with `Deno.readFile` (local paths and `file:` URLs, which Deno
 * Deploy serves from the deployment) or `fetch` (other URLs), never with a native module,
 * so the same code runs locally and on the edge.
 */
import { createSession, type OnnxScorer } from "../onnx/session.ts";
import { modelFromJSON } from "../gbdt/serialize.ts";
import type { TreeEnsemble } from "../gbdt/tree.ts";
import { TreeExplainer } from "../explain/mod.ts";
import { FEATURE_NAMES } from "../features/schema.ts";
import type { DriftReference, ModelMetadata } from "../registry/package.ts";
import { dirUrl, readPackage } from "../registry/read_package.ts";
import { resolveModel } from "../registry/resolve_model.ts";
import { candidateDir } from "../pipeline/catalog.ts";

export { dirUrl };

export interface LoadedModel {
  /** Where the package was read from (a `file:` or other URL, ending in "/"). */
  source: string;
  metadata: ModelMetadata;
  /** "name:vN" for registered models, "name:candidate" otherwise: what answers carry. */
  version: string;
  scorer: OnnxScorer;
  /** The tree model and its compiled explainer (null for linear or foreign models). */
  trees: TreeEnsemble | null;
  explainer: TreeExplainer | null;
  /** Training sample for drift checks (null when the package has no reference.json). */
  reference: DriftReference | null;
  loadedAt: string;
}

/** Reads a model package and starts its ONNX session. */
export async function loadModel(dir: string | URL): Promise<LoadedModel> {
  const base = dirUrl(dir);
  const pkg = await readPackage(base);
  const metadata = pkg.metadata;
  const names = metadata.schema?.features?.map((f) => f.name);
  if (!Array.isArray(names) || names.join("\u0000") !== FEATURE_NAMES.join("\u0000")) {
    throw new TypeError(
      `Cannot load model from "${base.href}": its schema lists features ${
        JSON.stringify(names)
      }, expected the standard task's ${FEATURE_NAMES.length} features in order`,
    );
  }
  const scorer = await createSession(pkg.onnx);
  const trees = pkg.model === null ? null : modelFromJSON(pkg.model);
  return {
    source: base.href,
    metadata,
    version: `${metadata.name}:${metadata.version === null ? "candidate" : `v${metadata.version}`}`,
    scorer,
    trees,
    explainer: trees === null ? null : new TreeExplainer(trees),
    reference: pkg.reference,
    loadedAt: new Date().toISOString(),
  };
}

/** The repository root, seen from this module (src/serve/ -> ../../). */
export const REPO_ROOT = new URL("../../", import.meta.url);

/**
 * Which package to serve: `AQLAB_MODEL_DIR` when given; else the one rule of
 * src/registry/resolve_model.ts (production version of `model`, else the GBDT candidate).
 * When neither exists, the candidate's folder, so that loading names what is missing.
 */
export async function resolveModelDir(
  options: { root?: URL; model?: string; env?: string | undefined } = {},
): Promise<URL> {
  const root = options.root ?? REPO_ROOT;
  if (options.env) return dirUrl(options.env);
  const resolved = await resolveModel(root, { name: options.model ?? "pm25" });
  return resolved?.url ?? new URL(candidateDir("gbdt") + "/", root);
}

/**
 * Checks that a loaded model scores: a few rows of its drift reference (or one row of
 * missing values) must each give one finite prediction. Run before a reloaded or promoted
 * model is served, so a package that loads but cannot score never replaces a working one.
 */
export async function checkModel(m: LoadedModel): Promise<void> {
  const F = FEATURE_NAMES.length;
  const ref = m.reference;
  const n = ref ? Math.min(8, ref.rows) : 0;
  const data = new Float32Array(Math.max(n, 1) * F).fill(NaN);
  for (let i = 0; i < n; i++) {
    FEATURE_NAMES.forEach((name, j) => {
      const v = ref!.columns[name]?.[i];
      data[i * F + j] = v === null || v === undefined ? NaN : v;
    });
  }
  const rows = Math.max(n, 1);
  let pred: Float32Array;
  try {
    pred = await m.scorer.run({ data, nRows: rows, nCols: F, names: [...FEATURE_NAMES] });
  } catch (e) {
    throw new TypeError(
      `Cannot use model ${m.version}: scoring a test row failed (${(e as Error).message})`,
    );
  }
  if (pred.length !== rows || !pred.every(Number.isFinite)) {
    throw new TypeError(
      `Cannot use model ${m.version}: scoring ${rows} test rows gave ${pred.length} values, not all finite`,
    );
  }
}
