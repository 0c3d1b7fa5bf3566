/**
 * The register stage's writes are part of the run's commit: `deno task pipeline` killed
 * with SIGKILL after register finished (and before the run committed) leaves the registry,
 * the runs table and the lock file byte for byte as they were; the next run registers the
 * version and records its run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDuck, writeParquet } from "../../src/data/duck.ts";
import { hashPath } from "../../src/pipeline/hash.ts";
import { readRuns } from "../../src/pipeline/runs.ts";
import {
  candidateDir,
  EVALUATION,
  REGISTER_LAST,
  REGISTRY_DIR,
  REGISTRY_INDEX,
  RUNS,
} from "../../src/pipeline/catalog.ts";
import { metadata, metrics } from "./_package.ts";

const MAIN = new URL("../../pipeline/main.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

/** A candidate package and evaluate's reports for it: all the register stage reads. */
async function candidate(root: string, tag: string, rmse: number): Promise<void> {
  const pkg = join(root, candidateDir("gbdt"));
  await Deno.mkdir(pkg, { recursive: true });
  await Deno.writeTextFile(join(pkg, "model.onnx"), `fake onnx ${tag}`);
  await Deno.writeTextFile(join(pkg, "model.json"), "{}");
  await Deno.writeTextFile(join(pkg, "metadata.json"), JSON.stringify(metadata(rmse, {})));
  await Deno.mkdir(join(root, "reports/evaluation"), { recursive: true });
  await Deno.writeTextFile(
    join(root, EVALUATION.summary),
    JSON.stringify({ candidates: { gbdt: { test: metrics(rmse) } } }),
  );
  const c = await openDuck();
  try {
    await writeParquet(
      c,
      `SELECT 'gbdt' AS candidate, s AS "group", 100 AS n, ${rmse} AS rmse, 1.0 AS mae,
         0.9 AS r2, 20.0 AS mape, 0.0 AS bias, 0.3 AS skill FROM (VALUES ('A'), ('B')) t(s)`,
      join(root, EVALUATION.byStation),
    );
  } finally {
    c.closeSync();
  }
}

function pipeline(root: string, env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "--config", DENO_JSON, MAIN, "--only", "register"],
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Every byte the registry, the runs table and the lock file hold. */
async function snapshot(root: string): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const p of [REGISTRY_INDEX, REGISTRY_DIR, RUNS, REGISTER_LAST, "aqlab.lock"]) {
    out[p] = await hashPath(join(root, p));
  }
  return out;
}

Deno.test({
  name: "a run killed after register leaves the registry and the runs table byte-identical",
  sanitizeResources: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "aqlab-register-commit-" });
    try {
      await candidate(root, "one", 10);
      const first = await pipeline(root).output();
      assert.ok(first.success, new TextDecoder().decode(first.stderr));
      const before = await snapshot(root);
      assert.ok(before[REGISTRY_INDEX] && before[RUNS], "the first run registered v1");

      // A better model: this run would register v2 and promote it.
      await candidate(root, "two", 9);
      const child = pipeline(root, { AQLAB_STALL_AFTER: "register" }).spawn();
      let seen = "";
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      while (!seen.includes("[register] stalling")) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the run ended before stalling:\n${seen}`);
        seen += value;
      }
      assert.match(seen, /registered pm25 v2 -> production/);
      child.kill("SIGKILL");
      await reader.cancel();
      await child.stderr.cancel();
      await child.status;
      assert.deepEqual(await snapshot(root), before, "nothing changed");
      const index = JSON.parse(await Deno.readTextFile(join(root, REGISTRY_INDEX)));
      assert.deepEqual(index.models.pm25.aliases, { production: 1 });
      await assert.rejects(Deno.stat(join(root, REGISTRY_DIR, "pm25/v2")), Deno.errors.NotFound);

      // The next run registers v2, and the runs table holds the run that did.
      const third = await pipeline(root).output();
      assert.ok(third.success, new TextDecoder().decode(third.stderr));
      const last = JSON.parse(await Deno.readTextFile(join(root, REGISTER_LAST)));
      assert.equal(last.version, 2);
      assert.equal(last.promoted, true);
      const after = JSON.parse(await Deno.readTextFile(join(root, REGISTRY_INDEX)));
      assert.deepEqual(after.models.pm25.aliases, { production: 2 });
      const runs = await readRuns(root);
      assert.equal(runs.length, 2, "the killed run is not in the runs table");
      assert.equal(runs.at(-1)!.run_id, last.run_id);
      const v2 = JSON.parse(
        await Deno.readTextFile(join(root, REGISTRY_DIR, "pm25/v2/metadata.json")),
      );
      assert.equal(v2.lineage.run_id, last.run_id);
      assert.deepEqual(
        [...Deno.readDirSync(join(root, REGISTRY_DIR, "pm25"))].map((e) => e.name).sort(),
        ["v1", "v2"],
        "no temp or half-written folder in the registry",
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
