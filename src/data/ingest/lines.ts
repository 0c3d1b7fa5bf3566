/**
 * The line-level pass of ingest, in one streaming read of each raw file: it splits the
 * bytes into lines ("\n", "\r\n" or a lone "\r"), rejects the lines no CSV parser should
 * see (bad encoding, too long, empty, wrong field count, unbalanced quotes) with their
 * reason, and writes every other data line, prefixed with a key (file number * 2^32 + line
 * number), to a copy that DuckDB then parses in parallel. The key is how a value-level
 * reject found in SQL still names its file and line, whatever order the parser returns
 * rows in.
 *
 * Nothing here decides the line count that ingest checks: that comes from
 * `countLines` (line_count.ts), from the same bytes but by other code.
 */

/** Longest line accepted, in bytes. DuckDB's CSV reader stops at 2 MiB a line. */
export const MAX_LINE_BYTES = 1 << 20;

/** Characters of a rejected line's text kept in rejects.parquet. */
export const MAX_REJECT_TEXT = 4000;

/** A line rejected before parsing. */
export interface LineProblem {
  line: number;
  rule: "bad_encoding" | "too_long" | "empty_line" | "field_count" | "bad_quotes" | "header";
  reason: string;
  raw: string;
}

/** What the header line says: the number of fields each data line must have, or why the file cannot be read. */
export type HeaderVerdict = { fields: number } | { problem: string };

export interface SplitResult {
  /** The header line's text (BOM removed), or null for an empty file. */
  header: string | null;
  /** Lines seen, header included. */
  lines: number;
  /** Data lines written to the numbered copy. */
  written: number;
  problems: LineProblem[];
}

const LF = 10, CR = 13, COMMA = 44, QUOTE = 34;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder("utf-8");

/** Key of line `line` of file number `file` in the copies: one BIGINT for both. */
export const lineKey = (file: number, line: number): number => file * KEY_FILE + line;
export const KEY_FILE = 2 ** 32;

/**
 * Splits `path` into lines and writes the acceptable data lines to `copyPath` as
 * `<key>,<line text>\n` (key = `lineKey(file, line)`). `onHeader` judges the first line;
 * when it returns a problem, every data line is rejected with it.
 */
export async function splitLines(
  path: string,
  copyPath: string,
  onHeader: (header: string) => HeaderVerdict,
  o: { file?: number; maxLineBytes?: number } = {},
): Promise<SplitResult> {
  const maxLineBytes = o.maxLineBytes ?? MAX_LINE_BYTES;
  using src = await Deno.open(path);
  using dst = await Deno.open(copyPath, { write: true, create: true, truncate: true });
  const out = new Writer(dst, lineKey(o.file ?? 0, 0));
  const sp = new Splitter(out, onHeader, maxLineBytes);
  let buf = new Uint8Array(CHUNK * 2);
  let have = 0; // bytes in buf, from the unfinished line's first kept byte
  let scanFrom = 0; // bytes of buf already scanned
  for (;;) {
    if (have + CHUNK > buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf.subarray(0, have));
      buf = bigger;
    }
    const n = await src.read(buf.subarray(have, have + CHUNK));
    const eof = n === null;
    const end = have + (n ?? 0);
    const { start, i } = sp.scan(buf, scanFrom, end, eof);
    await out.flush();
    if (eof) break;
    // Keep the unfinished line at the front of the buffer.
    buf.copyWithin(0, start, end);
    have = end - start;
    scanFrom = i - start;
    if (have > maxLineBytes) {
      // Too long to accept: keep its head for the rejects table and drop what was scanned.
      sp.longHead ??= buf.slice(0, MAX_REJECT_TEXT * 4);
      sp.longBytes += scanFrom;
      buf.copyWithin(0, scanFrom, have);
      have -= scanFrom;
      scanFrom = 0;
    }
  }
  return { header: sp.header, lines: sp.lineNo, written: sp.written, problems: sp.problems };
}

/** The scanning state of one file; `scan` is the hot loop, kept free of awaits and closures. */
class Splitter {
  header: string | null = null;
  verdict: HeaderVerdict = { problem: "no header line" };
  lineNo = 0;
  written = 0;
  problems: LineProblem[] = [];
  /** The head of the unfinished line once it is longer than accepted. */
  longHead: Uint8Array | null = null;
  /** Bytes of that line already dropped from the buffer. */
  longBytes = 0;
  // What the scan saw of the unfinished line, carried from one chunk to the next.
  #commas = 0;
  #quotes = 0;
  #inQuotes = false;
  #odd = false;

  constructor(
    readonly out: Writer,
    readonly onHeader: (header: string) => HeaderVerdict,
    readonly maxLineBytes: number,
  ) {}

  /** Ends every line completed in buf[from, end); returns where the unfinished one starts. */
  scan(buf: Uint8Array, from: number, end: number, eof: boolean): { start: number; i: number } {
    let start = 0, i = from;
    let commas = this.#commas, quotes = this.#quotes;
    let inQuotes = this.#inQuotes, odd = this.#odd;
    // Every byte is looked at once: line ends, separators, and bytes that need a UTF-8 check.
    while (i < end) {
      const c = buf[i]!;
      if (c === LF || c === CR) {
        if (c === CR && i + 1 === end && !eof) break; // "\r" ends the chunk: is "\n" next?
        this.endLine(buf, start, i, commas, inQuotes, quotes, odd);
        i += c === CR && i + 1 < end && buf[i + 1] === LF ? 2 : 1;
        start = i;
        commas = quotes = 0;
        inQuotes = odd = false;
        continue;
      }
      if (c === COMMA) {
        if (!inQuotes) commas++;
      } else if (c === QUOTE) {
        inQuotes = !inQuotes;
        quotes++;
      } else if (c >= 0x80 || c === 0) odd = true;
      i++;
    }
    if (eof && (start < end || this.longHead)) {
      this.endLine(buf, start, end, commas, inQuotes, quotes, odd);
      start = i = end;
    }
    this.#commas = commas;
    this.#quotes = quotes;
    this.#inQuotes = inQuotes;
    this.#odd = odd;
    return { start, i };
  }

  endLine(
    buf: Uint8Array,
    start: number,
    end: number,
    commas: number,
    inQuotes: boolean,
    quotes: number,
    odd: boolean,
  ): void {
    const lineNo = ++this.lineNo;
    const length = this.longBytes + end - start;
    const head = this.longHead;
    this.longHead = null;
    this.longBytes = 0;
    const tooLong = head !== null || length > this.maxLineBytes;
    const verdict = this.verdict;
    if (lineNo === 1) {
      this.header = tooLong ? null : headerText(buf.subarray(start, end));
      this.verdict = tooLong
        ? {
          problem:
            `the header line is ${length} bytes long, more than the ${this.maxLineBytes} accepted`,
        }
        : this.header === null
        ? { problem: "the header line is not UTF-8 text" }
        : this.onHeader(this.header);
      return;
    }
    let rule: LineProblem["rule"] | null = null, reason = "";
    if (tooLong) {
      rule = "too_long";
      reason = `line is ${length} bytes long, more than the ${this.maxLineBytes} accepted`;
    } else if ("problem" in verdict) [rule, reason] = ["header", verdict.problem];
    else if (end === start) [rule, reason] = ["empty_line", "empty line"];
    else if (odd && encodingProblem(buf.subarray(start, end)) !== null) {
      [rule, reason] = ["bad_encoding", encodingProblem(buf.subarray(start, end))!];
    } else if (inQuotes) {
      [rule, reason] = ["bad_quotes", `unbalanced double quotes (${quotes} on the line)`];
    } else if (commas + 1 !== verdict.fields) {
      const fields = commas + 1;
      rule = "field_count";
      reason = `expected ${verdict.fields} fields, found ${fields}${
        fields < verdict.fields ? " (truncated line?)" : " (a quoted comma, or extra fields)"
      }`;
    }
    if (rule === null) {
      this.out.line(lineNo, buf, start, end);
      this.written++;
    } else {
      const text = rawText(head ?? buf.subarray(start, end), length);
      this.problems.push({ line: lineNo, rule, reason, raw: text });
    }
  }
}

const CHUNK = 1 << 22;

/** The header's text without a byte-order mark; null when it is not UTF-8. */
function headerText(bytes: Uint8Array): string | null {
  try {
    const s = utf8.decode(bytes);
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  } catch {
    return null;
  }
}

/** Why a line with a NUL or a non-ASCII byte is not text, or null when it is UTF-8. */
function encodingProblem(bytes: Uint8Array): string | null {
  const nul = bytes.indexOf(0);
  if (nul >= 0) return `bad encoding: a NUL byte at byte ${nul + 1} of the line (not text)`;
  try {
    utf8.decode(bytes);
    return null;
  } catch {
    // Find the first byte that does not start or continue a valid sequence.
    let at = 0;
    while (at < bytes.length) {
      const len = sequenceLength(bytes, at);
      if (len === 0) break;
      at += len;
    }
    return `bad encoding: byte 0x${
      bytes[at]!.toString(16).toUpperCase().padStart(2, "0")
    } at byte ${
      at + 1
    } of the line is not UTF-8 (files must be UTF-8; Latin-1 or Windows-1252 text needs converting)`;
  }
}

/** Length of the valid UTF-8 sequence at `i`, or 0 when none starts there. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n === 0 || i + n > b.length) return 0;
  try {
    utf8.decode(b.subarray(i, i + n));
    return n;
  } catch {
    return 0;
  }
}

/** A rejected line's text for the rejects table: lossy UTF-8, cut after MAX_REJECT_TEXT characters. */
function rawText(head: Uint8Array, length: number): string {
  const s = lossy.decode(head.subarray(0, MAX_REJECT_TEXT * 4));
  return s.length > MAX_REJECT_TEXT || length > head.length
    ? `${s.slice(0, MAX_REJECT_TEXT)}… (${length} bytes in all)`
    : s;
}

/** Buffered writer of `<key>,<bytes>\n` records. */
class Writer {
  #buf = new Uint8Array(1 << 22);
  #at = 0;
  constructor(readonly file: Deno.FsFile, readonly keyBase: number) {}

  /** Appends one record; the buffer grows until the next `flush`. */
  line(no: number, src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.#at + len + 24 > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + len + 24));
      bigger.set(this.#buf.subarray(0, this.#at));
      this.#buf = bigger;
    }
    const b = this.#buf;
    let at = this.#at;
    // Digits of the key, most significant first.
    const key = this.keyBase + no;
    let digits = 1;
    for (let x = key; x >= 10; x = Math.floor(x / 10)) digits++;
    for (let k = digits - 1, x = key; k >= 0; k--, x = Math.floor(x / 10)) {
      b[at + k] = 48 + (x % 10);
    }
    at += digits;
    b[at++] = COMMA;
    b.set(src.subarray(start, end), at);
    at += len;
    b[at++] = LF;
    this.#at = at;
  }

  async flush(): Promise<void> {
    let off = 0;
    while (off < this.#at) off += await this.file.write(this.#buf.subarray(off, this.#at));
    this.#at = 0;
  }
}
