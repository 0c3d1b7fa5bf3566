/**
 * The number of lines of a file, counted from its bytes alone. Ingest checks each file's
 * count against the rows that reached raw.parquet and rejects.parquet, so this count must
 * not share code with the line splitter that feeds the parser (src/data/ingest/lines.ts):
 * a line that the splitter or the parser loses then shows up as a difference.
 *
 * It counts as `wc -l` does, extended to every line end in use: "\n", "\r\n" and a lone
 * "\r" each end a line, and a last line without an end counts too. An empty file has 0.
 */
export async function countLines(path: string): Promise<{ bytes: number; lines: number }> {
  using f = await Deno.open(path);
  const buf = new Uint8Array(1 << 22);
  let lines = 0, bytes = 0;
  let last = -1; // last byte read
  let crAtEnd = false; // the previous chunk ended with "\r": a lone CR unless "\n" follows
  for (;;) {
    const n = await f.read(buf);
    if (n === null) break;
    if (n === 0) continue;
    const b = buf.subarray(0, n);
    bytes += n;
    if (crAtEnd && b[0] !== 10) lines++;
    if (b.indexOf(13) < 0) {
      // No CR in the chunk (the usual case): count its LFs with the engine's byte search.
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
    } else {
      for (let i = 0; i < n; i++) {
        const c = b[i]!;
        if (c === 10) lines++;
        else if (c === 13 && i + 1 < n && b[i + 1] !== 10) lines++;
      }
    }
    crAtEnd = b[n - 1] === 13;
    last = b[n - 1]!;
  }
  if (crAtEnd) lines++;
  else if (bytes > 0 && last !== 10) lines++;
  return { bytes, lines };
}
