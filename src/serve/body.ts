/**
 * Reading a request body as JSON, safely: the content type is checked, at most `maxBytes`
 * are read (the stream is cancelled past it, whatever Content-Length claims), the bytes
 * must be valid UTF-8, and nesting deeper than `maxDepth` is refused before JSON.parse.
 */
import { InputError } from "./validate.ts";

export interface BodyLimits {
  /** Largest body accepted, bytes. */
  maxBytes: number;
  /** Deepest array/object nesting accepted. */
  maxDepth: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 4 * 1024 * 1024, maxDepth: 32 };

/** The body's bytes, or an InputError (413) once more than `maxBytes` arrive. */
async function readLimited(req: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new InputError(
      `Cannot read body: larger than ${maxBytes} bytes`,
      null,
      `a body of at most ${maxBytes} bytes`,
      413,
    );
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await req.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      `Cannot read body: the stream failed (${(e as Error).message})`,
      null,
      "a complete request body",
      400,
    );
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Deepest nesting of arrays/objects in JSON text (strings skipped), stopping past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The request's JSON body as a value, or an InputError with the right status. */
export async function readJsonBody(
  req: Request,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): Promise<unknown> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    await req.body?.cancel().catch(() => {});
    throw new InputError(
      `Cannot read body: expected Content-Type application/json, got ${
        type ? `"${type.slice(0, 80)}"` : "none"
      }`,
      "content-type",
      "application/json",
      415,
    );
  }
  const bytes = await readLimited(req, limits.maxBytes);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new InputError("Cannot read body: not valid UTF-8", null, "UTF-8 JSON text", 400);
  }
  if (text.trim() === "") {
    throw new InputError("Cannot read body: it is empty", null, "a JSON object", 400);
  }
  if (jsonDepth(text, limits.maxDepth) > limits.maxDepth) {
    throw new InputError(
      `Cannot read body: JSON nested deeper than ${limits.maxDepth} levels`,
      null,
      `JSON nested at most ${limits.maxDepth} levels`,
      400,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(
      `Cannot parse body as JSON: ${(e as Error).message.slice(0, 200)}`,
      null,
      "valid JSON",
      400,
    );
  }
}
