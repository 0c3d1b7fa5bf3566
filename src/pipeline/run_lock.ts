import { dirname } from "node:path";

/**
 * A lock file held by one process at a time: one pipeline run per workspace
 * (`.aqlab/run.lock`), one registry change at a time (`models/registry.lock`). A second
 * taker refuses with the holder's pid and start time, or waits with `wait: true`. A lock
 * left by a dead process is taken over.
 *
 * Taking is create-exclusive: the holder's record is written to a temp file and hard-linked
 * to the lock path, which fails when the path exists, so a lock file is never seen half
 * written. Taking over a dead holder's lock is the racy part (two takers both see it dead;
 * one removes it and takes a new lock, the other then removes that one). So a taker removes
 * a lock only while holding an OS file lock on `<lock>.takeover`, and only after reading,
 * under that lock, that it is still the same dead holder's. The OS lock dies with its
 * holder, so a taker killed mid-takeover blocks nobody.
 */
export interface RunLock {
  release(): Promise<void>;
}

export class RunLockedError extends Error {
  override name = "RunLockedError";
}

interface Holder {
  pid: number;
  started: string;
  /** Tells this holder's lock from a later one of a process with the same pid. */
  token: string;
}

/** Whether process `pid` exists (on this machine); a process of another user counts. */
function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (e) {
    return !(e instanceof Deno.errors.NotFound);
  }
}

/** A lock file nobody can parse (a crash remnant of an older writer) counts as dead this late. */
const UNREADABLE_STALE_MS = 10_000;

async function readHolder(path: string): Promise<{ holder: Holder | null; mtime: number } | null> {
  try {
    const [text, st] = await Promise.all([Deno.readTextFile(path), Deno.stat(path)]);
    let holder: Holder | null = null;
    try {
      const v = JSON.parse(text);
      if (typeof v?.pid === "number") holder = v as Holder;
    } catch { /* unreadable: judged by age */ }
    return { holder, mtime: st.mtime?.getTime() ?? 0 };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function isStale(seen: { holder: Holder | null; mtime: number }): boolean {
  if (seen.holder) return !alive(seen.holder.pid);
  return Date.now() - seen.mtime > UNREADABLE_STALE_MS;
}

/** Links a complete record to `path`; false when the path is taken. */
async function tryCreate(path: string, holder: Holder): Promise<boolean> {
  const tmp = `${path}.${holder.token}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(holder));
  try {
    await Deno.link(tmp, path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Removes `path` if it still holds the dead holder seen before; serialised across processes. */
async function takeOver(path: string, seen: { holder: Holder | null }): Promise<void> {
  using guard = await Deno.open(`${path}.takeover`, { create: true, write: true });
  await guard.lock(true);
  try {
    const now = await readHolder(path);
    if (!now) return; // someone else took it over and already released it
    const same = now.holder?.token === seen.holder?.token &&
      now.holder?.pid === seen.holder?.pid;
    if (same && isStale(now)) await Deno.remove(path);
  } finally {
    await guard.unlock();
  }
}

export async function acquireRunLock(
  path: string,
  options: { wait?: boolean; pollMs?: number; holderName?: string } = {},
): Promise<RunLock> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const me: Holder = {
    pid: Deno.pid,
    started: new Date().toISOString(),
    token: crypto.randomUUID(),
  };
  for (;;) {
    if (await tryCreate(path, me)) {
      return {
        async release() {
          const now = await readHolder(path).catch(() => null);
          if (now?.holder?.token === me.token) await Deno.remove(path).catch(() => {});
        },
      };
    }
    const seen = await readHolder(path);
    if (!seen) continue; // released between our attempt and our look
    if (isStale(seen)) {
      await takeOver(path, seen);
      continue;
    }
    if (!options.wait) {
      throw new RunLockedError(
        `Cannot start: ${options.holderName ?? "another pipeline run"} (pid ${
          seen.holder?.pid ?? "?"
        }, started ${
          seen.holder?.started ?? "?"
        }) holds ${path}; wait for it, or pass --wait to queue behind it`,
      );
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}
