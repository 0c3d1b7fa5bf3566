/** The Explanations page: every JSON and Parquet artifact of the explain stage. */
import { exists, Out, repo } from "./_artifacts.ts";

const out = new Out();
const dir = "reports/explain";
const found: Record<string, unknown> = {};
if (await exists(dir)) {
  for await (const e of Deno.readDir(repo(dir))) {
    if (!e.isFile) continue;
    const stem = e.name.replace(/\.(json|parquet)$/, "");
    if (e.name.endsWith(".json")) found[stem] = await out.json(`${dir}/${e.name}`);
    else if (e.name.endsWith(".parquet")) {
      found[stem] = await out.parquet(`${dir}/${e.name}`, "SELECT * FROM t LIMIT 3000");
    }
  }
} else out.missing.push(`${dir}/`);
out.data.files = found;
await out.emit();
