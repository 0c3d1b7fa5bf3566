import assert from "node:assert/strict";
import { join } from "node:path";
import {
  diffVersions,
  productionStack,
  promoteVersion,
  readRegistryIndex,
  readVersionMetadata,
  registerVersion,
  resolveVersion,
  rollbackProduction,
  UnknownVersionError,
} from "../../src/registry/mod.ts";
import { main as cli } from "../../pipeline/registry_cli.ts";
import { makePackage, metadata, RULE } from "./_package.ts";
import { tempDir } from "../_temp.ts";

async function register(
  root: string,
  rmse: number,
  by: Record<string, number>,
  tag: string,
  params = {},
) {
  const meta = metadata(rmse, by, params);
  const pkg = await makePackage(meta, tag);
  return await registerVersion(root, {
    model: "pm25",
    packageDir: pkg,
    metadata: meta,
    rule: RULE,
  });
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

Deno.test("registerVersion() numbers versions, applies the rule and keeps the history", async () => {
  const root = await tempDir();
  const r1 = await register(root, 10, { A: 10, B: 10 }, "one");
  assert.equal(r1.version, 1);
  assert.equal(r1.decision?.promote, true);
  const r2 = await register(root, 9, { A: 9, B: 9.2 }, "two");
  assert.equal(r2.version, 2);
  assert.equal(r2.decision?.promote, true, r2.decision?.reason);
  const r3 = await register(root, 9.95, { A: 9, B: 9 }, "three");
  assert.equal(r3.version, 3);
  assert.equal(r3.decision?.promote, false, "less than 1% better than v2");
  const index = await readRegistryIndex(root);
  const e = index.models.pm25!;
  assert.deepEqual(e.versions.map((v) => v.version), [1, 2, 3]);
  assert.deepEqual(e.aliases, { production: 2, staging: 3 });
  assert.deepEqual(
    e.history.map((h) => `${h.action}:${h.version}:${h.alias}`),
    [
      "register:1:null",
      "promote:1:production",
      "register:2:null",
      "promote:2:production",
      "register:3:null",
      "stage:3:staging",
    ],
  );
  assert.equal(e.history[3]!.previous, 1);
  assert.match(e.history[5]!.reason, /staging/);
  const m3 = await readVersionMetadata(root, "pm25", 3);
  assert.equal(m3.version, 3);
  assert.equal(m3.parent_version, 2, "the parent is the production it challenged");
  assert.equal(m3.name, "pm25");
  assert.equal(
    await Deno.readTextFile(join(root, "models/registry/pm25/v3/model.onnx")),
    "fake onnx three",
  );
  // No temp folder or lock left behind.
  const names = [...Deno.readDirSync(join(root, "models/registry/pm25"))].map((d) => d.name).sort();
  assert.deepEqual(names, ["v1", "v2", "v3"]);
  assert.equal(await exists(join(root, "models/registry.lock")), false);
});

Deno.test("registerVersion() does not register the same model twice", async () => {
  const root = await tempDir();
  await register(root, 10, { A: 10 }, "same");
  const again = await register(root, 10, { A: 10 }, "same");
  assert.equal(again.duplicateOf, 1);
  assert.equal(again.decision, null);
  assert.equal((await readRegistryIndex(root)).models.pm25!.versions.length, 1);
});

Deno.test("registerVersion() never overwrites a version folder, even one it did not write", async () => {
  const root = await tempDir();
  await register(root, 10, { A: 10 }, "one");
  // A folder claimed by a registration that died before writing its index entry.
  await Deno.mkdir(join(root, "models/registry/pm25/v2"));
  await Deno.writeTextFile(join(root, "models/registry/pm25/v2/keep.txt"), "x");
  const r = await register(root, 9, { A: 9 }, "two");
  assert.equal(r.version, 3);
  assert.equal(await Deno.readTextFile(join(root, "models/registry/pm25/v2/keep.txt")), "x");
});

Deno.test("registerVersion() of a broken package fails and leaves no version", async () => {
  const root = await tempDir();
  const pkg = await makePackage(metadata(10, {}), "x");
  await Deno.remove(join(pkg, "model.onnx"));
  await assert.rejects(
    registerVersion(root, {
      model: "pm25",
      packageDir: pkg,
      metadata: metadata(10, {}),
      rule: RULE,
    }),
    /expected a model package with model\.onnx/,
  );
  assert.equal(await exists(join(root, "models/registry/pm25/v1")), false);
  assert.deepEqual((await readRegistryIndex(root)).models, {});
});

Deno.test("two registrations in separate processes get distinct versions", async () => {
  const root = await tempDir();
  const worker = new URL("./_register_worker.ts", import.meta.url).pathname;
  const pkgs = await Promise.all(
    ["a", "b", "c"].map((t, i) => makePackage(metadata(10 - i, { A: 10 - i }), t)),
  );
  const outs = await Promise.all(
    pkgs.map((p) =>
      new Deno.Command(Deno.execPath(), { args: ["run", "-A", worker, root, p], stderr: "piped" })
        .output()
    ),
  );
  for (const o of outs) assert.ok(o.success, new TextDecoder().decode(o.stderr));
  const versions = outs.map((o) => JSON.parse(new TextDecoder().decode(o.stdout)).version).sort();
  assert.deepEqual(versions, [1, 2, 3]);
  const e = (await readRegistryIndex(root)).models.pm25!;
  assert.deepEqual(e.versions.map((v) => v.version).sort(), [1, 2, 3]);
  assert.equal(e.history.filter((h) => h.action === "register").length, 3);
  // Each folder holds the package of the registration that claimed it.
  const tags = new Set<string>();
  for (const v of [1, 2, 3]) {
    tags.add(await Deno.readTextFile(join(root, `models/registry/pm25/v${v}/model.onnx`)));
    assert.equal((await readVersionMetadata(root, "pm25", v)).version, v);
  }
  assert.equal(tags.size, 3);
});

Deno.test("promote and rollback move production and record why", async () => {
  const root = await tempDir();
  await register(root, 10, { A: 10 }, "one");
  await register(root, 9, { A: 9 }, "two");
  await register(root, 12, { A: 12 }, "three"); // staging
  const p = await promoteVersion(root, "pm25", "staging", "ops: try v3");
  assert.deepEqual([p.version, p.previous], [3, 2]);
  let e = (await readRegistryIndex(root)).models.pm25!;
  assert.equal(e.aliases.production, 3);
  assert.equal(e.aliases.staging, undefined, "promoting the staging version clears the alias");
  assert.deepEqual(productionStack(e), [1, 2, 3]);
  const r1 = await rollbackProduction(root, "pm25", "v3 worse in the field");
  assert.deepEqual([r1.version, r1.previous], [2, 3]);
  const r2 = await rollbackProduction(root, "pm25");
  assert.equal(r2.version, 1, "a second rollback goes further back, not to v3");
  await assert.rejects(rollbackProduction(root, "pm25"), /no earlier production/);
  e = (await readRegistryIndex(root)).models.pm25!;
  assert.equal(e.aliases.production, 1);
  assert.equal(e.history.at(-2)!.reason, "v3 worse in the field");
  await assert.rejects(promoteVersion(root, "pm25", "v1"), /production already/);
  await assert.rejects(promoteVersion(root, "pm25", "v9"), UnknownVersionError);
});

Deno.test("resolveVersion() and diffVersions() name unknown versions clearly", async () => {
  const root = await tempDir();
  await register(root, 10, { A: 10 }, "one", { eta: 0.1, depth: 6 });
  await register(root, 9, { A: 9 }, "two", { eta: 0.05, depth: 6 });
  const index = await readRegistryIndex(root);
  assert.equal(resolveVersion(index, "pm25", "v1"), 1);
  assert.equal(resolveVersion(index, "pm25", "production"), 2);
  assert.equal(resolveVersion(index, "pm25", "latest"), 2);
  assert.throws(() => resolveVersion(index, "pm25", "v7"), /known versions are v1, v2/);
  assert.throws(() => resolveVersion(index, "pm25", "staging"), /no staging alias/);
  assert.throws(() => resolveVersion(index, "pm25", "seven"), /expected N, vN/);
  assert.throws(() => resolveVersion(index, "no2", "1"), /Cannot find model "no2"/);
  const d = await diffVersions(root, "pm25", "1", "2");
  const row = (k: string) => d.rows.find((r) => r.key === k)!;
  assert.deepEqual([row("eta").a, row("eta").b, row("eta").same], [0.1, 0.05, false]);
  assert.equal(row("depth").same, true);
  assert.deepEqual([row("test.rmse").a, row("test.rmse").b], [10, 9]);
  assert.deepEqual([row("A.rmse").a, row("A.rmse").b], [10, 9]);
});

Deno.test("registry CLI: list, show, diff, promote, rollback and errors", async () => {
  const root = await tempDir();
  await register(root, 10, { A: 10 }, "one");
  await register(root, 9, { A: 9 }, "two");
  const lines: string[] = [];
  const errs: string[] = [];
  const log = console.log, err = console.error;
  console.log = (...a: unknown[]) => lines.push(...a.join(" ").split("\n"));
  console.error = (...a: unknown[]) => errs.push(a.join(" "));
  try {
    assert.equal(await cli(["list"], root), 0);
    assert.ok(lines.some((l) => /^v2\s+production/.test(l)), lines.join("\n"));
    assert.equal(await cli(["show", "v1"], root), 0);
    assert.ok(lines.some((l) => l.startsWith("pm25 v1")));
    assert.equal(await cli(["diff", "1", "2"], root), 0);
    assert.ok(lines.some((l) => /test\.rmse\s+10\s+9\s+\*/.test(l)), lines.join("\n"));
    assert.equal(await cli(["show", "v5"], root), 2);
    assert.match(errs.at(-1)!, /Cannot find version v5/);
    assert.equal(await cli(["frobnicate"], root), 2);
    assert.match(errs.at(-1)!, /Unknown command "frobnicate"/);
    assert.equal(await cli(["rollback", "--reason", "test"], root), 0);
    assert.equal((await readRegistryIndex(root)).models.pm25!.aliases.production, 1);
    assert.equal(await cli(["promote", "2"], root), 0);
    assert.equal((await readRegistryIndex(root)).models.pm25!.aliases.production, 2);
  } finally {
    console.log = log;
    console.error = err;
  }
});

Deno.test("registerVersion() stages a model evaluated on another test split", async () => {
  const root = await tempDir();
  const withTest = (rmse: number, hash: string, tag: string) => {
    const meta = metadata(rmse, { A: rmse });
    meta.lineage.stages.evaluate = {
      code: "c",
      params: {},
      inputs: { "data/processed/test.parquet": hash },
    };
    return makePackage(meta, tag).then((pkg) =>
      registerVersion(root, { model: "pm25", packageDir: pkg, metadata: meta, rule: RULE })
    );
  };
  await withTest(10, "h-synth", "one");
  const r = await withTest(5, "h-prsa", "two");
  assert.equal(r.decision?.promote, false);
  assert.match(r.decision!.reason, /different test split/);
  const r3 = await withTest(9, "h-synth", "three");
  assert.equal(r3.decision?.promote, true, "same split as production: the rule applies");
});
