/**
 * The model being served, swapped by reload and promote. Requests lease the model they
 * start with and return it when answered; a replaced model's ONNX session is released once
 * the last request using it is done, so reloads do not pile up sessions (each holds its
 * trees in wasm memory, about 2 MB for 500 trees of depth 8).
 */
import type { LoadedModel } from "./model.ts";
import { type ExplainLane, ScoreBatcher, type ShapEngine } from "./scoring.ts";

/** A model as served: the package and the batcher of its session. */
export class Served {
  readonly batcher: ScoreBatcher;
  #users = 0;
  #retired = false;
  #released: Promise<void> | null = null;
  #engine: ShapEngine | null = null;

  constructor(
    readonly model: LoadedModel,
    names: readonly string[],
    onRun?: (rows: number) => void,
  ) {
    this.batcher = new ScoreBatcher(model.scorer, names, onRun ? { onRun } : {});
  }

  /** Where this model's SHAP values are computed (made on first use: a worker costs memory). */
  engine(lane: ExplainLane): ShapEngine {
    return this.#engine ??= lane.engine(this.model.trees!, this.model.explainer!);
  }

  /** Stops the SHAP worker, if any (shutdown; a later explanation starts a new one). */
  closeEngine(): void {
    this.#engine?.close();
    this.#engine = null;
  }

  /** Takes a lease (a request starts using this model). */
  take(): this {
    this.#users++;
    return this;
  }

  /** Returns a lease; the last one of a replaced model releases its session. */
  give(): void {
    this.#users--;
    this.#maybeRelease();
  }

  /** Marks the model replaced: released now if unused, else when its last lease returns. */
  retire(): void {
    this.#retired = true;
    this.#maybeRelease();
  }

  /** Resolves once the session is released (retired and unused). */
  get released(): Promise<void> | null {
    return this.#released;
  }

  #maybeRelease(): void {
    if (this.#retired && this.#users === 0 && this.#released === null) {
      this.#engine?.close();
      this.#released = this.batcher.release().catch((e) => {
        console.error(`aqlab serve: cannot release model ${this.model.version}:`, e);
      });
    }
  }
}

export class ModelSlot {
  #current: Served | null = null;
  readonly #names: readonly string[];
  readonly #onChange: (m: LoadedModel | null) => void;
  readonly #onRun: ((rows: number) => void) | undefined;

  constructor(
    names: readonly string[],
    onChange: (m: LoadedModel | null) => void,
    onRun?: (rows: number) => void,
  ) {
    this.#names = names;
    this.#onChange = onChange;
    this.#onRun = onRun;
  }

  get current(): Served | null {
    return this.#current;
  }

  get model(): LoadedModel | null {
    return this.#current?.model ?? null;
  }

  /** Serves `m` from now on; the model before it is released when its requests are done. */
  set(m: LoadedModel | null): void {
    const old = this.#current;
    if (old?.model === m) return;
    this.#current = m ? new Served(m, this.#names, this.#onRun) : null;
    old?.retire();
    this.#onChange(m);
  }
}
