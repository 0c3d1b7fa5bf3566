import type { Globals } from "../src/pipeline/stage.ts";

/** The raw data folder of this configuration: `--data`, else the synthetic or user default. */
export function rawDataDir(g: Pick<Globals, "source" | "data_dir">): string {
  if (g.data_dir) return g.data_dir;
  return g.source === "synth" ? "data/raw/synth" : "data/raw";
}
