/** Which model the site scores with, its metadata (interval, schema) and the feature schema. */
import { modelPackage, Out } from "./_artifacts.ts";

const out = new Out();
const pkg = await modelPackage();
if (pkg === null) out.missing.push("models/registry/pm25/v<N>/model.onnx");
out.data.package = pkg;
out.data.metadata = pkg && await out.json(`${pkg.path}/metadata.json`);
out.data.schema = await out.json("data/processed/features.schema.json");
out.data.split = await out.json("reports/data/split.json");
await out.emit();
