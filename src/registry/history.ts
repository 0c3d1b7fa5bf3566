/**
 * Reading the registry index: which version an alias or a "vN" names, and what production
 * was before (for rollback). Pure: no file access.
 * @module
 */
import type { RegistryIndex } from "./package.ts";

export type ModelEntry = RegistryIndex["models"][string];
export type HistoryEntry = ModelEntry["history"][number];

/** An index with no model. */
export function emptyIndex(): RegistryIndex {
  return { version: 1, models: {} };
}

/** The entry of `model`, created empty when absent. */
export function modelEntry(index: RegistryIndex, model: string): ModelEntry {
  return index.models[model] ??= { versions: [], aliases: {}, history: [] };
}

/** The error of a version that is not in the registry (the CLI turns it into exit code 2). */
export class UnknownVersionError extends RangeError {
  override name = "UnknownVersionError";
}

/**
 * The version named by `text`: "3", "v3", "production", "staging" or "latest".
 * Throws UnknownVersionError naming the known versions.
 */
export function resolveVersion(index: RegistryIndex, model: string, text: string): number {
  const entry = index.models[model];
  const known = entry?.versions.map((v) => `v${v.version}`) ?? [];
  const listing = known.length ? known.join(", ") : "none";
  if (!entry) {
    throw new UnknownVersionError(
      `Cannot find model "${model}" in the registry: known models are ${
        Object.keys(index.models).join(", ") || "none"
      }`,
    );
  }
  const t = text.trim();
  if (t === "production" || t === "staging") {
    const v = entry.aliases[t];
    if (v === undefined) {
      throw new UnknownVersionError(`Cannot resolve "${t}": model "${model}" has no ${t} alias`);
    }
    return v;
  }
  if (t === "latest") {
    const last = entry.versions.at(-1);
    if (!last) throw new UnknownVersionError(`Cannot resolve "latest": model "${model}" has none`);
    return last.version;
  }
  const m = /^v?(\d+)$/.exec(t);
  if (!m) {
    throw new UnknownVersionError(
      `Cannot parse version "${text}": expected N, vN, production, staging or latest`,
    );
  }
  const n = Number(m[1]);
  if (!entry.versions.some((v) => v.version === n)) {
    throw new UnknownVersionError(
      `Cannot find version v${n} of model "${model}": known versions are ${listing}`,
    );
  }
  return n;
}

/**
 * Production versions in the order they took over, with rolled-back ones removed: the last
 * element is production now, the one before it is where a rollback goes.
 */
export function productionStack(entry: ModelEntry): number[] {
  const stack: number[] = [];
  for (const h of entry.history) {
    if (h.alias !== "production") continue;
    if (h.action === "rollback") {
      stack.pop();
      if (stack.at(-1) !== h.version) stack.push(h.version);
    } else if (h.action === "promote" || h.action === "register") {
      if (stack.at(-1) !== h.version) stack.push(h.version);
    }
  }
  return stack;
}

/** The version a rollback would restore, or null when production has no predecessor. */
export function rollbackTarget(entry: ModelEntry): number | null {
  const stack = productionStack(entry);
  return stack.length >= 2 ? stack[stack.length - 2]! : null;
}
