/**
 * Writes and reads a model package folder (see package.ts): model.onnx, model.json,
 * metadata.json, reference.json. I/O code (Deno): the train stage, the register stage and
 * the registry CLI use it; the endpoint and the site read the files themselves.
 */
import { join } from "node:path";
import type { FeatureMatrix } from "../data/matrix.ts";
import { Pcg32 } from "../gbdt/random.ts";
import { writeFileAtomic, writeJsonAtomic } from "../pipeline/atomic.ts";
import { canonicalJson, hashPath, hashText } from "../pipeline/hash.ts";
import { type DriftReference, type ModelMetadata, PACKAGE_FILES } from "./package.ts";

export interface PackageContents {
  /** Bytes of the `.onnx` file: every package has one, so every model scores the same way. */
  onnx: Uint8Array;
  /** Our own model JSON (gbdt: src/gbdt/serialize.ts; linear kinds: weights and imputation). */
  model: unknown;
  metadata: ModelMetadata;
  reference: DriftReference;
}

/** Writes the four files of a package into `dir` (created if needed), each atomically. */
export async function writePackage(dir: string, contents: PackageContents): Promise<void> {
  if (!(contents.onnx instanceof Uint8Array) || contents.onnx.length === 0) {
    throw new TypeError(`Cannot write model package ${dir}: model.onnx bytes are missing`);
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, PACKAGE_FILES.onnx), contents.onnx);
  await writeJsonAtomic(join(dir, PACKAGE_FILES.json), contents.model);
  await writeJsonAtomic(join(dir, PACKAGE_FILES.metadata), contents.metadata);
  // The reference is the largest file; compact JSON keeps it a few hundred kB.
  await writeFileAtomic(join(dir, PACKAGE_FILES.reference), JSON.stringify(contents.reference));
}

/** Reads a package written by `writePackage`; the error names the missing file. */
export async function readPackage(dir: string): Promise<PackageContents> {
  const read = async (name: string) => {
    try {
      return await Deno.readFile(join(dir, name));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new TypeError(`Cannot read model package ${dir}: ${name} does not exist`);
      }
      throw e;
    }
  };
  const json = async (name: string) => {
    const text = new TextDecoder().decode(await read(name));
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new SyntaxError(`Cannot parse ${join(dir, name)}: ${(e as Error).message}`);
    }
  };
  return {
    onnx: await read(PACKAGE_FILES.onnx),
    model: await json(PACKAGE_FILES.json),
    metadata: await json(PACKAGE_FILES.metadata) as ModelMetadata,
    reference: await json(PACKAGE_FILES.reference) as DriftReference,
  };
}

export interface ReferenceOptions {
  /** Rows kept (default 5000); all rows when the data has fewer. */
  rows?: number;
  seed: number;
  /** Name of the target column (default "pm25_next"). */
  target?: string;
}

/**
 * A DriftReference: a seeded uniform sample of rows (without replacement, kept in their
 * original order), the features in model order plus "prediction" and the target.
 */
export function sampleReference(
  data: { X: FeatureMatrix; y: ArrayLike<number>; time: ArrayLike<number> },
  prediction: ArrayLike<number>,
  options: ReferenceOptions,
): DriftReference {
  const { X, y, time } = data;
  const n = X.nRows;
  const k = Math.min(n, options.rows ?? 5000);
  // Selection sampling (Knuth's Algorithm S): k of n in order, one pass.
  const rng = new Pcg32(options.seed, 0x726566);
  const picked: number[] = [];
  for (let i = 0; i < n && picked.length < k; i++) {
    if ((n - i) * rng.nextFloat() < k - picked.length) picked.push(i);
  }
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  const columns: Record<string, (number | null)[]> = {};
  X.names.forEach((name, j) => {
    columns[name] = picked.map((i) => num(X.data[i * X.nCols + j]!));
  });
  columns["prediction"] = picked.map((i) => num(prediction[i]!));
  columns[options.target ?? "pm25_next"] = picked.map((i) => num(y[i]!));
  return {
    columns,
    time: picked.map((i) => new Date(time[i]!).toISOString().slice(0, 13) + ":00"),
    rows: picked.length,
    source_rows: n,
  };
}

/** The parts of a pipeline stage that lineage needs (structurally, src/pipeline/stage.ts). */
export interface LineageStage {
  name: string;
  after: readonly string[];
  code: readonly string[];
  uses?: readonly string[];
  inputs(p: never): string[];
  enabled?(g: never): boolean;
}

export interface LineageOptions {
  /** All resolved parameters (`ctx.all`), with the `pipeline` globals. */
  all: Record<string, Record<string, unknown>>;
  /** Absolute path of a repo-relative path: `ctx.path`, so staged outputs of this run count. */
  path(relative: string): string;
  runId: string | null;
}

/**
 * Lineage of a model made by stage `target`: for it and every stage upstream, the code,
 * parameter and input hashes exactly as the runner writes them to aqlab.lock (computed
 * now, so stages that ran in this same run are described by what they produced, before
 * the lock file is written). `data_hash` is the runner's: the hash of ingest's inputs.
 */
export async function stageLineage(
  stages: readonly LineageStage[],
  target: string,
  options: LineageOptions,
): Promise<ModelMetadata["lineage"]> {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const names = new Set<string>();
  const visit = (n: string) => {
    if (names.has(n)) return;
    names.add(n);
    for (const a of byName.get(n)?.after ?? []) visit(a);
  };
  visit(target);
  const globals = options.all["pipeline"] ?? {};
  const out: ModelMetadata["lineage"]["stages"] = {};
  for (const name of [...names].sort()) {
    const s = byName.get(name);
    if (!s || (s.enabled && !s.enabled(globals as never))) continue;
    const p = { ...(options.all[name] ?? {}), ...globals };
    const parts: string[] = [];
    for (const c of s.code) parts.push(`${c}:${await hashPath(options.path(c))}`);
    const params: Record<string, unknown> = { ...(options.all[name] ?? {}) };
    for (const u of s.uses ?? []) {
      const [sec, key] = u.split(".") as [string, string];
      params[u] = options.all[sec]?.[key];
    }
    const inputs: Record<string, string | null> = {};
    for (const i of s.inputs(p as never)) inputs[i] = await hashPath(options.path(i));
    out[name] = { code: hashText(parts.join("\n")), params, inputs };
  }
  const ingest = out["ingest"];
  return {
    run_id: options.runId,
    data_hash: ingest ? hashText(canonicalJson(ingest.inputs)) : null,
    stages: out,
  };
}
