/**
 * Typed stage parameters. A stage declares each parameter with a default and a kind; the
 * user's `params.yaml` and `--set stage.param=value` are checked against these
 * declarations before anything runs, so a typo fails at start with the key named.
 */
export type NumberDecl = {
  kind: "number";
  default: number;
  min?: number;
  max?: number;
  integer?: boolean;
  doc: string;
};
export type StringDecl = {
  kind: "string";
  default: string;
  choices?: readonly string[];
  doc: string;
};
export type BooleanDecl = { kind: "boolean"; default: boolean; doc: string };
export type StringsDecl = { kind: "strings"; default: readonly string[]; doc: string };
/** A calendar day as "YYYY-MM-DD" (a string, so it never shifts with a time zone). */
export type DateDecl = { kind: "date"; default: string; doc: string };
export type ParamDecl = NumberDecl | StringDecl | BooleanDecl | StringsDecl | DateDecl;
export type ParamKind = ParamDecl["kind"];

export type ParamSpec = Record<string, ParamDecl>;

/** The type of a value of a parameter kind. */
export type KindValue<K extends ParamKind> = K extends "number" ? number
  : K extends "boolean" ? boolean
  : K extends "strings" ? string[]
  : string;

export type ParamValues<S extends ParamSpec> = { [K in keyof S]: KindValue<S[K]["kind"]> };

export function num(
  value: number,
  doc: string,
  range: { min?: number; max?: number; integer?: boolean } = {},
): NumberDecl {
  return { kind: "number", default: value, doc, ...range };
}

export function int(
  value: number,
  doc: string,
  range: { min?: number; max?: number } = {},
): NumberDecl {
  return num(value, doc, { ...range, integer: true });
}

export function str(value: string, doc: string, choices?: readonly string[]): StringDecl {
  return choices
    ? { kind: "string", default: value, doc, choices }
    : { kind: "string", default: value, doc };
}

export function bool(value: boolean, doc: string): BooleanDecl {
  return { kind: "boolean", default: value, doc };
}

export function strings(value: readonly string[], doc: string): StringsDecl {
  return { kind: "strings", default: value, doc };
}

export function date(value: string, doc: string): DateDecl {
  if (!isCalendarDay(value)) {
    throw new ParamError(`Default ${show(value)} is not a YYYY-MM-DD date`);
  }
  return { kind: "date", default: value, doc };
}

/** Whether `text` is "YYYY-MM-DD" naming a day that exists (no month 13, no February 30). */
export function isCalendarDay(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

export class ParamError extends Error {
  override name = "ParamError";
}

/** Checks one value against its declaration; `where` names the key in the message. */
export function checkParam(decl: ParamDecl, value: unknown, where: string): unknown {
  switch (decl.kind) {
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new ParamError(`${where} must be a number: got ${show(value)}`);
      }
      if (decl.integer && !Number.isInteger(value)) {
        throw new ParamError(`${where} must be an integer: got ${value}`);
      }
      if (decl.min !== undefined && value < decl.min) {
        throw new ParamError(`${where} must be >= ${decl.min}: got ${value}`);
      }
      if (decl.max !== undefined && value > decl.max) {
        throw new ParamError(`${where} must be <= ${decl.max}: got ${value}`);
      }
      return value;
    }
    case "string": {
      if (typeof value !== "string") {
        throw new ParamError(`${where} must be a string: got ${show(value)}`);
      }
      if (decl.choices && !decl.choices.includes(value)) {
        throw new ParamError(
          `${where} must be one of ${decl.choices.map(show).join(", ")}: got ${show(value)}`,
        );
      }
      return value;
    }
    case "boolean":
      if (typeof value !== "boolean") {
        throw new ParamError(`${where} must be true or false: got ${show(value)}`);
      }
      return value;
    case "strings":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw new ParamError(`${where} must be a list of strings: got ${show(value)}`);
      }
      return [...value];
    case "date":
      if (typeof value !== "string" || !isCalendarDay(value)) {
        throw new ParamError(`${where} must be a date YYYY-MM-DD that exists: got ${show(value)}`);
      }
      return value;
  }
}

/** Parses the text of `--set key=value` by the declared kind. */
export function parseParamText(decl: ParamDecl, text: string, where: string): unknown {
  switch (decl.kind) {
    case "number": {
      const v = text.trim() === "" ? NaN : Number(text);
      if (!Number.isFinite(v)) throw new ParamError(`${where} must be a number: got ${show(text)}`);
      return checkParam(decl, v, where);
    }
    case "boolean":
      if (text !== "true" && text !== "false") {
        throw new ParamError(`${where} must be true or false: got ${show(text)}`);
      }
      return text === "true";
    case "strings":
      return text === "" ? [] : text.split(",").map((s) => s.trim());
    case "string":
    case "date":
      return checkParam(decl, text, where);
  }
}

export function defaults<S extends ParamSpec>(spec: S): ParamValues<S> {
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(spec)) {
    out[k] = Array.isArray(d.default) ? [...d.default] : d.default;
  }
  return out as ParamValues<S>;
}

function show(v: unknown): string {
  return typeof v === "string" ? `"${v}"` : JSON.stringify(v) ?? String(v);
}
