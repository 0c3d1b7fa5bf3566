/**
 * One of the processes of the lock race (run_lock_test.ts): `_lock_racer.ts DIR INDEX ROUNDS`.
 * Each round it waits for DIR/go-<round> (a start time), takes DIR/the.lock, claims
 * DIR/holder with a create-exclusive open (a second claimant means two holders at once),
 * holds briefly, gives both back and reports DIR/done-<round>-<index>.
 */
import { acquireRunLock } from "../../src/pipeline/run_lock.ts";

const [dir, index, rounds] = Deno.args as [string, string, string];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (let round = 0; round < Number(rounds); round++) {
  let start: number;
  for (;;) {
    try {
      start = Number(await Deno.readTextFile(`${dir}/go-${round}`));
      if (start > 0) break;
    } catch { /* not yet */ }
    await sleep(2);
  }
  while (Date.now() < start) { /* spin to the common start */ }
  const lock = await acquireRunLock(`${dir}/the.lock`, { wait: true, pollMs: 1 });
  let overlap = false;
  try {
    (await Deno.open(`${dir}/holder`, { createNew: true, write: true })).close();
  } catch {
    overlap = true;
  }
  await sleep(1);
  if (!overlap) await Deno.remove(`${dir}/holder`);
  await lock.release();
  // Written whole (temp + rename): the parent must never read a half-written report.
  await Deno.writeTextFile(`${dir}/done-${round}-${index}.tmp`, overlap ? "overlap" : "ok");
  await Deno.rename(`${dir}/done-${round}-${index}.tmp`, `${dir}/done-${round}-${index}`);
}
