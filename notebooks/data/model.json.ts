/**
 * Which model the site scores with, its metadata (interval, schema), the feature schema,
 * the split, and the persistence baseline's parameters (the reference of the skill score).
 */
import { modelPackage, Out } from "./_artifacts.ts";
import { candidateDir, SCHEMA_PATH, SPLIT_REPORT } from "../../src/pipeline/catalog.ts";

const out = new Out();
const pkg = await modelPackage();
if (pkg === null) out.missing.push("models/registry/pm25/v<N>/model.onnx");
out.data.package = pkg;
out.data.metadata = pkg && await out.json(`${pkg.path}/metadata.json`);
out.data.schema = await out.json(SCHEMA_PATH);
out.data.split = await out.json(SPLIT_REPORT);
// Absent when the study brings a pretrained model (no baselines are trained then).
const persistence = await out.json<{ params?: unknown }>(
  `${candidateDir("persistence")}/metadata.json`,
);
out.data.persistence = persistence?.params ?? null;
await out.emit();
