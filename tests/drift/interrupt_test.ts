/**
 * Ctrl-C stops the drift stage's verdict: the verdict is one synchronous function, and a
 * SIGINT handler (the pipeline runner's: discard staged outputs, release the lock, exit)
 * only runs when the thread that waits for it gets a turn. The stage judges in a worker
 * (verdict_worker.ts), so the handler runs while the verdict is still being computed.
 */
import assert from "node:assert/strict";
import { interruptChild } from "../_interrupt.ts";

Deno.test("a SIGINT during the drift verdict is handled before the verdict ends", async () => {
  // Into the verdict (several seconds on a quiet machine), then interrupt.
  const { out, code, killed } = await interruptChild(
    new URL("./_interrupt_child.ts", import.meta.url),
    { ready: "judging", afterMs: 500 },
  );
  assert.equal(killed, false, "the SIGINT was not handled within a minute");
  assert.match(out, /interrupted/);
  assert.doesNotMatch(out, /finished/, "the handler waited for the verdict");
  assert.equal(code, 130);
});
