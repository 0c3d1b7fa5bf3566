/**
 * Where the endpoint's drift verdict is computed: in a worker that indexes the model's
 * reference once and judges each current sample (a verdict on 5,000 rows takes 50 to 400 ms,
 * which must not stall the requests around it), or, where there are no Web Workers, on the
 * serving thread after a turn for I/O. Both run the one verdict of src/drift.
 */
import type { DriftReference } from "../registry/package.ts";
import type { FeatureSchema } from "../features/schema.ts";
import {
  driftRoles,
  type DriftSample,
  type DriftVerdict,
  driftVerdict,
  indexReference,
  type ReferenceIndex,
  sampleOfReference,
  type VerdictOptions,
} from "../drift/mod.ts";
import { yieldToIo } from "./turn.ts";

/** What a judge needs of a model: its reference, its features, its target. */
export interface JudgeModel {
  reference: DriftReference;
  features: FeatureSchema["features"];
  names: readonly string[];
  target: string;
}

export type ToDriftWorker =
  | { kind: "model"; model: JudgeModel }
  | { kind: "judge"; id: number; sample: DriftSample };

export type FromDriftWorker =
  | { id: number; ok: true; verdict: DriftVerdict }
  | { id: number; ok: false; error: string };

export interface DriftJudge {
  judge(sample: DriftSample): Promise<DriftVerdict>;
  close(): void;
}

/** The verdict's options and reference index of a model (the drift stage's defaults). */
export function prepare(model: JudgeModel): { index: ReferenceIndex; options: VerdictOptions } {
  const roles = driftRoles(model.features);
  // kinds, skip, and the consistency checks (cross-station, bounds) as the drift stage has them.
  const options: VerdictOptions = { features: model.names, ...roles };
  const index = indexReference(
    sampleOfReference(model.reference, model.names, model.target),
    options,
  );
  return { index, options };
}

/** On the serving thread: indexed on first use, each verdict after a turn for I/O. */
export function inlineJudge(model: JudgeModel): DriftJudge {
  let prepared: ReturnType<typeof prepare> | null = null;
  return {
    async judge(sample) {
      await yieldToIo();
      prepared ??= prepare(model);
      await yieldToIo();
      return driftVerdict(prepared.index, sample, prepared.options);
    },
    close() {},
  };
}

// Captured before onnxruntime-web may swap globalThis.Worker (see scoring.ts).
const WebWorker: typeof Worker | undefined = typeof Worker === "undefined" ? undefined : Worker;

/** In a worker; the inline judge where Web Workers are missing or the worker fails. */
export function workerJudge(model: JudgeModel): DriftJudge {
  const fallback = inlineJudge(model);
  const proto = (WebWorker as { prototype?: object } | undefined)?.prototype;
  if (!WebWorker || !proto || !("onmessage" in proto)) return fallback;
  let worker: Worker;
  try {
    worker = new WebWorker(new URL("./drift_worker.ts", import.meta.url), { type: "module" });
  } catch {
    return fallback;
  }
  const pending = new Map<
    number,
    { resolve: (v: DriftVerdict) => void; reject: (e: Error) => void }
  >();
  let next = 0;
  let broken = false;
  worker.onmessage = (e: MessageEvent<FromDriftWorker>) => {
    const r = e.data;
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (r.ok) p?.resolve(r.verdict);
    else p?.reject(new Error(r.error));
  };
  worker.onerror = (e) => {
    e.preventDefault();
    broken = true;
    const err = new Error(`Cannot judge drift in the worker: ${e.message}`);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    worker.terminate();
  };
  worker.postMessage({ kind: "model", model } satisfies ToDriftWorker);
  return {
    judge(sample) {
      if (broken) return fallback.judge(sample);
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ kind: "judge", id, sample } satisfies ToDriftWorker);
      });
    },
    close() {
      worker.terminate();
      for (const p of pending.values()) p.reject(new Error("Cannot judge drift: stopped"));
      pending.clear();
    },
  };
}
