/**
 * The registry commands behind `deno task registry`: promote, rollback and diff. Alias
 * changes happen under the registry lock and are recorded in the history with a reason.
 * @module
 */
import { type HistoryEntry, modelEntry, resolveVersion, rollbackTarget } from "./history.ts";
import type { ModelMetadata } from "./package.ts";
import {
  readRegistryIndex,
  readVersionMetadata,
  withRegistryLock,
  writeRegistryIndex,
} from "./store.ts";

export interface AliasChange {
  model: string;
  version: number;
  previous: number | null;
  entry: HistoryEntry;
}

/**
 * Points `production` at `versionText` (N, vN, staging, ...), recording why. `check`, when
 * given, runs under the lock before anything is written (the endpoint loads and tests the
 * version's model there): if it throws, the alias does not move.
 */
export function promoteVersion(
  root: string,
  model: string,
  versionText: string,
  reason = "manual promotion",
  now = new Date(),
  check?: (version: number) => Promise<void>,
): Promise<AliasChange> {
  return withRegistryLock(root, async () => {
    const index = await readRegistryIndex(root);
    const version = resolveVersion(index, model, versionText);
    const entry = modelEntry(index, model);
    const previous = entry.aliases.production ?? null;
    if (previous === version) {
      throw new RangeError(`Cannot promote v${version} of "${model}": it is production already`);
    }
    await check?.(version);
    const h: HistoryEntry = {
      time: now.toISOString(),
      action: "promote",
      version,
      alias: "production",
      previous,
      reason,
    };
    entry.aliases.production = version;
    if (entry.aliases.staging === version) delete entry.aliases.staging;
    entry.history.push(h);
    await writeRegistryIndex(root, index);
    return { model, version, previous, entry: h };
  });
}

/** Points `production` back at the production before it, recording why. */
export function rollbackProduction(
  root: string,
  model: string,
  reason = "manual rollback",
  now = new Date(),
): Promise<AliasChange> {
  return withRegistryLock(root, async () => {
    const index = await readRegistryIndex(root);
    resolveVersion(index, model, "production");
    const entry = modelEntry(index, model);
    const current = entry.aliases.production!;
    const target = rollbackTarget(entry);
    if (target === null) {
      throw new RangeError(
        `Cannot roll back "${model}": production v${current} has no earlier production version`,
      );
    }
    const h: HistoryEntry = {
      time: now.toISOString(),
      action: "rollback",
      version: target,
      alias: "production",
      previous: current,
      reason,
    };
    entry.aliases.production = target;
    entry.history.push(h);
    await writeRegistryIndex(root, index);
    return { model, version: target, previous: current, entry: h };
  });
}

/** One line of a side-by-side comparison. */
export interface DiffRow {
  section: "metrics" | "by_station" | "params" | "lineage" | "version";
  key: string;
  a: unknown;
  b: unknown;
  same: boolean;
}

/** Metrics, per-station RMSE, parameters and lineage of two versions side by side. */
export async function diffVersions(
  root: string,
  model: string,
  aText: string,
  bText: string,
): Promise<{ a: number; b: number; rows: DiffRow[] }> {
  const index = await readRegistryIndex(root);
  const a = resolveVersion(index, model, aText);
  const b = resolveVersion(index, model, bText);
  const [ma, mb] = await Promise.all([
    readVersionMetadata(root, model, a),
    readVersionMetadata(root, model, b),
  ]);
  return { a, b, rows: diffMetadata(ma, mb) };
}

/** The rows of {@link diffVersions} from two metadata objects (pure). */
export function diffMetadata(a: ModelMetadata, b: ModelMetadata): DiffRow[] {
  const rows: DiffRow[] = [];
  const add = (section: DiffRow["section"], key: string, x: unknown, y: unknown) =>
    rows.push({ section, key, a: x ?? null, b: y ?? null, same: same(x, y) });
  for (const k of ["kind", "created", "git_commit", "parent_version"] as const) {
    add("version", k, a[k], b[k]);
  }
  for (const split of ["test", "valid"] as const) {
    const x = a.metrics[split] as Record<string, unknown> | undefined;
    const y = b.metrics[split] as Record<string, unknown> | undefined;
    for (const k of keys(x, y)) add("metrics", `${split}.${k}`, x?.[k], y?.[k]);
  }
  const sa = a.metrics.by_station ?? {}, sb = b.metrics.by_station ?? {};
  for (const s of keys(sa, sb)) add("by_station", `${s}.rmse`, sa[s]?.rmse, sb[s]?.rmse);
  for (const k of keys(a.params, b.params)) add("params", k, a.params[k], b.params[k]);
  add("lineage", "data_hash", a.lineage?.data_hash, b.lineage?.data_hash);
  add("lineage", "run_id", a.lineage?.run_id, b.lineage?.run_id);
  const la = a.lineage?.stages ?? {}, lb = b.lineage?.stages ?? {};
  for (const s of keys(la, lb)) add("lineage", `${s}.code`, la[s]?.code, lb[s]?.code);
  return rows;
}

function keys(...objs: (Record<string, unknown> | undefined)[]): string[] {
  const out = new Set<string>();
  for (const o of objs) for (const k of Object.keys(o ?? {})) out.add(k);
  return [...out].sort();
}

function same(x: unknown, y: unknown): boolean {
  return JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
}
