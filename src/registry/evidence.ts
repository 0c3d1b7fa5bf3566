/**
 * The evidence a registration rests on: a candidate's test metrics, overall and per station,
 * as the evaluate stage measured them (ORT scores of the package's own model.onnx).
 * @module
 */
import { all, lit, openDuck } from "../data/duck.ts";
import type { EvaluationSummary } from "../metrics/evaluation_summary.ts";
import type { RegressionMetrics } from "../metrics/regression.ts";

export interface TestEvidence {
  test: RegressionMetrics;
  byStation: Record<string, RegressionMetrics>;
}

/**
 * Test metrics of `candidate` from evaluate's summary (`summaryPath`) and its per-station
 * long table (`byStationPath`); `names` are the paths to quote in messages.
 */
export async function testEvidence(
  candidate: string,
  summaryPath: string,
  byStationPath: string,
  names: { summary: string } = { summary: summaryPath },
): Promise<TestEvidence> {
  const summary = JSON.parse(await Deno.readTextFile(summaryPath)) as EvaluationSummary;
  const test = summary.candidates[candidate]?.test;
  if (!test) {
    throw new Error(
      `Cannot register "${candidate}": ${names.summary} has no test metrics for it (candidates: ${
        Object.keys(summary.candidates).join(", ")
      })`,
    );
  }
  return { test, byStation: await stationMetrics(byStationPath, candidate) };
}

/** Test metrics per station of one candidate from evaluate's long table. */
async function stationMetrics(
  path: string,
  candidate: string,
): Promise<Record<string, RegressionMetrics>> {
  const c = await openDuck();
  try {
    const rows = await all<Record<string, number | string | null>>(
      c,
      `SELECT "group" AS station, n, rmse, mae, r2, mape, bias, skill FROM read_parquet(${
        lit(path)
      }) WHERE candidate = ${lit(candidate)} ORDER BY station`,
    );
    const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));
    return Object.fromEntries(rows.map((r) => [String(r.station), {
      n: num(r.n),
      rmse: num(r.rmse),
      mae: num(r.mae),
      r2: num(r.r2),
      mape: num(r.mape),
      bias: num(r.bias),
      skill: r.skill === null ? null : num(r.skill),
    }]));
  } finally {
    c.closeSync();
  }
}
