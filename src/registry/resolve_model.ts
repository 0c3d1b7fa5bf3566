/**
 * "Which model is the model": the one rule, used by the drift stage, the endpoint and the
 * site. The registry's `production` version of the named model when it has one and its
 * package is there; otherwise the candidate the train stage wrote (by default the GBDT).
 */
import { candidateDir, REGISTRY_INDEX } from "../pipeline/catalog.ts";
import { PACKAGE_FILES, type RegistryIndex, registryPath } from "./package.ts";
import { dirUrl, fileUrl, readBytes, readJson } from "./read_package.ts";

export interface ResolveOptions {
  /** Registered model name (`register.model_name`). */
  name: string;
  /** `production` (default): the production version, else the candidate; `candidate`: the candidate. */
  prefer?: "production" | "candidate";
  /** Candidate folder name under models/candidates/ (default "gbdt"). */
  candidate?: string;
  /**
   * Where a root-relative path is read from (default: under `root`). The pipeline passes
   * `ctx.path`, so a package written earlier in the same run (still staged) is found.
   */
  locate?: (relative: string) => string | URL;
}

export interface ResolvedModel {
  /** The package folder as a directory URL. */
  url: URL;
  /** The package folder relative to the root. */
  path: string;
  source: "production" | "candidate";
  /** Registry version, or null for a candidate. */
  version: number | null;
  /** For people: "pm25 v3 (production)" or "gbdt candidate (not registered)". */
  label: string;
}

/**
 * The package to use under `root` (a folder path or URL), or null when neither the
 * production version nor the candidate has a `model.onnx`.
 */
export async function resolveModel(
  root: string | URL,
  options: ResolveOptions,
): Promise<ResolvedModel | null> {
  const base = dirUrl(root);
  // A folder or file under the root, read where `locate` says (staged copies in a run).
  const at = (rel: string, folder: boolean): URL => {
    const where = options.locate?.(rel);
    if (where === undefined) return new URL(folder ? rel + "/" : rel, base);
    return folder ? dirUrl(where) : fileUrl(where);
  };
  const has = async (path: string) =>
    (await readBytes(new URL(PACKAGE_FILES.metadata, at(path, true)))) !== null &&
    (await readBytes(new URL(PACKAGE_FILES.onnx, at(path, true)))) !== null;
  if ((options.prefer ?? "production") === "production") {
    const index = await readJson(at(REGISTRY_INDEX, false)) as RegistryIndex | null;
    const version = index?.models?.[options.name]?.aliases?.production;
    if (version !== undefined) {
      const path = registryPath(options.name, version);
      if (await has(path)) {
        return {
          url: at(path, true),
          path,
          source: "production",
          version,
          label: `${options.name} v${version} (production)`,
        };
      }
    }
  }
  const candidate = options.candidate ?? "gbdt";
  const path = candidateDir(candidate);
  if (!(await has(path))) return null;
  return {
    url: at(path, true),
    path,
    source: "candidate",
    version: null,
    label: `${candidate} candidate (not registered)`,
  };
}
