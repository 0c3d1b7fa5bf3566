/**
 * The one place that sets up onnxruntime-web, shared by the pipeline (Deno), the endpoint
 * (Deno, Deno Deploy) and the report site (browser): no Deno or Node API here.
 *
 * onnxruntime-web keeps its settings in a global `ort.env` that is read once, when the
 * first session starts its wasm backend: the options of the first `createSession` call in
 * a process (or page) win. In Deno the package finds its wasm next to its own module in
 * node_modules; a browser page passes `wasmPaths` (a URL prefix of the self-hosted copies).
 */
import * as ort from "onnxruntime-web";
import type { FeatureMatrix } from "../data/matrix.ts";
import { readMetadataProps } from "./_metadata.ts";

export interface SessionOptions {
  /** URL prefix where `ort-wasm-*.wasm` / `.mjs` live (browser). Default: next to the module. */
  wasmPaths?: string;
  /**
   * wasm threads. Default 1: tree ensembles are cheap per row, and threads need workers
   * (Deno) or a cross-origin-isolated page (browser).
   */
  numThreads?: number;
}

export interface OnnxScorer {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The model's metadata_props (empty when it has none). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Feature names from metadata_props "feature_names" when the exporter wrote them. */
  readonly featureNames: readonly string[] | undefined;
  /** One prediction per row of `X` (the first output, which must hold one value per row). */
  run(X: FeatureMatrix): Promise<Float32Array>;
  release(): Promise<void>;
}

let configured = false;

function configure(options: SessionOptions): void {
  if (configured) return;
  configured = true;
  ort.env.wasm.numThreads = options.numThreads ?? 1;
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
}

function parseFeatureNames(meta: Record<string, string>): string[] | undefined {
  const raw = meta["feature_names"];
  if (raw === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) && v.every((s) => typeof s === "string") ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Starts an inference session on the bytes of a `.onnx` file. */
export async function createSession(
  bytes: Uint8Array,
  options: SessionOptions = {},
): Promise<OnnxScorer> {
  configure(options);
  let session: ort.InferenceSession;
  // onnxruntime-web's Node path replaces globalThis.Worker with a worker_threads shim, which
  // breaks every later Web Worker in the process (the learner's): put the original back.
  const worker = globalThis.Worker;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
  } catch (e) {
    throw new TypeError(
      `Cannot read ONNX model: onnxruntime rejected it (${e instanceof Error ? e.message : e})`,
    );
  } finally {
    if (globalThis.Worker !== worker) globalThis.Worker = worker;
  }
  let metadata: Record<string, string> = {};
  try {
    metadata = readMetadataProps(bytes);
  } catch {
    // onnxruntime accepted the bytes, so this is our reader's limit; scoring still works.
  }
  const featureNames = parseFeatureNames(metadata);
  const inputName = session.inputNames[0]!, outputName = session.outputNames[0]!;
  // One run at a time per session: concurrent requests on the endpoint queue here.
  let tail: Promise<unknown> = Promise.resolve();

  async function runOnce(X: FeatureMatrix): Promise<Float32Array> {
    const n = X.nRows * X.nCols;
    if (X.data.length < n) {
      throw new RangeError(
        `Cannot score: the matrix says ${X.nRows} x ${X.nCols} but holds ${X.data.length} values`,
      );
    }
    if (featureNames) {
      if (X.nCols !== featureNames.length) {
        throw new RangeError(
          `Cannot score: the model expects ${featureNames.length} features, the matrix has ${X.nCols}`,
        );
      }
      if (X.names.length === X.nCols) {
        const j = featureNames.findIndex((name, k) => name !== X.names[k]);
        if (j >= 0) {
          throw new RangeError(
            `Cannot score: feature ${j} is "${X.names[j]}", the model expects "${featureNames[j]}"`,
          );
        }
      }
    }
    if (X.nRows === 0) return new Float32Array(0);
    const data = X.data.length === n ? X.data : X.data.subarray(0, n);
    const input = new ort.Tensor("float32", data, [X.nRows, X.nCols]);
    const result = await session.run({ [inputName]: input });
    const out = result[outputName]!;
    const values = out.data;
    if (values.length !== X.nRows || typeof values[0] !== "number") {
      throw new RangeError(
        `Cannot score: output "${outputName}" has ${values.length} ${out.type} values for ${X.nRows} rows, expected one number per row`,
      );
    }
    return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  }

  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    metadata,
    featureNames,
    run(X: FeatureMatrix): Promise<Float32Array> {
      const p = tail.then(() => runOnce(X));
      tail = p.catch(() => undefined);
      return p;
    },
    release: () => session.release(),
  };
}
