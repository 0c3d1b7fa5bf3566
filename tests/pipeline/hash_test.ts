import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { type HashCache, hashFile, hashPath } from "../../src/pipeline/hash.ts";
import { resolveStageParams } from "../../src/pipeline/config.ts";
import { runPipeline } from "../../src/pipeline/runner.ts";
import { toyStages } from "./_toy.ts";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
/** Past the current second: Deno reports change times in whole seconds. */
const nextSecond = () => new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000)));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-hash-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Rewrites a file with other bytes of the same length and puts its mtime back. */
async function sameSizeEdit(path: string, from: string, to: string): Promise<void> {
  assert.equal(from.length, to.length);
  const before = await Deno.stat(path);
  const text = await Deno.readTextFile(path);
  assert.ok(text.includes(from));
  await Deno.writeTextFile(path, text.replace(from, to));
  await Deno.utime(path, before.atime!, before.mtime!);
  const after = await Deno.stat(path);
  assert.equal(after.size, before.size);
  assert.equal(after.mtime!.getTime(), before.mtime!.getTime());
}

Deno.test("hashFile() trusts the cache only for the exact stat it hashed, never under verify", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "x.txt");
    await Deno.writeTextFile(path, "alpha");
    const cache: HashCache = { entries: {} };
    assert.equal(await hashFile(path, cache), sha("alpha"));
    assert.equal(cache.entries[path], undefined, "a file changed this second is not cached yet");
    await nextSecond();
    assert.equal(await hashFile(path, cache), sha("alpha"));
    assert.equal(cache.entries[path]!.hash, sha("alpha"));
    // The cache is what answers for an unchanged stat (a planted value shows it) ...
    cache.entries[path]!.hash = "planted";
    assert.equal(await hashFile(path, cache), "planted");
    assert.equal(await hashPath(path, cache), "planted");
    // ... except under verify, which reads the bytes and corrects the entry.
    assert.equal(await hashFile(path, cache, { verify: true }), sha("alpha"));
  });
});

Deno.test("hashFile() sees a same-size edit whose mtime was put back (the change time moved)", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "x.txt");
    await Deno.writeTextFile(path, "value=10\n");
    const cache: HashCache = { entries: {} };
    await nextSecond();
    assert.equal(await hashFile(path, cache), sha("value=10\n"));
    assert.ok(cache.entries[path], "settled: cached");
    await nextSecond();
    await sameSizeEdit(path, "10", "99");
    assert.equal(await hashFile(path, cache), sha("value=99\n"));
    assert.equal(await hashFile(path, { entries: {} }, { verify: true }), sha("value=99\n"));
  });
});

Deno.test("the pipeline re-runs after a same-size edit with the mtime restored; --verify re-hashes what the cache vouches for", async () => {
  await withDir(async (root) => {
    const stages = toyStages();
    const run = async (verify = false) => {
      const r = await runPipeline(stages, {
        root,
        params: resolveStageParams(stages, null, []),
        log: () => {},
        verify,
      });
      return r.record.stages.filter((s) => s.status === "ran").map((s) => s.name).sort();
    };
    const b = join(root, "out/b.txt");
    assert.deepEqual(await run(), ["a", "b", "c"]);
    await nextSecond();
    assert.deepEqual(await run(), [], "no-op run, which caches the settled outputs");

    await nextSecond();
    await sameSizeEdit(b, "HELLO", "JELLO");
    assert.deepEqual(await run(), ["b"], "the edit is seen although size and mtime are as before");
    assert.equal(await Deno.readTextFile(b), "HELLO");

    // A file system whose stat does not reveal an edit: the cache entry is made to match the
    // edited file's stat. A plain run trusts it; --verify reads the bytes and re-runs b.
    await nextSecond();
    assert.deepEqual(await run(), []);
    await nextSecond();
    await sameSizeEdit(b, "HELLO", "JELLO");
    const cachePath = join(root, ".aqlab/hash-cache.json");
    const cache = JSON.parse(await Deno.readTextFile(cachePath)) as HashCache;
    const st = await Deno.stat(b);
    Object.assign(cache.entries[b]!, { ctime: st.ctime?.getTime() ?? null, ino: st.ino });
    await Deno.writeTextFile(cachePath, JSON.stringify(cache));
    assert.deepEqual(await run(), [], "without --verify the matching stat is trusted");
    assert.deepEqual(await run(true), ["b"], "--verify reads the bytes");
    assert.equal(await Deno.readTextFile(b), "HELLO");
  });
});
