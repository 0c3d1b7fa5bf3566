import { extname, join } from "node:path";

/** An entry of the data folder that ingest does not read, and why. */
export interface SkippedEntry {
  file: string;
  reason: string;
}

/** Station metadata files: read as the stations list, not as measurements. */
export const STATION_FILES = ["stations.csv", "stations_info.csv"];

/** Bytes read at the start of a file to tell text from binary. */
const PEEK_BYTES = 65536;

/**
 * The files of a data folder: every `*.csv` (symbolic links followed) is read, in name
 * order; every other entry is listed with the reason it is not, so nothing in the folder
 * is passed over silently. A file that cannot be opened fails the scan, naming it.
 */
export async function scanDataDir(
  dir: string,
): Promise<{ files: string[]; skipped: SkippedEntry[] }> {
  const files: string[] = [];
  const skipped: SkippedEntry[] = [];
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  names.sort();
  for (const name of names) {
    const path = join(dir, name);
    const lower = name.toLowerCase();
    const skip = (reason: string) => skipped.push({ file: path, reason });
    if (STATION_FILES.includes(lower)) {
      skip("station metadata (read as the stations list)");
      continue;
    }
    const link = await Deno.lstat(path);
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(path); // follows symbolic links
    } catch (e) {
      if (link.isSymlink) {
        const target = await Deno.readLink(path).catch(() => "?");
        skip(`symbolic link to "${target}", which does not exist (${errorText(e)})`);
        continue;
      }
      throw new Error(`Cannot read raw file "${path}": ${errorText(e)}`);
    }
    const via = link.isSymlink ? ` (symbolic link to "${await Deno.readLink(path)}")` : "";
    if (st.isDirectory) skip(`a folder${via}: sub-folders are not read`);
    else if (!st.isFile) skip(`not a regular file${via}`);
    else if (name.startsWith(".")) skip("hidden file");
    else if (extname(lower) !== ".csv") skip(`not a .csv file${via}`);
    else {
      const binary = await binaryContent(path);
      if (binary) skip(`not a CSV text file: ${binary}`);
      else files.push(path);
    }
  }
  return { files, skipped };
}

/** Raw files of a folder that ingest reads (see `scanDataDir`). */
export async function listRawFiles(dir: string): Promise<string[]> {
  return (await scanDataDir(dir)).files;
}

/** Why the start of a file looks binary (a NUL byte), or null. */
async function binaryContent(path: string): Promise<string | null> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path);
  } catch (e) {
    throw new Error(`Cannot read raw file "${path}": ${errorText(e)}`);
  }
  try {
    const buf = new Uint8Array(PEEK_BYTES);
    let n = 0;
    while (n < buf.length) {
      const r = await f.read(buf.subarray(n));
      if (r === null) break;
      n += r;
    }
    const nul = buf.subarray(0, n).indexOf(0);
    return nul < 0 ? null : `binary content (a NUL byte at byte ${nul + 1})`;
  } catch (e) {
    throw new Error(`Cannot read raw file "${path}": ${errorText(e)}`);
  } finally {
    f.close();
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
