import { dirname } from "node:path";

/**
 * One pipeline run at a time per workspace. A second run refuses with the holder's pid and
 * start time, or waits with `wait: true`. A lock left by a dead process is taken over.
 */
export interface RunLock {
  release(): Promise<void>;
}

export class RunLockedError extends Error {
  override name = "RunLockedError";
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

export async function acquireRunLock(
  path: string,
  options: { wait?: boolean; pollMs?: number } = {},
): Promise<RunLock> {
  await Deno.mkdir(dirname(path), { recursive: true });
  for (;;) {
    try {
      const f = await Deno.open(path, { write: true, createNew: true });
      await f.write(
        new TextEncoder().encode(
          JSON.stringify({ pid: Deno.pid, started: new Date().toISOString() }),
        ),
      );
      f.close();
      return { release: () => Deno.remove(path).catch(() => {}) };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    let holder: { pid?: number; started?: string } = {};
    try {
      holder = JSON.parse(await Deno.readTextFile(path));
    } catch { /* being written: treat as held */ }
    if (holder.pid !== undefined && !alive(holder.pid)) {
      await Deno.remove(path).catch(() => {});
      continue;
    }
    if (!options.wait) {
      throw new RunLockedError(
        `Cannot start: another pipeline run (pid ${holder.pid ?? "?"}, started ${
          holder.started ?? "?"
        }) holds ${path}; wait for it, or pass --wait to queue behind it`,
      );
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}
