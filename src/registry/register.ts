/**
 * Registration (I/O): copies a candidate package into `models/registry/<model>/v<N>/` with
 * its metadata completed, applies the champion/challenger rule and records the decision.
 *
 * Safety: everything happens under the registry lock; the version folder is written under a
 * temp name and renamed into a freshly claimed `v<N>` (a non-recursive `mkdir` fails if the
 * number is taken, and the next number is tried), so a version is never overwritten and a
 * failed registration never leaves a half-written one. A package whose model.onnx is
 * byte-identical to a registered version's is not registered again.
 * @module
 */
import { join } from "node:path";
import { hashFile } from "../pipeline/hash.ts";
import { championChallenger, type ChampionDecision, type ChampionRule } from "./champion.ts";
import { type HistoryEntry, modelEntry } from "./history.ts";
import { type ModelMetadata, PACKAGE_FILES, registryPath } from "./package.ts";
import {
  readRegistryIndex,
  readVersionMetadata,
  versionFolders,
  withRegistryLock,
  writeRegistryIndex,
} from "./store.ts";

export interface RegisterOptions {
  /** Registered model name ("pm25"). */
  model: string;
  /** The candidate package folder to copy. */
  packageDir: string;
  /** The new version's metadata, completed by the caller; version, parent and created are set here. */
  metadata: ModelMetadata;
  rule: ChampionRule;
  /** Where the version comes from, for the history (e.g. "run X, candidate gbdt"). */
  note?: string;
  now?: Date;
}

export interface RegisterResult {
  model: string;
  version: number;
  /** Repo-relative folder of the version. */
  path: string;
  /** Set when the package was already registered as this version: nothing was written. */
  duplicateOf: number | null;
  /** The champion/challenger decision; null for a duplicate. */
  decision: ChampionDecision | null;
  aliases: Partial<Record<"production" | "staging", number>>;
}

const REQUIRED = [PACKAGE_FILES.onnx, PACKAGE_FILES.metadata] as const;

/** Registers the package as the next version of `model` and applies the champion rule. */
export async function registerVersion(root: string, o: RegisterOptions): Promise<RegisterResult> {
  for (const f of REQUIRED) {
    try {
      await Deno.stat(join(o.packageDir, f));
    } catch {
      throw new Deno.errors.NotFound(
        `Cannot register "${o.packageDir}": expected a model package with ${f}`,
      );
    }
  }
  const newHash = await hashFile(join(o.packageDir, PACKAGE_FILES.onnx));
  const now = (o.now ?? new Date()).toISOString();
  return await withRegistryLock(root, async () => {
    const index = await readRegistryIndex(root);
    const entry = modelEntry(index, o.model);
    const modelDir = join(root, "models", "registry", o.model);
    await removeStaleTemps(modelDir);

    for (const v of entry.versions) {
      const onnx = join(root, v.path, PACKAGE_FILES.onnx);
      const h = await hashFile(onnx).catch(() => null);
      if (h === newHash) {
        return {
          model: o.model,
          version: v.version,
          path: v.path,
          duplicateOf: v.version,
          decision: null,
          aliases: { ...entry.aliases },
        };
      }
    }

    const production = entry.aliases.production ?? null;
    const champion = production === null
      ? null
      : await readVersionMetadata(root, o.model, production);
    const decision = championChallenger(
      {
        version: null,
        test: o.metadata.metrics.test,
        byStation: o.metadata.metrics.by_station,
        testData: testDataHash(o.metadata),
      },
      champion === null ? null : {
        version: production,
        test: champion.metrics.test,
        byStation: champion.metrics.by_station,
        testData: testDataHash(champion),
      },
      o.rule,
    );

    // Write the package under a temp name, then claim v<N> and rename into it.
    const tmp = join(modelDir, `.tmp-${crypto.randomUUID().slice(0, 8)}`);
    await Deno.mkdir(tmp, { recursive: true });
    let final: string | null = null;
    let version = 0;
    try {
      await copyDir(o.packageDir, tmp);
      const taken = new Set([
        ...entry.versions.map((v) => v.version),
        ...await versionFolders(root, o.model),
      ]);
      version = Math.max(0, ...taken) + 1;
      const parent = production ?? entry.versions.at(-1)?.version ?? null;
      const metadata: ModelMetadata = {
        ...o.metadata,
        name: o.model,
        version,
        parent_version: parent,
        created: now,
      };
      for (;;) {
        const claim = join(root, registryPath(o.model, version));
        try {
          await Deno.mkdir(claim);
          final = claim;
          break;
        } catch (e) {
          if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
          version++;
          metadata.version = version;
        }
      }
      await Deno.writeTextFile(
        join(tmp, PACKAGE_FILES.metadata),
        JSON.stringify(metadata, null, 2) + "\n",
      );
      // rename(2) replaces the empty claimed folder in one step.
      await Deno.rename(tmp, final);
    } catch (e) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      if (final) await Deno.remove(final, { recursive: true }).catch(() => {});
      throw e;
    }

    const path = registryPath(o.model, version);
    entry.versions.push({
      version,
      created: now,
      path,
      metrics: o.metadata.metrics.test ?? null,
      kind: o.metadata.kind,
    });
    const history: HistoryEntry[] = [{
      time: now,
      action: "register",
      version,
      alias: null,
      previous: null,
      reason: o.note ?? `registered from ${o.packageDir}`,
    }];
    if (decision.promote) {
      history.push({
        time: now,
        action: "promote",
        version,
        alias: "production",
        previous: production,
        reason: decision.reason,
      });
      entry.aliases.production = version;
      if (entry.aliases.staging === version) delete entry.aliases.staging;
    } else {
      history.push({
        time: now,
        action: "stage",
        version,
        alias: "staging",
        previous: entry.aliases.staging ?? null,
        reason: decision.reason,
      });
      entry.aliases.staging = version;
    }
    entry.history.push(...history);
    try {
      await writeRegistryIndex(root, index);
    } catch (e) {
      // Without its index entry the folder would be an orphan: take it back.
      await Deno.remove(final, { recursive: true }).catch(() => {});
      throw e;
    }
    return {
      model: o.model,
      version,
      path,
      duplicateOf: null,
      decision,
      aliases: { ...entry.aliases },
    };
  });
}

/** The test split the metrics were computed on: evaluate's input hash in the lineage. */
export function testDataHash(m: ModelMetadata): string | null {
  const inputs = m.lineage?.stages?.["evaluate"]?.inputs ?? {};
  const key = Object.keys(inputs).find((k) => /(^|\/)test\.parquet$/.test(k));
  return key ? inputs[key] ?? null : null;
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.name.startsWith(".") || e.name.endsWith(".tmp")) continue;
    const a = join(from, e.name), b = join(to, e.name);
    if (e.isDirectory) await copyDir(a, b);
    else if (e.isFile) await Deno.copyFile(a, b);
  }
}

/** Temp folders of registrations that were killed: only ever removed under the lock. */
async function removeStaleTemps(modelDir: string): Promise<void> {
  try {
    for await (const e of Deno.readDir(modelDir)) {
      if (e.isDirectory && e.name.startsWith(".tmp-")) {
        await Deno.remove(join(modelDir, e.name), { recursive: true }).catch(() => {});
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
