import assert from "node:assert/strict";
import { resolveStageParams } from "../../src/pipeline/config.ts";
import { str } from "../../src/pipeline/params.ts";
import { runPipeline } from "../../src/pipeline/runner.ts";
import { acquireRunLock, RunLockedError } from "../../src/pipeline/run_lock.ts";
import { readRuns } from "../../src/pipeline/runs.ts";
import { log, toyStages } from "./_toy.ts";
import { tempDir } from "../_temp.ts";

async function run(root: string, sets: string[] = [], extra: Record<string, unknown> = {}) {
  const stages = toyStages();
  const lines: string[] = [];
  const r = await runPipeline(stages, {
    root,
    params: resolveStageParams(stages, null, sets),
    log: (l) => lines.push(l),
    ...extra,
  });
  return {
    ...r,
    lines,
    ran: r.record.stages.filter((s) => s.status === "ran").map((s) => s.name).sort(),
  };
}

const read = (root: string, f: string) => Deno.readTextFile(`${root}/${f}`);

Deno.test("runPipeline() runs every stage once, then skips them all and says why", async () => {
  const root = await tempDir();
  const first = await run(root);
  assert.deepEqual(first.ran, ["a", "b", "c"]);
  assert.equal(await read(root, "out/b.txt"), "HELLO");
  const second = await run(root);
  assert.deepEqual(second.ran, []);
  assert.ok(
    second.lines.some((l) => l.includes("[b] skipped: unchanged")),
    second.lines.join("\n"),
  );
  const runs = await readRuns(root);
  assert.equal(runs.length, 1, "a run that did nothing is not recorded as a run of stages");
  assert.equal(runs[0]!.status, "succeeded");
});

Deno.test("runPipeline() re-runs a stage whose parameter changed, and what depends on it", async () => {
  const root = await tempDir();
  await run(root);
  const r = await run(root, ["a.text=bye"]);
  assert.deepEqual(r.ran, ["a", "b"]);
  assert.equal(r.plan.find((p) => p.stage === "a")!.reason, "parameter changed: text");
  assert.equal(await read(root, "out/b.txt"), "BYE");
});

Deno.test("runPipeline() re-runs a stage whose output was edited by hand", async () => {
  const root = await tempDir();
  await run(root);
  await Deno.writeTextFile(`${root}/out/b.txt`, "tampered");
  const r = await run(root);
  assert.deepEqual(r.ran, ["b"]);
  assert.match(r.plan.find((p) => p.stage === "b")!.reason, /output changed/);
  assert.equal(await read(root, "out/b.txt"), "HELLO");
});

Deno.test("runPipeline() honours --only, --from, --force and --dry-run", async () => {
  const root = await tempDir();
  const dry = await run(root, [], { dryRun: true });
  assert.deepEqual(dry.plan.map((p) => p.action), ["run", "run", "run"]);
  await assert.rejects(Deno.stat(`${root}/out/a.txt`), "a dry run writes nothing");
  await run(root);
  assert.deepEqual((await run(root, [], { only: ["c"], force: true })).ran, ["c"]);
  assert.deepEqual((await run(root, [], { from: "b" })).ran, ["b"]);
  assert.deepEqual((await run(root, [], { force: true })).ran, ["a", "b", "c"]);
  await assert.rejects(run(root, [], { only: ["nope"] }), /Unknown stage "nope"/);
});

Deno.test("runPipeline() leaves outputs and the lock file as they were when a stage fails", async () => {
  const root = await tempDir();
  await run(root);
  const lockBefore = await read(root, "aqlab.lock");
  await assert.rejects(run(root, ["a.text=new", "b.fail=true"]), /stage b failed on purpose/);
  assert.equal(await read(root, "out/a.txt"), "hello", "a's new output was not committed");
  assert.equal(await read(root, "out/b.txt"), "HELLO");
  assert.equal(await read(root, "aqlab.lock"), lockBefore);
  const runs = await readRuns(root);
  assert.equal(runs.at(-1)!.status, "failed");
  assert.match(String(runs.at(-1)!.error), /stage b failed/);
});

Deno.test("a stage whose input another stage writes is not started without it: the error names both", async () => {
  const root = await tempDir();
  // b reads out/a.txt, which only stage a writes; a does not run here.
  await assert.rejects(
    run(root, [], { only: ["b"] }),
    /Cannot run stage "b": input missing: out\/a\.txt \(written by stage "a": run it first/,
  );
  await assert.rejects(Deno.stat(`${root}/out/b.txt`), "b did not run");
  const runs = await readRuns(root);
  assert.equal(runs.length, 0, "nothing ran, so no run is recorded");
  // With a runs first in the same run, b finds it.
  assert.deepEqual((await run(root, [], { only: ["a", "b"] })).ran, ["a", "b"]);
});

Deno.test("runPipeline() runs independent stages at the same time", async () => {
  const root = await tempDir();
  log.length = 0;
  await run(root, ["a.stall_ms=300", "c.wait_ms=300"], { concurrency: 2 });
  const a = log.find((l) => l.stage === "a")!, c = log.find((l) => l.stage === "c")!;
  assert.ok(a.start < c.end && c.start < a.end, "the two stages' running intervals overlap");
});

Deno.test("a second run refuses while another holds the run lock", async () => {
  const root = await tempDir();
  const lock = await acquireRunLock(`${root}/.aqlab/run.lock`);
  try {
    await assert.rejects(
      run(root),
      (e) => e instanceof RunLockedError && /another pipeline run/.test(e.message),
    );
  } finally {
    await lock.release();
  }
  assert.deepEqual((await run(root)).ran, ["a", "b", "c"]);
});

Deno.test("a killed run leaves outputs and lock untouched, and the next run takes over its stale lock", async () => {
  const root = await tempDir();
  await run(root);
  const lockBefore = await read(root, "aqlab.lock");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_toy_main.ts", import.meta.url).pathname,
      root,
      "--set",
      "a.stall_ms=60000",
      "--set",
      "a.text=half",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 200; i++) {
    try {
      await Deno.stat(`${root}/started.marker`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill("SIGKILL");
  await child.status;
  assert.equal(await read(root, "out/a.txt"), "hello");
  assert.equal(await read(root, "aqlab.lock"), lockBefore);
  await Deno.stat(`${root}/.aqlab/run.lock`); // the dead run's lock is still there
  const r = await run(root, ["a.text=after"]);
  assert.deepEqual(r.ran, ["a", "b"]);
  assert.equal(await read(root, "out/b.txt"), "AFTER");
});

Deno.test("resolveStageParams() names the file and key of a wrong parameter", () => {
  const stages = toyStages();
  assert.throws(
    () => resolveStageParams(stages, "a:\n  txet: 1\n", []),
    /params.yaml: unknown parameter "a.txet" \(known: a.text/,
  );
  assert.throws(
    () => resolveStageParams(stages, "a:\n  stall_ms: fast\n", []),
    /params.yaml: a.stall_ms must be a number: got "fast"/,
  );
  assert.throws(() => resolveStageParams(stages, "zz:\n  x: 1\n", []), /unknown section "zz"/);
  assert.throws(
    () => resolveStageParams(stages, null, ["a.stall_ms=1.5"]),
    /--set a.stall_ms must be an integer: got 1.5/,
  );
  assert.throws(() => resolveStageParams(stages, null, ["a.fail=yes"]), /must be true or false/);
  assert.throws(() => resolveStageParams(stages, null, ["nodot"]), /expected stage.param=value/);
  assert.throws(() => resolveStageParams(stages, "a: [", []), /Cannot parse params.yaml/);
  const p = resolveStageParams(stages, "a:\n  text: yaml\n", ["a.text=cli"]);
  assert.equal(p.a!.text, "cli", "--set wins over the file");
});

Deno.test("a stage reads a file inside a folder that an earlier stage of the same run wrote", async () => {
  const root = await tempDir();
  const { defineStage } = await import("../../src/pipeline/stage.ts");
  const writer = defineStage({
    name: "w",
    description: "writes a folder",
    after: [],
    params: {},
    inputs: () => [],
    outputs: () => ["pkg"],
    async run(ctx) {
      await Deno.mkdir(ctx.out("pkg"), { recursive: true });
      await Deno.writeTextFile(`${ctx.out("pkg")}/meta.json`, `"${ctx.runId}"`);
    },
  });
  const reader = defineStage({
    name: "r",
    description: "reads a file of that folder",
    after: ["w"],
    params: {},
    inputs: () => ["pkg/meta.json"],
    outputs: () => ["seen.txt"],
    async run(ctx) {
      await Deno.writeTextFile(
        ctx.out("seen.txt"),
        await Deno.readTextFile(ctx.path("pkg/meta.json")),
      );
    },
  });
  const stages = [writer, reader] as unknown as Parameters<typeof runPipeline>[0];
  for (const force of [false, true]) {
    const r = await runPipeline(stages, {
      root,
      params: resolveStageParams(stages, null, []),
      log: () => {},
      force,
    });
    assert.equal(
      await read(root, "seen.txt"),
      `"${r.record.run_id}"`,
      "the reader saw this run's file, not the last run's",
    );
  }
  const again = await runPipeline(stages, {
    root,
    params: resolveStageParams(stages, null, []),
    log: () => {},
  });
  assert.deepEqual(again.record.stages.map((s) => s.status), ["skipped", "skipped"]);
});

Deno.test("sharedOut() stages a write into a shared store: later stages see it, the commit checks nobody changed the store", async () => {
  const root = await tempDir("aqlab-runner-");
  try {
    const { defineStage } = await import("../../src/pipeline/stage.ts");
    const { bool } = await import("../../src/pipeline/params.ts");
    const writer = defineStage({
      name: "w",
      description: "adds an entry to store/index.txt",
      after: [],
      params: { entry: str("one", "entry") },
      inputs: () => [],
      outputs: () => ["w.txt"],
      async run(ctx) {
        const index = await Deno.readTextFile(ctx.path("store/index.txt")).catch(() => "");
        const staged = await ctx.sharedOut("store/index.txt", "store.lock");
        await Deno.writeTextFile(staged, index + ctx.params.entry + "\n");
        await Deno.writeTextFile(ctx.out("w.txt"), "done");
      },
    });
    const reader = defineStage({
      name: "r",
      description: "reads the store; optionally changes it behind the run's back",
      after: ["w"],
      params: { meddle: bool(false, "write the store directly") },
      inputs: () => ["store/index.txt"],
      outputs: () => ["r.txt"],
      async run(ctx) {
        await Deno.writeTextFile(
          ctx.out("r.txt"),
          await Deno.readTextFile(ctx.path("store/index.txt")),
        );
        if (ctx.params.meddle) await Deno.writeTextFile(`${root}/store/index.txt`, "promoted\n");
      },
    });
    const stages = [writer, reader] as unknown as Parameters<typeof runPipeline>[0];
    const go = (sets: string[]) =>
      runPipeline(stages, { root, params: resolveStageParams(stages, null, sets), log: () => {} });
    await go([]);
    assert.equal(await read(root, "store/index.txt"), "one\n");
    assert.equal(await read(root, "r.txt"), "one\n", "the later stage read the staged write");
    await go(["w.entry=two"]);
    assert.equal(await read(root, "store/index.txt"), "one\ntwo\n");

    const lockBefore = await read(root, "aqlab.lock");
    await assert.rejects(
      go(["w.entry=three", "r.meddle=true"]),
      /"store\/index.txt" changed while the run ran .*nothing was committed, run again from "w"/,
    );
    assert.equal(await read(root, "store/index.txt"), "promoted\n", "the other write stands");
    assert.equal(await read(root, "r.txt"), "one\ntwo\n", "no output of the run was committed");
    assert.equal(await read(root, "aqlab.lock"), lockBefore);
    await assert.rejects(Deno.stat(`${root}/store.lock`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
