/**
 * No import cycle among the project's own modules. The graph comes from `deno info --json`
 * (Deno's own resolver, type-only imports included) over every entry point: the pipeline,
 * the registry CLI, the endpoint, the site's data loaders and browser bundles, the
 * benchmarks, and every module of src/ and pipeline/ (so a file no entry reaches yet is
 * checked too).
 */
import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join, relative } from "node:path";
import { stronglyConnected } from "../../src/pipeline/module_graph.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function tsFiles(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    const p = join(dir, e.name);
    if (e.isDirectory && recursive) out.push(...await tsFiles(p, true));
    else if (e.isFile && /\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

/** Local module -> local modules it imports (code or type), from `deno info --json`. */
async function projectGraph(entries: string[]): Promise<Map<string, string[]>> {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-cycles-" });
  try {
    const entry = join(dir, "entry.ts");
    await Deno.writeTextFile(
      entry,
      entries.map((f) => `import "${pathToFileURL(join(ROOT, f)).href}";\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", join(ROOT, "deno.json"), entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const local = pathToFileURL(ROOT).href;
    const graph = new Map<string, string[]>();
    for (const m of info.modules) {
      if (!m.specifier.startsWith(local)) continue;
      const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier])
        .filter((s): s is string => !!s && s.startsWith(local));
      graph.set(relative(ROOT, fileURLToPath(m.specifier)), [
        ...new Set(deps.map((s) => relative(ROOT, fileURLToPath(s)))),
      ]);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("stronglyConnected() finds cycles, self-imports included, and nothing in a DAG", () => {
  const dag = new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]]);
  assert.deepEqual(stronglyConnected(dag), []);
  const cyclic = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a", "d"]], ["d", ["d"]], [
    "e",
    ["a"],
  ]]);
  assert.deepEqual(stronglyConnected(cyclic), [["a", "b", "c"], ["d"]]);
});

Deno.test({
  name: "no import cycle among the modules of pipeline/, src/, the site's loaders and bench/",
  sanitizeResources: false,
  async fn() {
    const entries = [
      ...await tsFiles("pipeline", false),
      ...await tsFiles("src", true),
      ...await tsFiles("notebooks/data", false),
      ...await tsFiles("notebooks/lib", false),
      ...await tsFiles("bench", false),
    ].sort();
    for (const e of ["pipeline/main.ts", "src/serve/main.ts", "bench/main.ts"]) {
      assert.ok(entries.includes(e), `entry point ${e} is checked`);
    }
    const graph = await projectGraph(entries);
    assert.ok(graph.size >= entries.length, `deno info saw ${graph.size} local modules`);
    const cycles = stronglyConnected(graph);
    assert.deepEqual(
      cycles,
      [],
      `import cycles (each a set of modules that import each other):\n${
        cycles.map((c) => "  " + c.join(" <-> ")).join("\n")
      }`,
    );
  },
});
