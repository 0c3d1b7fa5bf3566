/**
 * The cache follows the code a stage runs: a toy project with its stages in files (each
 * importing library modules, one of them two levels deep) is run in a child process, as
 * `deno task pipeline` would; an edit deep in one stage's module graph re-runs that stage
 * and the stages after it, an edit of a file no stage imports re-runs nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const RUNNER = new URL("../../src/pipeline/runner.ts", import.meta.url).href;
const CONFIG = new URL("../../src/pipeline/config.ts", import.meta.url).href;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

const stage = (name: string, after: string[], imports: string, body: string) =>
  `${imports}
export default {
  name: "${name}",
  description: "toy stage ${name}",
  after: ${JSON.stringify(after)},
  params: {},
  inputs: () => ${JSON.stringify(after.map((a) => `out/${a}.txt`))},
  outputs: () => ["out/${name}.txt"],
  module: import.meta.url,
  async run(ctx) {
    const input = ${
    after.length ? `await Deno.readTextFile(ctx.path("out/${after[0]}.txt"))` : `""`
  };
    await Deno.writeTextFile(ctx.out("out/${name}.txt"), ${body});
  },
};
`;

const FILES: Record<string, string> = {
  "stages/a.ts": stage("a", [], `import { greeting } from "../lib/text.ts";`, "greeting()"),
  "stages/b.ts": stage("b", ["a"], `import { shout } from "../lib/shout.ts";`, "shout(input)"),
  "stages/c.ts": stage("c", [], `import { other } from "../lib/other.ts";`, "other()"),
  "lib/text.ts": `import { word } from "./deep/word.ts";\nexport const greeting = () => word;\n`,
  "lib/deep/word.ts": `export const word = "hello";\n`,
  "lib/shout.ts": `export const shout = (s: string) => s.toUpperCase();\n`,
  "lib/other.ts": `export const other = () => "other";\n`,
  "lib/unrelated.ts": `export const unrelated = 1;\n`,
  "main.ts": `import { runPipeline } from "${RUNNER}";
import { resolveStageParams } from "${CONFIG}";
import a from "./stages/a.ts";
import b from "./stages/b.ts";
import c from "./stages/c.ts";
const stages = [a, b, c];
const { record } = await runPipeline(stages, {
  root: Deno.cwd(),
  params: resolveStageParams(stages, null, []),
  log: () => {},
});
console.log(JSON.stringify(record.stages.filter((s) => s.status === "ran").map((s) => s.name).sort()));
`,
};

async function runToy(root: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", DENO_JSON, "main.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

async function edit(root: string, file: string, from: string, to: string) {
  const path = join(root, file);
  const text = await Deno.readTextFile(path);
  assert.ok(text.includes(from), `${file} contains ${from}`);
  await Deno.writeTextFile(path, text.replace(from, to));
}

Deno.test({
  name:
    "an edit deep in a stage's module graph re-runs it and what follows; an unrelated edit re-runs nothing",
  sanitizeResources: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "aqlab-code-cache-" });
    try {
      for (const [f, text] of Object.entries(FILES)) {
        await Deno.mkdir(join(root, f, ".."), { recursive: true });
        await Deno.writeTextFile(join(root, f), text);
      }
      assert.deepEqual(await runToy(root), ["a", "b", "c"], "first run: everything");
      assert.deepEqual(await runToy(root), [], "second run: nothing changed");

      // Two imports below stage a: a re-runs (its code changed), b re-runs (its input did).
      await edit(root, "lib/deep/word.ts", `"hello"`, `"bonjour"`);
      assert.deepEqual(await runToy(root), ["a", "b"]);
      assert.equal(await Deno.readTextFile(join(root, "out/b.txt")), "BONJOUR");

      // A file no stage imports.
      await edit(root, "lib/unrelated.ts", "1", "2");
      assert.deepEqual(await runToy(root), []);

      // Code only stage b runs: b alone, though its input is unchanged.
      await edit(root, "lib/shout.ts", "toUpperCase()", "toUpperCase() + '!'");
      assert.deepEqual(await runToy(root), ["b"]);
      assert.equal(await Deno.readTextFile(join(root, "out/b.txt")), "BONJOUR!");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
