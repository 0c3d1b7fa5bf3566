/**
 * ONNX Runtime (wasm, one thread) against our own `predict()` on a GBDT-sized model:
 * 500 trees of depth 8 over the standard task's 22 features, 77k rows (about the size of a
 * station-year test split). Figures: batch throughput (rows/s) and the median latency of a
 * single-row call, as the endpoint and the what-if page make them.
 *
 * Run: deno run -A bench/onnx.ts
 */
import { exportTreeEnsemble } from "../src/onnx/export.ts";
import { importOnnx } from "../src/onnx/import.ts";
import { createSession } from "../src/onnx/session.ts";
import { predict, predictRow } from "../src/gbdt/predict.ts";
import { FEATURES } from "../src/features/schema.ts";
import { randomEnsemble, randomMatrix } from "../tests/onnx/_random_ensemble.ts";

const N_TREES = 500, DEPTH = 8, N_ROWS = 77_000, SINGLE_CALLS = 2_000;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<Record<string, unknown>> {
  const names = FEATURES.map((f) => f.name);
  const model = { ...randomEnsemble(2024, N_TREES, names.length, { maxDepth: DEPTH, full: true }) };
  model.featureNames = names;
  const X = randomMatrix(7, N_ROWS, names, 0.05);

  let t = performance.now();
  const bytes = exportTreeEnsemble(model, { bench: "onnx" });
  const exportMs = performance.now() - t;
  t = performance.now();
  importOnnx(bytes);
  const importMs = performance.now() - t;
  t = performance.now();
  const scorer = await createSession(bytes);
  const sessionMs = performance.now() - t;

  // Warm-up, then the best of 3 batch runs for each.
  await scorer.run({ ...X, nRows: 1000, data: X.data.subarray(0, 1000 * X.nCols) });
  predict(model, { ...X, nRows: 1000, data: X.data.subarray(0, 1000 * X.nCols) });
  const ortBatch: number[] = [], jsBatch: number[] = [];
  let yOrt: Float32Array = new Float32Array(0), yJs: Float64Array = new Float64Array(0);
  for (let k = 0; k < 3; k++) {
    t = performance.now();
    yOrt = await scorer.run(X);
    ortBatch.push(performance.now() - t);
    t = performance.now();
    yJs = predict(model, X);
    jsBatch.push(performance.now() - t);
  }
  let maxRel = 0;
  for (let i = 0; i < N_ROWS; i++) {
    maxRel = Math.max(maxRel, Math.abs(yOrt[i]! - yJs[i]!) / Math.max(1, Math.abs(yJs[i]!)));
  }

  const ortSingle: number[] = [], jsSingle: number[] = [];
  for (let k = 0; k < SINGLE_CALLS; k++) {
    const i = (k * 37) % N_ROWS;
    const row = {
      data: X.data.subarray(i * X.nCols, (i + 1) * X.nCols),
      nRows: 1,
      nCols: X.nCols,
      names,
    };
    t = performance.now();
    await scorer.run(row);
    ortSingle.push(performance.now() - t);
    t = performance.now();
    predictRow(model, row.data);
    jsSingle.push(performance.now() - t);
  }
  await scorer.release();

  const ortMs = Math.min(...ortBatch), jsMs = Math.min(...jsBatch);
  return {
    model: `${N_TREES} trees, depth ${DEPTH}, ${names.length} features`,
    rows: N_ROWS,
    onnxBytes: bytes.length,
    exportMs: Math.round(exportMs),
    importMs: Math.round(importMs),
    sessionCreateMs: Math.round(sessionMs),
    ortBatchMs: Math.round(ortMs),
    jsBatchMs: Math.round(jsMs),
    ortRowsPerSec: Math.round(N_ROWS / (ortMs / 1000)),
    jsRowsPerSec: Math.round(N_ROWS / (jsMs / 1000)),
    ortSingleRowMedianUs: Math.round(median(ortSingle) * 1000),
    jsSingleRowMedianUs: Math.round(median(jsSingle) * 1000),
    maxRelDiff: maxRel,
  };
}

if (import.meta.main) {
  const r = await run();
  console.log(`ONNX Runtime (wasm, 1 thread) vs predict(): ${r.model}, ${r.rows} rows`);
  console.table({
    "batch ms": { onnxruntime: r.ortBatchMs, "predict()": r.jsBatchMs },
    "rows/s": { onnxruntime: r.ortRowsPerSec, "predict()": r.jsRowsPerSec },
    "single row median µs": {
      onnxruntime: r.ortSingleRowMedianUs,
      "predict()": r.jsSingleRowMedianUs,
    },
  });
  console.log(
    `model ${
      (Number(r.onnxBytes) / 1e6).toFixed(1)
    } MB; export ${r.exportMs} ms, import ${r.importMs} ms, session ${r.sessionCreateMs} ms; max relative difference ${r.maxRelDiff}`,
  );
}
