import { writeJsonAtomic } from "./atomic.ts";

/** What the last successful run of each stage saw: the basis for skipping it next time. */
export interface StageLock {
  code: string;
  params: Record<string, unknown>;
  inputs: Record<string, string | null>;
  outputs: Record<string, string | null>;
  run_id: string;
  seconds: number;
}

export interface LockFile {
  version: 1;
  stages: Record<string, StageLock>;
}

export async function readLock(path: string): Promise<LockFile> {
  try {
    const v = JSON.parse(await Deno.readTextFile(path));
    if (v?.version === 1 && v.stages && typeof v.stages === "object") return v as LockFile;
    throw new Error(`Cannot read ${path}: unknown lock file version ${JSON.stringify(v?.version)}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { version: 1, stages: {} };
    throw e;
  }
}

export function writeLock(path: string, lock: LockFile): Promise<void> {
  const sorted: LockFile = { version: 1, stages: {} };
  for (const k of Object.keys(lock.stages).sort()) sorted.stages[k] = lock.stages[k]!;
  return writeJsonAtomic(path, sorted);
}
