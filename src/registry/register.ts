/**
 * Registration (I/O): copies a candidate package into `models/registry/<model>/v<N>/` with
 * its metadata completed, applies the champion/challenger rule and records the decision.
 *
 * Two steps: `planRegistration` decides (version number, decision, new index) from the
 * registry as it is; the writes follow. `registerVersion` does both at once under the
 * registry lock (the version folder written under a temp name and renamed into place, then
 * the index replaced atomically). The pipeline's register stage plans during the run and
 * stages the writes, which the runner commits with the run (src/pipeline/runner.ts
 * `sharedOut`), so a killed run never changes the registry. A version number is never
 * reused: folders nobody indexed count as taken. A package whose model.onnx is
 * byte-identical to a registered version's is not registered again.
 * @module
 */
import { join } from "node:path";
import { hashFile } from "../pipeline/hash.ts";
import { championChallenger, type ChampionDecision, type ChampionRule } from "./champion.ts";
import { type HistoryEntry, modelEntry } from "./history.ts";
import { type ModelMetadata, PACKAGE_FILES, type RegistryIndex, registryPath } from "./package.ts";
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

/**
 * A registration decided against the registry as it is, not yet written: the version it
 * takes, the champion/challenger decision, and the index and metadata.json to write.
 */
export interface RegistrationPlan extends RegisterResult {
  /** The index after the registration; null for a duplicate (nothing to write). */
  index: RegistryIndex | null;
  /** metadata.json of the new version; null for a duplicate. */
  metadata: ModelMetadata | null;
}

/**
 * Decides a registration: duplicate check, version number, champion/challenger decision and
 * the new index. Reads only; call it holding the registry lock, and write what it plans
 * (writeVersionFolder, then the index) before letting go of the lock, or commit both with a
 * check that the registry did not change meanwhile (the pipeline's register stage).
 */
export async function planRegistration(
  root: string,
  o: RegisterOptions,
): Promise<RegistrationPlan> {
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
  const index = await readRegistryIndex(root);
  const entry = modelEntry(index, o.model);

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
        index: null,
        metadata: null,
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

  // Folders count too: a folder nobody indexed (a crash, a hand copy) is never overwritten.
  const taken = [...entry.versions.map((v) => v.version), ...await versionFolders(root, o.model)];
  const version = Math.max(0, ...taken) + 1;
  const path = registryPath(o.model, version);
  const metadata: ModelMetadata = {
    ...o.metadata,
    name: o.model,
    version,
    parent_version: production ?? entry.versions.at(-1)?.version ?? null,
    created: now,
  };
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
  return {
    model: o.model,
    version,
    path,
    duplicateOf: null,
    decision,
    aliases: { ...entry.aliases },
    index,
    metadata,
  };
}

/** Writes the planned version's package into `dir` (created): the candidate's files and metadata.json. */
export async function writeVersionFolder(
  packageDir: string,
  metadata: ModelMetadata,
  dir: string,
): Promise<void> {
  await copyDir(packageDir, dir);
  await Deno.writeTextFile(
    join(dir, PACKAGE_FILES.metadata),
    JSON.stringify(metadata, null, 2) + "\n",
  );
}

/** Registers the package as the next version of `model` and applies the champion rule, now. */
export async function registerVersion(root: string, o: RegisterOptions): Promise<RegisterResult> {
  return await withRegistryLock(root, async () => {
    const modelDir = join(root, "models", "registry", o.model);
    await removeStaleTemps(modelDir);
    const { index, metadata, ...result } = await planRegistration(root, o);
    if (!index || !metadata) return result;
    // Write the package under a temp name, then rename it into the version's folder: a
    // failed registration never leaves a half-written version.
    const tmp = join(modelDir, `.tmp-${crypto.randomUUID().slice(0, 8)}`);
    const final = join(root, result.path);
    try {
      await writeVersionFolder(o.packageDir, metadata, tmp);
      await Deno.rename(tmp, final);
    } catch (e) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      throw e;
    }
    try {
      await writeRegistryIndex(root, index);
    } catch (e) {
      // Without its index entry the folder would be an orphan: take it back.
      await Deno.remove(final, { recursive: true }).catch(() => {});
      throw e;
    }
    return result;
  });
}

/** The test split the metrics were computed on: evaluate's input hash in the lineage. */
function testDataHash(m: ModelMetadata): string | null {
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
