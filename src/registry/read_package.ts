/**
 * The one reader of model packages (see package.ts), for the pipeline, the endpoint and the
 * site's loaders alike. It reads by URL: `file:` URLs with `Deno.readFile` (local runs and
 * Deno Deploy, which serves the deployment's files that way), other URLs with `fetch`, so no
 * native module is involved and the same code runs on the edge.
 */
import { type DriftReference, type ModelMetadata, PACKAGE_FILES } from "./package.ts";

export interface PackageContents {
  /** Bytes of the `.onnx` file: every package has one, so every model scores the same way. */
  onnx: Uint8Array;
  /** Our own model JSON (gbdt: src/gbdt/serialize.ts; linear kinds: weights); null if absent. */
  model: unknown | null;
  metadata: ModelMetadata;
  /** Training sample for drift checks; null when the package has none. */
  reference: DriftReference | null;
}

/** A folder path or URL as a directory URL (trailing slash); relative paths from the cwd. */
export function dirUrl(dir: string | URL): URL {
  const href = typeof dir === "string" ? dir : dir.href;
  return fileUrl(href.endsWith("/") ? href : href + "/");
}

/** A file path or URL as a URL; relative paths from the cwd. */
export function fileUrl(file: string | URL): URL {
  if (file instanceof URL) return file;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) return new URL(file);
  if (file.startsWith("/")) return new URL("file://" + file);
  return new URL(file, "file://" + Deno.cwd().replace(/\\/g, "/").replace(/\/?$/, "/"));
}

/** The bytes at `url`, or null when there is no such file. */
export async function readBytes(url: URL): Promise<Uint8Array | null> {
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

/** The parsed JSON at `url`, or null when there is no such file. */
export async function readJson(url: URL): Promise<unknown | null> {
  const bytes = await readBytes(url);
  if (bytes === null) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SyntaxError(`Cannot parse "${url.href}": ${(e as Error).message}`);
  }
}

/**
 * Reads a model package. `model.onnx` and `metadata.json` are required (the error names the
 * missing file); `model.json` and `reference.json` are null when absent.
 */
export async function readPackage(dir: string | URL): Promise<PackageContents> {
  const base = dirUrl(dir);
  const required = <T>(name: string, value: T | null): T => {
    if (value === null) {
      throw new TypeError(`Cannot read model package "${base.href}": ${name} does not exist`);
    }
    return value;
  };
  const metadata = required(
    PACKAGE_FILES.metadata,
    await readJson(new URL(PACKAGE_FILES.metadata, base)),
  ) as ModelMetadata;
  const onnx = required(PACKAGE_FILES.onnx, await readBytes(new URL(PACKAGE_FILES.onnx, base)));
  return {
    onnx,
    model: await readJson(new URL(PACKAGE_FILES.json, base)),
    metadata,
    reference: await readJson(new URL(PACKAGE_FILES.reference, base)) as DriftReference | null,
  };
}
