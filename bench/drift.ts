/**
 * Benchmark of the drift report: 20 numeric features, 300,000 reference x 100,000 current
 * rows (KS is asymptotic at these sizes), half of the features shifted. Each column is
 * sorted once and the sort reused for KS, Wasserstein and PSI. Median of 5 runs.
 * Side by side: scipy 1.10 `ks_2samp` + `wasserstein_distance` on numpy data of the same
 * sizes (same machine, same moment), when /usr/bin/python3 can import scipy.
 *
 * Run: deno run -A bench/drift.ts [--no-scipy]
 */
import { type Columns, driftReport } from "../src/drift/report.ts";

const N_FEATURES = 20;
const N_REF = 300_000;
const N_CUR = 100_000;
const RUNS = 5;
const PYTHON = "/usr/bin/python3";

function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

function makeColumns(n: number, seed: number, shifted: boolean): Columns {
  const cols: Columns = {};
  for (let f = 0; f < N_FEATURES; f++) {
    const g = gaussian(seed * 1000 + f);
    const shift = shifted && f % 2 === 1 ? 0.05 * f : 0;
    cols[`f${f}`] = Float32Array.from({ length: n }, () => 10 + 3 * (g() + shift));
  }
  return cols;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function scipyTimes(): Promise<{ medianMs: number; runsMs: number[] } | string> {
  const script = `
import time, json, numpy as np
from scipy import stats
rng = np.random.default_rng(0)
ref = [rng.normal(10, 3, ${N_REF}).astype(np.float32) for _ in range(${N_FEATURES})]
cur = [rng.normal(10 + 0.15 * (f % 2) * f, 3, ${N_CUR}).astype(np.float32) for f in range(${N_FEATURES})]
runs = []
for _ in range(${RUNS}):
    t = time.perf_counter()
    for a, b in zip(ref, cur):
        stats.ks_2samp(a, b)
        stats.wasserstein_distance(a, b)
    runs.append((time.perf_counter() - t) * 1000)
print(json.dumps(runs))
`;
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", script],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (!out.success) {
      return `scipy not run: ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`;
    }
    const runsMs = JSON.parse(new TextDecoder().decode(out.stdout)) as number[];
    return { medianMs: median(runsMs), runsMs };
  } catch (e) {
    return `scipy not run: ${(e as Error).message}`;
  }
}

/** Run the benchmark and return its figures. */
export async function run(options: { scipy?: boolean } = {}): Promise<Record<string, unknown>> {
  const reference = makeColumns(N_REF, 1, false);
  const current = makeColumns(N_CUR, 2, true);
  // Reference > 1000 rows: normed Wasserstein decides; KS (asymptotic) and PSI are the
  // supplementary scores computed from the same sorted columns.
  const runsMs: number[] = [];
  let report = driftReport(reference, current);
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    report = driftReport(reference, current);
    runsMs.push(performance.now() - t);
  }
  const scipy = options.scipy === false ? "scipy not run: --no-scipy" : await scipyTimes();
  return {
    features: N_FEATURES,
    referenceRows: N_REF,
    currentRows: N_CUR,
    ours: {
      medianMs: median(runsMs),
      runsMs,
      computes: "sort + KS (asymptotic p) + Wasserstein + normed Wasserstein + PSI per feature",
    },
    scipy: typeof scipy === "string" ? scipy : {
      ...scipy,
      computes: "ks_2samp + wasserstein_distance per feature",
    },
    drifted: report.nDrifted,
    ksMethods: [...new Set(report.features.map((f) => f.scores?.ksMethod))],
  };
}

if (import.meta.main) {
  const figures = await run({ scipy: !Deno.args.includes("--no-scipy") });
  const ours = figures.ours as { medianMs: number };
  const scipy = figures.scipy as { medianMs: number } | string;
  console.log(
    `drift report: ${N_FEATURES} numeric features, ${N_REF} x ${N_CUR} rows, median of ${RUNS}`,
  );
  console.log("| implementation | computes | median ms |");
  console.log("| --- | --- | ---: |");
  console.log(
    `| aqlab driftReport | KS + Wasserstein + normed W + PSI | ${ours.medianMs.toFixed(0)} |`,
  );
  if (typeof scipy === "string") console.log(`| scipy 1.10 | ${scipy} | - |`);
  else {console.log(
      `| scipy 1.10 | ks_2samp + wasserstein_distance | ${scipy.medianMs.toFixed(0)} |`,
    );}
  console.log(`drifted features: ${figures.drifted}; KS method: ${figures.ksMethods}`);
  console.log(`goal < 2000 ms: ${ours.medianMs < 2000 ? "met" : "NOT met"}`);
}
