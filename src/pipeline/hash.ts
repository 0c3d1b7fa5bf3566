import { createHash } from "node:crypto";
import { join, relative } from "node:path";

/**
 * Content hashes of files and folders, with a cache keyed by path, size and mtime (as DVC
 * does) so that an unchanged multi-gigabyte raw folder costs a `stat`, not a read.
 */
export interface HashCache {
  entries: Record<string, { size: number; mtime: number; hash: string }>;
}

export async function hashFile(path: string, cache?: HashCache): Promise<string> {
  const st = await Deno.stat(path);
  const mtime = st.mtime?.getTime() ?? 0;
  const hit = cache?.entries[path];
  if (hit && hit.size === st.size && hit.mtime === mtime) return hit.hash;
  const h = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) h.update(chunk);
  const hash = h.digest("hex");
  if (cache) cache.entries[path] = { size: st.size, mtime, hash };
  return hash;
}

/** Lists files under a folder, sorted, skipping dotfiles and temp files. */
export async function listFiles(dir: string): Promise<string[]> {
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
export async function hashPath(path: string, cache?: HashCache): Promise<string | null> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  if (st.isFile) return await hashFile(path, cache);
  const h = createHash("sha256");
  for (const f of await listFiles(path)) {
    h.update(`${relative(path, f)}\0${await hashFile(f, cache)}\n`);
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
