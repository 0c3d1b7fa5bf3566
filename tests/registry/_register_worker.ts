/** One registration in its own process (concurrency test): args ROOT PACKAGE_DIR. */
import { registerVersion } from "../../src/registry/register.ts";
import type { ModelMetadata } from "../../src/registry/package.ts";
import { RULE } from "./_package.ts";

const [root, pkg] = Deno.args as [string, string];
const meta = JSON.parse(await Deno.readTextFile(`${pkg}/metadata.json`)) as ModelMetadata;
const r = await registerVersion(root, {
  model: "pm25",
  packageDir: pkg,
  metadata: meta,
  rule: RULE,
});
console.log(JSON.stringify({ version: r.version }));
