import { dirname, join } from "node:path";

/**
 * Atomic writes: everything goes to a temp path first and is renamed into place, so an
 * interrupted run leaves the previous artifact whole.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Moves a staged output (file or folder) over its final path. A folder is swapped via a
 * trash name, so readers see either the old folder or the new one.
 */
export async function commitOutput(staged: string, final: string, trashDir: string): Promise<void> {
  await Deno.mkdir(dirname(final), { recursive: true });
  const st = await Deno.stat(staged);
  if (st.isFile) {
    await Deno.rename(staged, final);
    return;
  }
  let trash: string | null = null;
  if (await exists(final)) {
    await Deno.mkdir(trashDir, { recursive: true });
    trash = join(trashDir, crypto.randomUUID());
    await Deno.rename(final, trash);
  }
  await Deno.rename(staged, final);
  if (trash) await Deno.remove(trash, { recursive: true });
}
