import { all, lit, openDuck, writeParquet } from "../data/duck.ts";
import { exists, writeJsonAtomic } from "./atomic.ts";
import { join } from "node:path";

/** One pipeline run, as the site's runs page and the comparison of runs read it. */
export interface RunRecord {
  run_id: string;
  started: string;
  ended: string;
  status: "succeeded" | "failed" | "interrupted" | "nothing-to-do";
  error: string | null;
  git_commit: string | null;
  data_hash: string | null;
  source: string;
  params: Record<string, Record<string, unknown>>;
  stages: {
    name: string;
    status: "ran" | "skipped" | "failed" | "disabled";
    reason: string;
    seconds: number;
    rows: Record<string, number>;
    metrics: Record<string, number>;
  }[];
  metrics: Record<string, number>;
  records: Record<string, unknown>;
}

/** HEAD, with "-dirty" when tracked files differ (the lock file, which every run rewrites, aside). */
export async function gitCommit(root: string): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      cwd: root,
      stderr: "null",
    })
      .output();
    if (!out.success) return null;
    const dirty = await new Deno.Command("git", {
      args: ["status", "--porcelain", "--untracked-files=no", "--", ".", ":!aqlab.lock"],
      cwd: root,
    })
      .output();
    const sha = new TextDecoder().decode(out.stdout).trim();
    return new TextDecoder().decode(dirty.stdout).trim() ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

/**
 * Appends a run to `reports/runs/runs.parquet` (one row a run, nested data as JSON text)
 * and writes the full record as `reports/runs/<run_id>.json`.
 */
export async function appendRun(root: string, run: RunRecord): Promise<void> {
  const dir = join(root, "reports", "runs");
  await Deno.mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, `${run.run_id}.json`), run);
  const path = join(dir, "runs.parquet");
  const c = await openDuck();
  try {
    const seconds = (Date.parse(run.ended) - Date.parse(run.started)) / 1000;
    const row = `SELECT ${lit(run.run_id)} AS run_id, ${lit(run.started)}::TIMESTAMP AS started,
      ${lit(run.ended)}::TIMESTAMP AS ended, ${seconds}::DOUBLE AS seconds, ${
      lit(run.status)
    } AS status,
      ${run.error === null ? "NULL" : lit(run.error)}::VARCHAR AS error,
      ${run.git_commit === null ? "NULL" : lit(run.git_commit)}::VARCHAR AS git_commit,
      ${run.data_hash === null ? "NULL" : lit(run.data_hash)}::VARCHAR AS data_hash,
      ${lit(run.source)} AS source,
      ${lit(JSON.stringify(run.params))} AS params_json,
      ${lit(JSON.stringify(run.stages))} AS stages_json,
      ${lit(JSON.stringify(run.metrics))} AS metrics_json,
      ${
      lit(run.stages.filter((s) => s.status === "ran").map((s) => s.name).join(","))
    } AS stages_ran`;
    const query = (await exists(path))
      ? `SELECT * FROM read_parquet(${lit(path)}) UNION ALL BY NAME ${row}`
      : row;
    await writeParquet(c, query, path);
  } finally {
    c.closeSync();
  }
}

export async function readRuns(root: string): Promise<Record<string, unknown>[]> {
  const path = join(root, "reports", "runs", "runs.parquet");
  if (!(await exists(path))) return [];
  const c = await openDuck();
  try {
    return await all(c, `SELECT * FROM read_parquet(${lit(path)}) ORDER BY started`);
  } finally {
    c.closeSync();
  }
}
