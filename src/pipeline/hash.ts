import { createHash } from "node:crypto";
import { join, relative } from "node:path";

/**
 * Content hashes of files and folders. Every hash is of the bytes; a cache lets an unchanged
 * multi-gigabyte raw folder cost a `stat` instead of a read, but only when a content hash is
 * already known for the file's exact stat: size, mtime, and the change time and inode where
 * Deno exposes them. The change time cannot be set back by a user (mtime can, with `touch`),
 * so a same-size edit with its mtime restored still misses the cache. `verify: true` ignores
 * the cache and reads everything.
 */
export interface HashCache {
  entries: Record<string, CacheEntry>;
}

interface CacheEntry {
  size: number;
  mtime: number;
  ctime: number | null;
  ino: number | null;
  dev: number;
  hash: string;
}

export interface HashOptions {
  /** Re-hash every file, whatever the cache says (`deno task pipeline --verify`). */
  verify?: boolean;
}

function statKey(st: Deno.FileInfo): Omit<CacheEntry, "hash"> {
  return {
    size: st.size,
    mtime: st.mtime?.getTime() ?? 0,
    ctime: st.ctime?.getTime() ?? null,
    ino: st.ino ?? null,
    dev: st.dev,
  };
}

const sameStat = (a: Omit<CacheEntry, "hash">, b: Omit<CacheEntry, "hash">) =>
  a.size === b.size && a.mtime === b.mtime && a.ctime === b.ctime && a.ino === b.ino &&
  a.dev === b.dev;

/**
 * Whether a file's stat can vouch for its content later. Deno reports the change time in
 * whole seconds (mtime in ms): a file changed within the current second could change again
 * within it and keep the same stat, so its hash is not cached until that second is over
 * (git's "racily clean" entries, handled the same way).
 */
function settled(key: Omit<CacheEntry, "hash">, now: number): boolean {
  const changed = Math.max(key.ctime ?? 0, key.mtime);
  return changed < Math.floor(now / 1000) * 1000 - (key.ctime === null ? 1000 : 0);
}

export async function hashFile(
  path: string,
  cache?: HashCache,
  options: HashOptions = {},
): Promise<string> {
  const key = statKey(await Deno.stat(path));
  const hit = cache?.entries[path];
  if (hit && !options.verify && sameStat(hit, key)) return hit.hash;
  const h = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) h.update(chunk);
  const hash = h.digest("hex");
  if (cache) {
    if (settled(key, Date.now())) cache.entries[path] = { ...key, hash };
    else delete cache.entries[path];
  }
  return hash;
}

/** Lists files under a folder, sorted, skipping dotfiles and temp files. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string) {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(d)) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name.endsWith(".tmp")) continue;
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile) out.push(p);
    }
  }
  await walk(dir);
  return out;
}

/** Hash of a file or a folder (its files' relative paths and hashes); null when absent. */
export async function hashPath(
  path: string,
  cache?: HashCache,
  options: HashOptions = {},
): Promise<string | null> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  if (st.isFile) return await hashFile(path, cache, options);
  const h = createHash("sha256");
  for (const f of await listFiles(path)) {
    h.update(`${relative(path, f)}\0${await hashFile(f, cache, options)}\n`);
  }
  return "dir:" + h.digest("hex");
}

export function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Canonical JSON (sorted keys) so equal parameters hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v);
}
