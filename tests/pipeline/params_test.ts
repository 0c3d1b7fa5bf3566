import assert from "node:assert/strict";
import { paramsYaml, resolveStageParams } from "../../src/pipeline/config.ts";
import { date, int, isCalendarDay, str } from "../../src/pipeline/params.ts";
import { runPipeline } from "../../src/pipeline/runner.ts";
import { defineStage, type Stage } from "../../src/pipeline/stage.ts";
import { STAGES } from "../../pipeline/stages.ts";

Deno.test("params.yaml is the text generated from the stage declarations (deno task params)", async () => {
  const committed = await Deno.readTextFile(new URL("../../params.yaml", import.meta.url));
  assert.equal(
    committed,
    paramsYaml(STAGES),
    "params.yaml differs from the declarations: run `deno task params` and commit it",
  );
});

Deno.test("the generated params.yaml reads back as exactly the declared defaults", () => {
  assert.deepEqual(
    resolveStageParams(STAGES, paramsYaml(STAGES), []),
    resolveStageParams(STAGES, null, []),
  );
  const text = paramsYaml(STAGES);
  const split = text.slice(text.indexOf("\nsplit:\n"));
  assert.ok(
    split.includes('\n  # first day of the test period (YYYY-MM-DD)\n  test_start: "2016-03-01"\n'),
  );
  assert.ok(text.includes('\n  gap_dimensions: ["station", "station_type"]\n'));
});

Deno.test("date parameters reject days that do not exist, naming the file and the key", () => {
  assert.ok(isCalendarDay("2016-02-29"));
  for (const bad of ["2016-13-45", "2015-02-29", "2016-02-30", "2016-3-1", "16-03-01", ""]) {
    assert.ok(!isCalendarDay(bad), bad);
  }
  assert.throws(
    () => resolveStageParams(STAGES, 'split:\n  test_start: "2016-13-45"\n', []),
    /^ParamError: params.yaml: split.test_start must be a date YYYY-MM-DD that exists: got "2016-13-45"$/,
  );
  assert.throws(
    () => resolveStageParams(STAGES, "split:\n  test_start: 2016-02-30\n", [], "my.yaml"),
    /my.yaml: split.test_start must be a date YYYY-MM-DD that exists: got "2016-02-30"/,
  );
  assert.throws(
    () => resolveStageParams(STAGES, null, ["synth.start=2013-02-29"]),
    /--set synth.start must be a date YYYY-MM-DD that exists: got "2013-02-29"/,
  );
  assert.equal(
    resolveStageParams(STAGES, null, ["split.test_start=2016-02-29"]).split!.test_start,
    "2016-02-29",
  );
  assert.throws(() => date("2016-13-45", "bad default"), /not a YYYY-MM-DD date/);
});

const owner = defineStage({
  name: "owner",
  description: "declares a parameter",
  after: [],
  params: { hours: int(3, "hours"), label: str("x", "label") },
  inputs: () => [],
  outputs: () => ["owner.txt"],
  async run(ctx) {
    await Deno.writeTextFile(ctx.out("owner.txt"), "");
  },
});

Deno.test("a stage reads another stage's parameter typed, with the owner's value", async () => {
  let seen: number | null = null;
  const reader = defineStage({
    name: "reader",
    description: "reads owner.hours",
    after: ["owner"],
    params: {},
    uses: { "owner.hours": "number" },
    inputs: () => [],
    outputs: () => ["reader.txt"],
    async run(ctx) {
      const hours: number = ctx.used["owner.hours"]; // typed: a number, no default here
      seen = hours;
      await Deno.writeTextFile(ctx.out("reader.txt"), String(hours));
    },
  });
  const stages = [owner, reader] as unknown as Stage[];
  const root = await Deno.makeTempDir({ prefix: "aqlab-params-" });
  try {
    const run = (sets: string[]) =>
      runPipeline(stages, { root, params: resolveStageParams(stages, null, sets), log: () => {} });
    await run([]);
    assert.equal(seen, 3, "the owner's default");
    const r = await run(["owner.hours=7"]);
    assert.equal(seen, 7);
    assert.equal(
      r.plan.find((p) => p.stage === "reader")!.reason,
      "parameter changed: owner.hours",
      "a used parameter is part of the reader's hash",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("resolveStageParams() refuses a `uses` entry that is not declared, or not of that kind", () => {
  const using = (uses: Record<string, "number" | "string">) =>
    [owner, { ...owner, name: "reader", uses }] as unknown as Stage[];
  assert.throws(
    () => resolveStageParams(using({ "owner.minutes": "number" }), null, []),
    /Stage "reader" uses "owner.minutes", which no stage among pipeline, owner, reader declares/,
  );
  assert.throws(
    () => resolveStageParams(using({ "owner.label": "number" }), null, []),
    /Stage "reader" uses "owner.label" as a number, but it is declared as a string/,
  );
  assert.throws(
    () => resolveStageParams(using({ "nostage.x": "number" }), null, []),
    /uses "nostage.x", which no stage/,
  );
  resolveStageParams(STAGES, null, []); // every real stage's `uses` is declared, of its kind
});
