import type { ParamSpec, ParamValues } from "./params.ts";
import type { Progress } from "./progress.ts";

/**
 * A pipeline stage: what it reads, what it writes, its typed parameters and the code it
 * depends on. The runner hashes all of it to decide whether the stage must run.
 */
export interface Stage<S extends ParamSpec = ParamSpec> {
  name: string;
  description: string;
  /** Stages whose outputs this one reads (ordering and lineage). */
  after: readonly string[];
  params: S;
  /** Files or folders read (repo-relative); may depend on parameters, e.g. a data folder. */
  inputs(p: ParamValues<S> & Globals): string[];
  /** Files or folders written (repo-relative). Written atomically by the runner. */
  outputs(p: ParamValues<S> & Globals): string[];
  /**
   * The stage's own module (`import.meta.url`): the runner hashes every local file and npm
   * package reachable from it (src/pipeline/module_graph.ts) as the stage's code.
   */
  module?: string;
  /** Whether the stage applies to this configuration (e.g. `synth` only for synthetic data). */
  enabled?(p: Globals): boolean;
  /** Parameters of other stages this one reads, as "stage.param" (they join its hash). */
  uses?: readonly string[];
  run(ctx: StageContext<S>): Promise<void>;
}

/** Settings shared by all stages (the `pipeline:` section of params.yaml and CLI flags). */
export interface Globals {
  source: string;
  data_dir: string;
  seed: number;
  model_path: string;
  current_dir: string;
}

export interface StageContext<S extends ParamSpec = ParamSpec> {
  params: ParamValues<S>;
  globals: Globals;
  /** All resolved parameters, for stages that read another stage's settings (declare in `uses`). */
  all: Record<string, Record<string, unknown>>;
  runId: string;
  /** Where to write `output` (a repo-relative declared output): a staging path (its parent folder exists), moved into place on success. */
  out(output: string): string;
  /** Reads a declared input or a previous stage's output (the committed path). */
  path(relative: string): string;
  log(message: string): void;
  warn(message: string): void;
  progress(label: string, total: number): Progress;
  /** Row counts and metrics for the run record. */
  rows(label: string, n: number): void;
  metric(name: string, value: number): void;
  /** Free-form structured data for the run record (e.g. a training curve). */
  record(name: string, value: unknown): void;
  /** Hashes of the code, parameters and inputs of `stage` and every stage before it. */
  lineage(stage: string): Promise<Lineage>;
}

/** What made an artifact: per stage, hashes of its code, its parameters and its inputs. */
export interface Lineage {
  run_id: string | null;
  /** Hash of the ingest stage's inputs (the raw data), or null without ingest. */
  data_hash: string | null;
  stages: Record<
    string,
    { code: string; params: Record<string, unknown>; inputs: Record<string, string | null> }
  >;
}

export function defineStage<S extends ParamSpec>(stage: Stage<S>): Stage<S> {
  return stage;
}
