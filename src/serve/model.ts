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
import {
  type DriftReference,
  type ModelMetadata,
  PACKAGE_FILES,
  REGISTRY_INDEX,
  type RegistryIndex,
  registryPath,
} from "../registry/package.ts";

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

/** A folder path or URL as a directory URL (trailing slash), relative paths from the cwd. */
export function dirUrl(dir: string | URL): URL {
  if (dir instanceof URL) return dir.href.endsWith("/") ? dir : new URL(dir.href + "/");
  const withSlash = dir.endsWith("/") ? dir : dir + "/";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(withSlash)) return new URL(withSlash);
  const cwd = "file://" + Deno.cwd().replace(/\\/g, "/").replace(/\/?$/, "/");
  return new URL(withSlash, cwd);
}

async function readBytes(url: URL): Promise<Uint8Array | null> {
  if (url.protocol === "file:") {
    try {
      return await Deno.readFile(url);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  }
  const res = await fetch(url);
  if (res.status === 404) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok) throw new TypeError(`Cannot read "${url.href}": HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function readJson(url: URL): Promise<unknown | null> {
  const bytes = await readBytes(url);
  if (bytes === null) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SyntaxError(`Cannot parse "${url.href}": ${(e as Error).message}`);
  }
}

/** Reads a model package and starts its ONNX session. */
export async function loadModel(dir: string | URL): Promise<LoadedModel> {
  const base = dirUrl(dir);
  const metadata = await readJson(new URL(PACKAGE_FILES.metadata, base)) as ModelMetadata | null;
  if (metadata === null) {
    throw new TypeError(
      `Cannot load model from "${base.href}": ${PACKAGE_FILES.metadata} is missing`,
    );
  }
  const names = metadata.schema?.features?.map((f) => f.name);
  if (!Array.isArray(names) || names.join("\u0000") !== FEATURE_NAMES.join("\u0000")) {
    throw new TypeError(
      `Cannot load model from "${base.href}": its schema lists features ${
        JSON.stringify(names)
      }, expected the standard task's ${FEATURE_NAMES.length} features in order`,
    );
  }
  const onnx = await readBytes(new URL(PACKAGE_FILES.onnx, base));
  if (onnx === null) {
    throw new TypeError(`Cannot load model from "${base.href}": ${PACKAGE_FILES.onnx} is missing`);
  }
  const scorer = await createSession(onnx);
  const json = await readJson(new URL(PACKAGE_FILES.json, base));
  const trees = json === null ? null : modelFromJSON(json);
  const reference = await readJson(new URL(PACKAGE_FILES.reference, base)) as
    | DriftReference
    | null;
  return {
    source: base.href,
    metadata,
    version: `${metadata.name}:${metadata.version === null ? "candidate" : `v${metadata.version}`}`,
    scorer,
    trees,
    explainer: trees === null ? null : new TreeExplainer(trees),
    reference,
    loadedAt: new Date().toISOString(),
  };
}

/** The repository root, seen from this module (src/serve/ -> ../../). */
export const REPO_ROOT = new URL("../../", import.meta.url);

/**
 * Which package to serve: `AQLAB_MODEL_DIR` when given; else the registry's `production`
 * alias of `model`; else the GBDT candidate the train stage wrote.
 */
export async function resolveModelDir(
  options: { root?: URL; model?: string; env?: string | undefined } = {},
): Promise<URL> {
  const root = options.root ?? REPO_ROOT;
  if (options.env) return dirUrl(options.env);
  const index = await readJson(new URL(REGISTRY_INDEX, root)) as RegistryIndex | null;
  const entry = index?.models?.[options.model ?? "pm25"];
  const production = entry?.aliases?.production;
  if (production !== undefined) {
    return new URL(registryPath(options.model ?? "pm25", production) + "/", root);
  }
  return new URL("models/candidates/gbdt/", root);
}
