/**
 * The drift verdict off the calling thread, for the drift stage. {@link driftVerdict} is one
 * synchronous function (the endpoint, the site and the tests call it as such); on a
 * million rows it runs for tens of seconds, during which a thread that runs it gives no turn
 * to a Ctrl-C handler (the pipeline runner's: discard the staged outputs, exit). In a worker
 * the calling thread only waits, so the runner's handler runs at once and its exit ends the
 * worker too. Where Web Workers are missing it runs inline, after a turn.
 * @module
 */

import type { DriftSample } from "./sample.ts";
import { type DriftVerdict, driftVerdict, type VerdictOptions } from "./verdict.ts";

interface Job {
  reference: DriftSample;
  current: DriftSample;
  options: VerdictOptions;
}

type Reply = { ok: true; verdict: DriftVerdict } | { ok: false; error: string };

// Captured at load, before onnxruntime-web may swap globalThis.Worker (see onnx/session.ts).
const WebWorker: typeof Worker | undefined = typeof Worker === "undefined" ? undefined : Worker;

/** {@link driftVerdict} in a worker (inline where there are none): the same verdict object. */
export async function driftVerdictOffThread(
  reference: DriftSample,
  current: DriftSample,
  options: VerdictOptions,
): Promise<DriftVerdict> {
  const proto = (WebWorker as { prototype?: object } | undefined)?.prototype;
  if (!WebWorker || !proto || !("onmessage" in proto) || inWorker()) {
    await new Promise((r) => setTimeout(r, 0));
    return driftVerdict(reference, current, options);
  }
  const worker = new WebWorker(import.meta.url, { type: "module" });
  try {
    return await new Promise<DriftVerdict>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<Reply>) => {
        if (e.data.ok) resolve(e.data.verdict);
        else reject(new Error(e.data.error));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`Cannot judge drift in the worker: ${e.message}`));
      };
      worker.postMessage({ reference, current, options } satisfies Job);
    });
  } finally {
    worker.terminate();
  }
}

function inWorker(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";
}

// Only in a worker: importing this module elsewhere must not install a handler.
if (inWorker()) {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<Job>) => void) | null;
    postMessage: (m: Reply) => void;
  };
  scope.onmessage = (e) => {
    try {
      const { reference, current, options } = e.data;
      scope.postMessage({ ok: true, verdict: driftVerdict(reference, current, options) });
    } catch (err) {
      scope.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
}
