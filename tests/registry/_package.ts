/** Fake model packages for registry tests: the registry copies files, it never parses ONNX. */
import { join } from "node:path";
import type { RegressionMetrics } from "../../src/metrics/regression.ts";
import type { ModelMetadata } from "../../src/registry/package.ts";
import { tempDir } from "../_temp.ts";

export function metrics(rmse: number): RegressionMetrics {
  return { n: 100, rmse, mae: rmse * 0.7, r2: 0.9, mape: 20, bias: 0, skill: 0.3 };
}

export function metadata(
  rmse: number,
  byStation: Record<string, number>,
  params: Record<string, unknown> = {},
): ModelMetadata {
  return {
    name: "gbdt",
    version: null,
    kind: "gbdt",
    created: "2020-01-01T00:00:00.000Z",
    git_commit: null,
    parent_version: null,
    params,
    schema: {
      version: 1,
      target: { name: "pm25_next", unit: "µg/m³", horizonHours: 1 },
      features: [],
      stations: Object.keys(byStation),
    },
    metrics: {
      test: metrics(rmse),
      by_station: Object.fromEntries(Object.entries(byStation).map(([s, r]) => [s, metrics(r)])),
    },
    interval: null,
    lineage: { run_id: null, data_hash: null, stages: {} },
  };
}

/** A package folder whose model.onnx holds `tag` (distinct tags: distinct models). */
export async function makePackage(meta: ModelMetadata, tag: string): Promise<string> {
  const dir = await tempDir("aqlab-pkg-");
  await Deno.writeTextFile(join(dir, "model.onnx"), `fake onnx ${tag}`);
  await Deno.writeTextFile(join(dir, "model.json"), "{}");
  await Deno.writeTextFile(join(dir, "metadata.json"), JSON.stringify(meta));
  await Deno.writeTextFile(join(dir, "reference.json"), "{}");
  return dir;
}

export const RULE = { minImprovementPct: 1, maxStationDegradationPct: 5 };
