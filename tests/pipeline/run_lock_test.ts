import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireRunLock, RunLockedError } from "../../src/pipeline/run_lock.ts";

/** The pid of a process that has exited (a lock it held is stale). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

async function staleLock(path: string): Promise<void> {
  await Deno.writeTextFile(
    path,
    JSON.stringify({ pid: await deadPid(), started: "2020-01-01T00:00:00Z", token: "dead" }),
  );
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-lock-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("acquireRunLock() refuses while a live process holds the lock, naming its pid", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "run.lock");
    const held = await acquireRunLock(path);
    await assert.rejects(
      acquireRunLock(path),
      (e) =>
        e instanceof RunLockedError &&
        e.message.includes(`pid ${Deno.pid}`) && e.message.includes("holds"),
    );
    await held.release();
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    const again = await acquireRunLock(path);
    await again.release();
  });
});

Deno.test("acquireRunLock() takes over a dead holder's lock, and an unreadable one only when old", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "run.lock");
    await staleLock(path);
    const lock = await acquireRunLock(path);
    assert.equal(JSON.parse(await Deno.readTextFile(path)).pid, Deno.pid);
    await lock.release();

    // An empty lock file (a writer killed between create and write) is respected while young.
    await Deno.writeTextFile(path, "");
    await assert.rejects(acquireRunLock(path), /pid \?/);
    const old = new Date(Date.now() - 60_000);
    await Deno.utime(path, old, old);
    await (await acquireRunLock(path)).release();
  });
});

Deno.test("release() of a lock that was taken over by another holder leaves theirs alone", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "run.lock");
    const mine = await acquireRunLock(path);
    const theirs = JSON.stringify({ pid: Deno.pid, started: "x", token: "theirs" });
    await Deno.writeTextFile(path, theirs);
    await mine.release();
    assert.equal(await Deno.readTextFile(path), theirs);
  });
});

Deno.test({
  name: "8 processes racing over a stale lock: exactly one holder at a time, every round",
  sanitizeResources: false,
  async fn() {
    await withDir(async (dir) => {
      const racers = 8, rounds = 20;
      const script = new URL("./_lock_racer.ts", import.meta.url).pathname;
      const children = Array.from({ length: racers }, (_, i) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", script, dir, String(i), String(rounds)],
          stdout: "null",
          stderr: "piped",
        }).spawn());
      try {
        for (let round = 0; round < rounds; round++) {
          await staleLock(join(dir, "the.lock"));
          // Start together, a little after every racer has seen the go file.
          await Deno.writeTextFile(join(dir, "go.tmp"), String(Date.now() + 40));
          await Deno.rename(join(dir, "go.tmp"), join(dir, `go-${round}`));
          const done: string[] = [];
          for (let waited = 0; done.length < racers; waited += 5) {
            assert.ok(waited < 60_000, `round ${round}: racers did not finish`);
            await new Promise((r) => setTimeout(r, 5));
            done.length = 0;
            for (let i = 0; i < racers; i++) {
              try {
                done.push(await Deno.readTextFile(join(dir, `done-${round}-${i}`)));
              } catch { /* still racing */ }
            }
          }
          assert.deepEqual(
            done,
            Array(racers).fill("ok"),
            `round ${round}: two processes held the lock at once`,
          );
          await assert.rejects(Deno.stat(join(dir, "the.lock")), Deno.errors.NotFound);
        }
        for (const c of children) {
          const out = await c.output();
          assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        }
      } finally {
        for (const c of children) {
          try {
            c.kill();
          } catch { /* already exited */ }
        }
      }
    });
  },
});
