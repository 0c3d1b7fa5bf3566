import assert from "node:assert/strict";
import { createSession } from "../../src/onnx/session.ts";
import { exportTreeEnsemble } from "../../src/onnx/export.ts";
import { train } from "../../src/gbdt/boost.ts";

Deno.test("createSession() leaves Web Workers usable: the learner trains with 2 threads afterwards", async () => {
  const worker = globalThis.Worker;
  const stump = {
    baseScore: 1,
    featureNames: ["a"],
    trees: [{
      feature: new Int32Array([-1]),
      threshold: new Float32Array([0]),
      left: new Int32Array([-1]),
      right: new Int32Array([-1]),
      defaultLeft: new Uint8Array([0]),
      value: new Float32Array([1]),
      cover: new Float64Array([1]),
      gain: new Float64Array([0]),
    }],
  };
  const s = await createSession(exportTreeEnsemble(stump));
  assert.equal(
    globalThis.Worker,
    worker,
    "globalThis.Worker is the runtime's own after a session starts",
  );
  const n = 5000, X = new Float32Array(n * 2), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    X[2 * i] = Math.sin(i);
    X[2 * i + 1] = i % 7;
    y[i] = 3 * X[2 * i]! + X[2 * i + 1]!;
  }
  const r = await train({ data: X, nRows: n, nCols: 2, names: ["a", "b"] }, y, { nEstimators: 5 }, {
    threads: 2,
  });
  assert.equal(r.model.trees.length, 5);
  await s.release();
});
