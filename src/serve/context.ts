/**
 * What the routes share, passed to them explicitly: limits, metrics, the prediction log,
 * the model slot, the drift monitor, the explain lane and the admin hooks. A `Call` is one
 * request on its way: its params, and the model it leased (returned when it is answered).
 */
import type { BodyLimits } from "./body.ts";
import type { Answer, ServeRequest } from "./exchange.ts";
import type { ServeMetrics } from "./metrics.ts";
import type { LoadedModel } from "./model.ts";
import type { ModelSlot, Served } from "./model_slot.ts";
import type { PredictionLog } from "./prediction_log.ts";
import type { DriftMonitor, RecentRows } from "./drift_snapshot.ts";
import type { ExplainLane } from "./scoring.ts";
import type { Params } from "./routes.ts";

export interface ServeLimits extends BodyLimits {
  /** Most rows in one request. */
  maxBatchRows: number;
  /** Most rows in one request with `explain=true` (SHAP costs milliseconds a row). */
  maxExplainRows: number;
  /** Time a body may take to arrive once its request started (ms). */
  bodyTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 32,
  maxArray: 5000 * 22,
  maxBatchRows: 5000,
  maxExplainRows: 100,
  bodyTimeoutMs: 30_000,
};

export interface AdminHooks {
  /** Bearer token of the admin routes; without it they do not exist. */
  token: string | undefined;
  /** Loads the model again (admin reload). */
  reload?: () => Promise<LoadedModel>;
  /**
   * Moves the production alias to `version` once its model has loaded and passed its checks,
   * and returns that model (admin promote); on failure nothing has moved.
   */
  promote?: (version: number, reason: string) => Promise<LoadedModel>;
}

export interface ServeContext {
  /** Feature names in model order. */
  readonly names: readonly string[];
  readonly limits: ServeLimits;
  readonly metrics: ServeMetrics;
  readonly log: PredictionLog | null;
  readonly slot: ModelSlot;
  readonly recent: RecentRows;
  readonly drift: DriftMonitor;
  readonly explain: ExplainLane;
  readonly admin: AdminHooks;
}

/** No model is loaded: answered 503. */
export class NotReady extends Error {
  override name = "NotReady";
}

/** One request being answered. */
export class Call {
  #lease: Served | null = null;

  constructor(
    readonly req: ServeRequest,
    readonly params: Params,
    private readonly slot: ModelSlot,
  ) {}

  /** The model being served when the request first asked, leased until it is answered. */
  served(): Served {
    if (this.#lease === null) {
      const s = this.slot.current;
      if (s === null) throw new NotReady();
      this.#lease = s.take();
    }
    return this.#lease;
  }

  model(): LoadedModel {
    return this.served().model;
  }

  /** Returns the lease (the handler calls it once the answer is ready). */
  end(): void {
    this.#lease?.give();
    this.#lease = null;
  }
}

export type RouteHandler = (ctx: ServeContext, call: Call) => Answer | Promise<Answer>;
