/**
 * The line-level pass of ingest, in one streaming read of each raw file: it splits the
 * bytes into lines ("\n", "\r\n" or a lone "\r"), rejects the lines no CSV parser should
 * see (bad encoding, too long, empty, wrong field count, unbalanced quotes) with their
 * reason, and writes every other data line, prefixed with its file and line numbers, to a
 * copy that DuckDB then parses in parallel. The prefix is how a value-level reject found in
 * SQL still names its file and line, whatever order the parser returns rows in.
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

/**
 * Splits `path` into lines and writes the acceptable data lines to `copyPath` as
 * `<file number>,<line number>,<line text>\n`. `onHeader` judges the first line; when it
 * returns a problem, every data line is rejected with it.
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
  const out = new Writer(dst, o.file ?? 0);
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
      const kind = KIND[c]!;
      if (kind === PLAIN) {
        i++;
        continue;
      }
      if (kind === END) {
        if (c === CR && i + 1 === end && !eof) break; // "\r" ends the chunk: is "\n" next?
        this.endLine(buf, start, i, commas, inQuotes, quotes, odd);
        i += c === CR && i + 1 < end && buf[i + 1] === LF ? 2 : 1;
        start = i;
        commas = quotes = 0;
        inQuotes = odd = false;
        continue;
      }
      if (kind === SEPARATOR) {
        if (!inQuotes) commas++;
      } else if (kind === QUOTE_MARK) {
        inQuotes = !inQuotes;
        quotes++;
      } else odd = true;
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

// What each byte value means to the scan: one table look-up per byte instead of several
// comparisons, and most bytes are PLAIN.
const PLAIN = 0, END = 1, SEPARATOR = 2, QUOTE_MARK = 3, ODD = 4;
const KIND = new Uint8Array(256).map((_, b) =>
  b === LF || b === CR
    ? END
    : b === COMMA
    ? SEPARATOR
    : b === QUOTE
    ? QUOTE_MARK
    : b >= 0x80 || b === 0
    ? ODD
    : PLAIN
);

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

/**
 * Buffered writer of `<file>,<line>,<bytes>\n` records: the file number's digits are written
 * once, the line number's are counted up in place (lines mostly follow each other), and
 * bytes are copied without a view per line, so a line costs no allocation.
 */
class Writer {
  #buf = new Uint8Array(1 << 22);
  #at = 0;
  readonly #prefix: Uint8Array;
  #digits = new Uint8Array(20);
  #width = 0;
  #last = -2;
  constructor(readonly file: Deno.FsFile, fileNumber: number) {
    this.#prefix = new TextEncoder().encode(`${fileNumber},`);
  }

  /** Appends one record; the buffer grows until the next `flush`. */
  line(no: number, src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.#at + len + 48 > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + len + 48));
      bigger.set(this.#buf.subarray(0, this.#at));
      this.#buf = bigger;
    }
    this.#setDigits(no);
    const b = this.#buf, p = this.#prefix, d = this.#digits;
    let at = this.#at;
    for (let k = 0; k < p.length; k++) b[at++] = p[k]!;
    for (let k = d.length - this.#width; k < d.length; k++) b[at++] = d[k]!;
    b[at++] = COMMA;
    for (let k = start; k < end; k++) b[at++] = src[k]!;
    b[at++] = LF;
    this.#at = at;
  }

  /** The decimal digits of `no`, right-aligned in #digits. */
  #setDigits(no: number): void {
    const d = this.#digits;
    if (no === this.#last + 1) {
      let k = d.length - 1;
      while (d[k] === 57) d[k--] = 48; // carry over 9s
      if (k < d.length - this.#width) this.#width++;
      d[k] = d[k] === 0 ? 49 : d[k]! + 1;
    } else {
      this.#width = 0;
      for (let x = no, k = d.length - 1;; k--) {
        d[k] = 48 + (x % 10);
        this.#width++;
        x = Math.floor(x / 10);
        if (x === 0) break;
      }
    }
    this.#last = no;
  }

  async flush(): Promise<void> {
    let off = 0;
    while (off < this.#at) off += await this.file.write(this.#buf.subarray(off, this.#at));
    this.#at = 0;
  }
}
