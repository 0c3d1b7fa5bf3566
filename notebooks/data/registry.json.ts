/** The Registry page: the index (versions, aliases, history) and each version's metadata. */
import { exists, Out, repo } from "./_artifacts.ts";

const out = new Out();
const index = await out.json<
  { models?: Record<string, { versions?: { version: number; path: string }[] }> }
>("models/registry.json");
out.data.index = index;
const metadata: Record<string, unknown> = {};
for (const [name, m] of Object.entries(index?.models ?? {})) {
  for (const v of m.versions ?? []) {
    const p = `${v.path}/metadata.json`;
    if (await exists(p)) {
      const meta = JSON.parse(await Deno.readTextFile(repo(p)));
      delete meta.schema; // the schema is on the Data page; keep this file small
      metadata[`${name}/v${v.version}`] = meta;
    }
  }
}
out.data.metadata = metadata;
await out.emit();
