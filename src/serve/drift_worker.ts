/**
 * The endpoint's drift worker (drift_judge.ts): it indexes the model's reference once, then
 * answers each current sample with the one drift verdict, off the serving thread.
 */
import { driftVerdict } from "../drift/mod.ts";
import { type FromDriftWorker, prepare, type ToDriftWorker } from "./drift_judge.ts";

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<ToDriftWorker>) => void) | null;
  postMessage: (m: FromDriftWorker) => void;
  WorkerGlobalScope?: unknown;
};
let prepared: ReturnType<typeof prepare> | null = null;

function onMessage(e: MessageEvent<ToDriftWorker>): void {
  const m = e.data;
  if (m.kind === "model") {
    prepared = prepare(m.model);
    return;
  }
  try {
    if (prepared === null) throw new Error("Cannot judge drift: no model received");
    scope.postMessage({
      id: m.id,
      ok: true,
      verdict: driftVerdict(prepared.index, m.sample, prepared.options),
    });
  } catch (err) {
    scope.postMessage({ id: m.id, ok: false, error: (err as Error).message });
  }
}

// Only in a worker: importing this module elsewhere must not install a handler.
if (typeof scope.WorkerGlobalScope !== "undefined") scope.onmessage = onMessage;
