/**
 * First look at a raw file before DuckDB reads it: is it text, and what is its header.
 * A binary file or a wrong header is rejected as a whole, with the reason, instead of
 * failing the run or producing garbage rows.
 */
export interface FileSniff {
  path: string;
  bytes: number;
  /** null when the file reads as CSV text. */
  problem: string | null;
  header: string[];
  /** First bytes, printable, for the rejects table when the file is not text. */
  preview: string;
}

export async function sniffFile(path: string): Promise<FileSniff> {
  const st = await Deno.stat(path);
  using f = await Deno.open(path);
  const buf = new Uint8Array(Math.min(st.size, 65536));
  let n = 0;
  while (n < buf.length) {
    const r = await f.read(buf.subarray(n));
    if (r === null) break;
    n += r;
  }
  const head = buf.subarray(0, n);
  const preview = Array.from(
    head.subarray(0, 120),
    (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : "."),
  ).join("");
  if (n === 0) return { path, bytes: st.size, problem: null, header: [], preview };
  if (head.includes(0)) {
    return {
      path,
      bytes: st.size,
      problem: "not a CSV text file (binary content)",
      header: [],
      preview,
    };
  }
  let text: string;
  try {
    // A multi-byte character may be cut at the buffer's end: decode up to the last newline.
    const lastNl = head.lastIndexOf(10);
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      lastNl > 0 && n === buf.length ? head.subarray(0, lastNl) : head,
    );
  } catch {
    return {
      path,
      bytes: st.size,
      problem: "not a CSV text file (invalid UTF-8)",
      header: [],
      preview,
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const firstLine = text.split("\n", 1)[0]!.replace(/\r$/, "");
  return { path, bytes: st.size, problem: null, header: splitCsvLine(firstLine), preview };
}

/** Splits one CSV line (RFC 4180 quoting) into unquoted fields. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let s = "";
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          s += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else s += line[i++];
      }
      out.push(s);
      const comma = line.indexOf(",", i);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      out.push(line.slice(i, end).trim());
      i = end + 1;
    }
  }
  return out;
}
