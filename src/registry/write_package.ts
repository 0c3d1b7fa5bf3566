/**
 * Writes a model package folder (see package.ts): model.onnx, model.json,
 * metadata.json, reference.json. Reading is read_package.ts, for every consumer.
 */
import { join } from "node:path";
import type { FeatureMatrix } from "../data/matrix.ts";
import { Pcg32 } from "../gbdt/random.ts";
import { writeFileAtomic, writeJsonAtomic } from "../pipeline/atomic.ts";
import { type DriftReference, PACKAGE_FILES } from "./package.ts";
import type { PackageContents } from "./read_package.ts";

/**
 * Writes the files of a package into `dir` (created if needed), each atomically; model.json
 * only when there is a model JSON (a pretrained model that is not a tree ensemble has none).
 */
export async function writePackage(dir: string, contents: PackageContents): Promise<void> {
  if (!(contents.onnx instanceof Uint8Array) || contents.onnx.length === 0) {
    throw new TypeError(`Cannot write model package ${dir}: model.onnx bytes are missing`);
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, PACKAGE_FILES.onnx), contents.onnx);
  if (contents.model !== null) await writeJsonAtomic(join(dir, PACKAGE_FILES.json), contents.model);
  await writeJsonAtomic(join(dir, PACKAGE_FILES.metadata), contents.metadata);
  // The reference is the largest file; compact JSON keeps it a few hundred kB.
  await writeFileAtomic(join(dir, PACKAGE_FILES.reference), JSON.stringify(contents.reference));
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
