/** The Overview page: data reports, the lock file (stages, hashes), recent runs, model. */
import { modelPackage, Out, repo } from "./_artifacts.ts";
import { configuredModelName } from "../../src/registry/model_name.ts";
import { SKILL_DEFINITION } from "../../src/metrics/regression.ts";

const out = new Out();
out.data.ingest = await out.json("reports/data/ingest.json");
out.data.quality = await out.json("reports/data/quality.json");
out.data.split = await out.json("reports/data/split.json");
out.data.lock = await out.json("aqlab.lock");
out.data.summary = await out.json("reports/evaluation/summary.json");
out.data.registry = await out.json("models/registry.json");
out.data.runs = await out.parquet(
  "reports/runs/runs.parquet",
  "SELECT run_id, started, seconds, status, stages_ran, stages_json FROM t ORDER BY started DESC LIMIT 20",
);
out.data.model = await modelPackage();
out.data.model_name = await configuredModelName(repo("params.yaml"));
out.data.skill_definition = SKILL_DEFINITION;
// The stage graph for the DAG; a stage file mid-edit elsewhere must not break the site.
try {
  const { STAGES } = await import("../../pipeline/stages.ts");
  out.data.dag = STAGES.map((s) => ({ name: s.name, after: s.after, description: s.description }));
} catch (e) {
  out.data.dag = null;
  out.data.dag_error = String(e).slice(0, 300);
}
await out.emit();
