/**
 * How long a fixed step of work takes on this machine right now, step by step: an arithmetic
 * loop (no I/O, no allocation) and a one-row ONNX run of the served model. Their p99 over
 * the median is the scheduler's share of a tail latency: what a process waits while other
 * processes hold the cores. Run by bench/serve.ts at the servers' niceness; prints JSON.
 *
 *   deno run -A bench/_sched_probe.ts MODEL_DIR [STEPS]
 */
import { createSession } from "../src/onnx/session.ts";
import { FEATURE_NAMES } from "../src/features/schema.ts";

export interface StepTimes {
  p50ms: number;
  p99ms: number;
  maxMs: number;
}

function quantiles(t: number[]): StepTimes {
  t.sort((a, b) => a - b);
  const q = (p: number) => t[Math.min(t.length - 1, Math.floor(p * t.length))]!;
  return { p50ms: q(0.5), p99ms: q(0.99), maxMs: t.at(-1)! };
}

async function probe(modelDir: string, steps: number) {
  const session = await createSession(await Deno.readFile(`${modelDir}/model.onnx`));
  const F = FEATURE_NAMES.length;
  const X = {
    data: new Float32Array(F).map((_, j) => j),
    nRows: 1,
    nCols: F,
    names: [...FEATURE_NAMES],
  };
  for (let i = 0; i < 200; i++) await session.run(X); // JIT warm-up
  const onnx: number[] = [];
  const loop: number[] = [];
  let sink = 0;
  for (let i = 0; i < steps; i++) {
    let t0 = performance.now();
    await session.run(X);
    onnx.push(performance.now() - t0);
    t0 = performance.now();
    for (let k = 0; k < 50_000; k++) sink += Math.sqrt(k);
    loop.push(performance.now() - t0);
  }
  await session.release();
  return { steps, onnxOneRow: quantiles(onnx), arithmetic: quantiles(loop), sink: sink > 0 };
}

if (import.meta.main) {
  const [dir, steps] = Deno.args;
  if (!dir) throw new Error("usage: _sched_probe.ts MODEL_DIR [STEPS]");
  console.log(JSON.stringify(await probe(dir, Number(steps ?? 3000))));
}
