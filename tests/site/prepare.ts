/**
 * Makes sure the artifacts the site reads exist before a build: in a clean clone (CI) it
 * runs a small pipeline first (3 synthetic stations, 3 years, no tuning, 60 trees, a
 * three-month test period), which takes well under a minute on two cores.
 */
import { ROOT } from "./build.ts";

/** One artifact per stage family the pages need; any missing one triggers the pipeline. */
export const REQUIRED = [
  "data/processed/test.parquet",
  "data/processed/features.schema.json",
  "reports/evaluation/summary.json",
  "reports/explain/summary.json",
  "reports/drift/latest.json",
  "reports/cards/model_card.md",
  "models/registry.json",
];

/** The small run's settings (parameter names of params.yaml). */
export const SMALL_PIPELINE = [
  "synth.stations=3",
  "synth.years=3",
  "split.test_start=2015-12-01",
  "split.valid_months=3",
  "tune.enabled=false",
  "train.n_estimators=60",
  "explain.rows=1000",
  "explain.interaction_rows=100",
];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(`${ROOT}${path}`);
    return true;
  } catch {
    return false;
  }
}

/** Paths of REQUIRED that do not exist. */
export async function missingArtifacts(): Promise<string[]> {
  const out: string[] = [];
  for (const p of REQUIRED) if (!(await exists(p))) out.push(p);
  return out;
}

/** Runs the small pipeline when an artifact is missing; returns what it did. */
export async function ensureArtifacts(): Promise<{ ran: boolean; seconds: number }> {
  const missing = await missingArtifacts();
  if (missing.length === 0) return { ran: false, seconds: 0 };
  const t0 = performance.now();
  const args = ["task", "pipeline", ...SMALL_PIPELINE.flatMap((s) => ["--set", s])];
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    throw new Error(
      `Cannot prepare the site's artifacts (missing ${missing.join(", ")}): deno ${
        args.join(" ")
      } failed:\n${log.slice(-3000)}`,
    );
  }
  const still = await missingArtifacts();
  if (still.length) {
    throw new Error(`Cannot prepare the site's artifacts: still missing ${still.join(", ")}`);
  }
  return { ran: true, seconds: (performance.now() - t0) / 1000 };
}
