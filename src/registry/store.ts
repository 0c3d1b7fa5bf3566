/**
 * The registry on disk (I/O): `models/registry.json` read and replaced atomically, the
 * registry lock, and version folders. Every change to the registry happens under the lock,
 * so two registrations (or a registration and a `promote`) never interleave.
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../pipeline/atomic.ts";
import { acquireRunLock } from "../pipeline/run_lock.ts";
import { emptyIndex } from "./history.ts";
import {
  type ModelMetadata,
  PACKAGE_FILES,
  REGISTRY_INDEX,
  type RegistryIndex,
  registryPath,
} from "./package.ts";

/** The lock file beside the index; its holder's pid lets a dead holder's lock be taken over. */
import { REGISTRY_LOCK } from "../pipeline/catalog.ts";
export { REGISTRY_LOCK };

/** Reads `models/registry.json` under `root`; an absent file is an empty registry. */
export async function readRegistryIndex(root: string): Promise<RegistryIndex> {
  const path = join(root, REGISTRY_INDEX);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return emptyIndex();
    throw e;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot parse ${path}: ${(e as Error).message}`);
  }
  const idx = v as RegistryIndex;
  if (idx?.version !== 1 || typeof idx.models !== "object" || idx.models === null) {
    throw new TypeError(
      `Cannot read ${path}: expected a registry index of version 1, got version ${
        JSON.stringify((v as { version?: unknown })?.version)
      }`,
    );
  }
  return idx;
}

/** Replaces `models/registry.json` atomically (temp file + rename). Call under the lock. */
export function writeRegistryIndex(root: string, index: RegistryIndex): Promise<void> {
  return writeJsonAtomic(join(root, REGISTRY_INDEX), index);
}

/** Runs `fn` holding the registry lock; waits for another holder, takes over a dead one's. */
export async function withRegistryLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireRunLock(join(root, REGISTRY_LOCK), { wait: true, pollMs: 50 });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** metadata.json of a registered version. */
export async function readVersionMetadata(
  root: string,
  model: string,
  version: number,
): Promise<ModelMetadata> {
  const path = join(root, registryPath(model, version), PACKAGE_FILES.metadata);
  try {
    return JSON.parse(await Deno.readTextFile(path)) as ModelMetadata;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot read version v${version} of "${model}": ${path} is missing`,
      );
    }
    throw e;
  }
}

/** Version numbers that have a folder under `models/registry/<model>/` (claimed or complete). */
export async function versionFolders(root: string, model: string): Promise<number[]> {
  const out: number[] = [];
  try {
    for await (const e of Deno.readDir(join(root, "models", "registry", model))) {
      const m = /^v(\d+)$/.exec(e.name);
      if (e.isDirectory && m) out.push(Number(m[1]));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a - b);
}
