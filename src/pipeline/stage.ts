import type { KindValue, ParamKind, ParamSpec, ParamValues } from "./params.ts";
import type { Progress } from "./progress.ts";

/**
 * A pipeline stage: what it reads, what it writes, its typed parameters and the code it
 * depends on. The runner hashes all of it to decide whether the stage must run.
 */
export interface Stage<S extends ParamSpec = ParamSpec, U extends Uses = Uses> {
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
  /**
   * Parameters of other stages (or `pipeline.*`) this one reads, as "stage.param" with the
   * kind it reads them as: `{ "features.horizon_hours": "number" }`. They join the stage's
   * hash and arrive typed in `ctx.used`, with the owner's default; resolving the parameters
   * fails at start when one is not declared with that kind.
   */
  uses?: U;
  run(ctx: StageContext<S, U>): Promise<void>;
}

/** What a stage reads of other stages' parameters: "stage.param" -> kind. */
export type Uses = Readonly<Record<string, ParamKind>>;

/** Settings shared by all stages (the `pipeline:` section of params.yaml and CLI flags). */
export interface Globals {
  source: string;
  data_dir: string;
  seed: number;
  model_path: string;
  current_dir: string;
}

export interface StageContext<S extends ParamSpec = ParamSpec, U extends Uses = Uses> {
  params: ParamValues<S>;
  /** The parameters named in `uses`, resolved (defaults, params.yaml, --set) and typed. */
  used: { readonly [K in keyof U]: KindValue<U[K]> };
  globals: Globals;
  /**
   * Every resolved parameter, untyped: for passing another stage's whole section on (tune
   * hands train's to the GBDT). Read single values through `used`, and list every key read
   * here in `uses` too, or a change of it will not re-run the stage.
   */
  all: Record<string, Record<string, unknown>>;
  runId: string;
  /** Where to write `output` (a repo-relative declared output): a staging path (its parent folder exists), moved into place on success. */
  out(output: string): string;
  /**
   * Where to write `relative`, a path outside the stage's outputs in a store that other
   * commands change too (the model registry), guarded by the lock file `lock` (both relative
   * to the root). The write is staged like an output, so later stages' `path` finds it, and
   * committed with the run, holding `lock`, only if `relative` is then as it was when this was
   * called; otherwise the run fails with nothing committed. Call it holding `lock`, after
   * reading what the write is based on.
   */
  sharedOut(relative: string, lock: string): Promise<string>;
  /**
   * The project-relative name of a path that `path` or `out` gave (a staged copy is named by
   * its final place); a path outside the project stays as it is. Artifacts that record file
   * names use it, so they never hold a staging path and two identical runs write the same
   * bytes.
   */
  relative(path: string): string;
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

// deno-lint-ignore ban-types -- `{}`: a stage that uses no other stage's parameter
export function defineStage<S extends ParamSpec, const U extends Uses = {}>(
  stage: Stage<S, U>,
): Stage<S, U> {
  return stage;
}
