/**
 * A request body as JSON, safely: the content type is checked, at most `maxBytes` are read
 * (by the transport: exchange.ts or http1.ts), the bytes must be valid UTF-8, and before
 * JSON.parse one pass over the text refuses nesting deeper than `maxDepth` and any array
 * longer than `maxArray`, so a body of a million tiny rows is turned away before anything
 * is built from it.
 */
import type { ServeRequest } from "./exchange.ts";
import { InputError } from "./validate.ts";

export interface BodyLimits {
  /** Largest body accepted, bytes. */
  maxBytes: number;
  /** Deepest array/object nesting accepted. */
  maxDepth: number;
  /** Longest JSON array accepted (the most values a request may carry, flat). */
  maxArray: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 32,
  maxArray: 5000 * 22,
};

export interface JsonShape {
  /** Deepest nesting seen (stops counting past the limit). */
  depth: number;
  /** Most elements of one array seen (stops counting past the limit). */
  longestArray: number;
}

/**
 * Nesting depth and longest array of JSON text (strings skipped), in one pass that stops as
 * soon as either passes its limit. The text need not be valid JSON: JSON.parse judges that.
 */
export function jsonShape(text: string, maxDepth: number, maxArray: number): JsonShape {
  let depth = 0, max = 0, inString = false, longest = 0;
  // Per open level: element count so far for arrays, -1 for objects.
  const counts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      counts[depth] = c === 91 ? 0 : -1;
      if (++depth > max) {
        max = depth;
        if (max > maxDepth) return { depth: max, longestArray: longest };
      }
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--;
    } else if (c === 44 && depth > 0) {
      const k = counts[depth - 1]!;
      if (k >= 0) {
        // n commas: n + 1 elements
        counts[depth - 1] = k + 1;
        if (k + 2 > longest) {
          longest = k + 2;
          if (longest > maxArray) return { depth: max, longestArray: longest };
        }
      }
    }
  }
  return { depth: max, longestArray: longest };
}

/** Nesting depth of JSON text (strings skipped), stopping past `limit`. */
export const jsonDepth = (text: string, limit: number): number =>
  jsonShape(text, limit, Infinity).depth;

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Whether the request says its body is JSON; a 415 InputError when not. */
export function checkJsonType(req: ServeRequest): void {
  const type = (req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    throw new InputError(
      `Cannot read body: expected Content-Type application/json, got ${
        type ? `"${type.slice(0, 80)}"` : "none"
      }`,
      "content-type",
      "application/json",
      415,
    );
  }
}

/** JSON bytes as a value, or an InputError with the right status. */
export function parseJsonBytes(bytes: Uint8Array, limits: BodyLimits): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new InputError("Cannot read body: not valid UTF-8", null, "UTF-8 JSON text", 400);
  }
  if (text.trim() === "") {
    throw new InputError("Cannot read body: it is empty", null, "a JSON object", 400);
  }
  const shape = jsonShape(text, limits.maxDepth, limits.maxArray);
  if (shape.depth > limits.maxDepth) {
    throw new InputError(
      `Cannot read body: JSON nested deeper than ${limits.maxDepth} levels`,
      null,
      `JSON nested at most ${limits.maxDepth} levels`,
      400,
    );
  }
  if (shape.longestArray > limits.maxArray) {
    throw new InputError(
      `Cannot accept body: an array of more than ${limits.maxArray} values`,
      "body",
      `arrays of at most ${limits.maxArray} values (fewer rows per request)`,
      413,
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

/** The request's JSON body as a value: content type, size, UTF-8, shape, then JSON.parse. */
export async function readJsonBody(
  req: ServeRequest,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): Promise<unknown> {
  try {
    checkJsonType(req);
  } catch (e) {
    await req.body.discard();
    throw e;
  }
  return parseJsonBytes(await req.body.read(limits.maxBytes), limits);
}
