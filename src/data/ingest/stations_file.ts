import { splitCsvLine } from "./csv_line.ts";

export interface StationRow {
  station: string;
  type: string | null;
  [key: string]: string | null;
}

/**
 * Reads a stations metadata CSV (a `station` or `file_name` column, optional `type`,
 * `city`, `state`, `lat`, `lon`); null when the file does not exist.
 */
export async function readStationsFile(path: string): Promise<StationRow[] | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = splitCsvLine(lines[0] ?? "");
  const key = header.includes("station")
    ? "station"
    : header.includes("file_name")
    ? "file_name"
    : null;
  if (!key) {
    throw new Error(
      `Cannot read stations file ${path}: expected a "station" (or "file_name") column, found ${
        header.join(", ")
      }`,
    );
  }
  return lines.slice(1).map((l, i) => {
    const f = splitCsvLine(l);
    if (f.length !== header.length) {
      throw new Error(
        `Cannot read stations file ${path}, line ${
          i + 2
        }: expected ${header.length} fields, found ${f.length}`,
      );
    }
    const row: StationRow = { station: "", type: null };
    header.forEach((h, j) => (row[h] = f[j] || null));
    row.station = row[key]!;
    return row;
  });
}
