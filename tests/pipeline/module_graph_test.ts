import assert from "node:assert/strict";
import { join } from "node:path";
import { moduleGraph, packageName, specifiersOf } from "../../src/pipeline/module_graph.ts";

Deno.test("specifiersOf() finds static, re-exported, dynamic and URL-located modules", () => {
  const text = `import { a } from "./a.ts";
import type {
  B,
} from '../b.ts';
export { c } from "./c.ts";
import "./side.ts";
const d = await import("./d.ts");
const w = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
import { parse } from "yaml";`;
  assert.deepEqual(specifiersOf(text).sort(), [
    "../b.ts",
    "./a.ts",
    "./c.ts",
    "./d.ts",
    "./side.ts",
    "./worker.ts",
    "yaml",
  ]);
});

Deno.test("packageName() strips subpaths, npm: prefixes and versions, keeps scopes", () => {
  assert.equal(packageName("@duckdb/node-api"), "@duckdb/node-api");
  assert.equal(packageName("onnxruntime-web/wasm"), "onnxruntime-web");
  assert.equal(packageName("npm:yaml@2.9.1"), "yaml");
  assert.equal(packageName("npm:@scope/pkg@1.0.0/sub"), "@scope/pkg");
});

Deno.test("moduleGraph() follows imports deep, through workers, and records package versions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-graph-" });
  try {
    await Deno.mkdir(join(dir, "lib", "deep"), { recursive: true });
    await Deno.writeTextFile(join(dir, "stage.ts"), `import { f } from "./lib/f.ts";\n`);
    await Deno.writeTextFile(
      join(dir, "lib", "f.ts"),
      `export * from "./deep/g.ts";\nnew Worker(new URL("./w.ts", import.meta.url));\n`,
    );
    await Deno.writeTextFile(join(dir, "lib", "deep", "g.ts"), `import { x } from "yaml";\n`);
    await Deno.writeTextFile(join(dir, "lib", "w.ts"), `import "node:fs";\n`);
    await Deno.writeTextFile(join(dir, "unrelated.ts"), `export const u = 1;\n`);
    const g = await moduleGraph(join(dir, "stage.ts"), { yaml: "2.9.1" });
    assert.deepEqual(g.files.map((f) => f.slice(dir.length + 1)), [
      "lib/deep/g.ts",
      "lib/f.ts",
      "lib/w.ts",
      "stage.ts",
    ]);
    assert.deepEqual(g.packages, ["yaml@2.9.1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("moduleGraph() of the train stage reaches the library code it runs, workers included", async () => {
  const train = await moduleGraph(new URL("../../pipeline/train.ts", import.meta.url), {});
  const rel = train.files.map((f) => f.slice(f.indexOf("/src/") + 1));
  // load_matrix.ts was missing from the hand-written code list: the graph must find it.
  assert.ok(rel.includes("src/data/load_matrix.ts"), rel.join("\n"));
  assert.ok(rel.includes("src/gbdt/histogram_worker.ts"), "the histogram worker is code too");
});
