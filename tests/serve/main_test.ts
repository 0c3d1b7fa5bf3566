/**
 * The endpoint as a process (`src/serve/main.ts --listen`): importing the module does
 * nothing; SIGTERM and SIGINT flush the prediction log before exiting; with `AQLAB_LOG=sync`
 * even SIGKILL loses no acknowledged prediction (issue 17, finding 7).
 */
import assert from "node:assert/strict";
import { loggedEntries } from "../../src/serve/prediction_log.ts";
import { FEATURE_NAMES } from "../../src/features/schema.ts";
import { featuresObject, writeTestPackage } from "./_package.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const pkg = await writeTestPackage();
const F = FEATURE_NAMES.length;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function start(env: Record<string, string>) {
  const port = freePort();
  const child = new Deno.Command("deno", {
    args: ["run", "-A", "--unstable-kv", "src/serve/main.ts", "--listen"],
    cwd: ROOT,
    env: { AQLAB_MODEL_DIR: pkg.dir, PORT: String(port), ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/ready`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("Cannot start the endpoint: /ready did not answer within 60 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, base };
}

/** 40 concurrent requests of 250 rows; the number of rows acknowledged with 200. */
async function burst(base: string): Promise<number> {
  const rows = Array.from(
    { length: 250 },
    (_, i) => featuresObject(pkg.X.data.slice(i * F, (i + 1) * F)),
  );
  const body = JSON.stringify({ rows });
  const answers = await Promise.all(Array.from({ length: 40 }, async () => {
    const res = await fetch(`${base}/v1/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    await res.body?.cancel();
    return res.status === 200 ? rows.length : 0;
  }));
  return answers.reduce((a, b) => a + b, 0);
}

async function logged(path: string): Promise<number> {
  const kv = await Deno.openKv(path);
  const n = (await loggedEntries(kv)).length;
  kv.close();
  return n;
}

Deno.test("importing src/serve/main.ts loads nothing and opens nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab_main_" });
  try {
    const out = await new Deno.Command("deno", {
      args: [
        "eval",
        "--unstable-kv",
        `const m = await import("./src/serve/main.ts"); console.log(typeof m.default.fetch);`,
      ],
      cwd: ROOT,
      env: { AQLAB_MODEL_DIR: pkg.dir, AQLAB_KV_PATH: `${dir}/log.kv` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "function");
    assert.deepEqual([...Deno.readDirSync(dir)], [], "the import opened the log");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} flushes every acknowledged prediction to the log before exiting`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "aqlab_main_" });
    try {
      const { child, base } = await start({ AQLAB_KV_PATH: `${dir}/log.kv` });
      const acknowledged = await burst(base);
      child.kill(signal);
      const status = await child.status;
      await child.stderr.cancel();
      assert.equal(status.code, 0, `exit ${status.code} (${status.signal})`);
      assert.equal(acknowledged, 10_000);
      assert.equal(await logged(`${dir}/log.kv`), acknowledged);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("AQLAB_LOG=sync: SIGKILL right after the answers loses no acknowledged prediction", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab_main_" });
  try {
    const { child, base } = await start({ AQLAB_KV_PATH: `${dir}/log.kv`, AQLAB_LOG: "sync" });
    const acknowledged = await burst(base);
    child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel();
    assert.equal(acknowledged, 10_000);
    assert.ok((await logged(`${dir}/log.kv`)) >= acknowledged);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
