/**
 * Ctrl-C stops a training: the boosting rounds run synchronously, and a SIGINT handler (the
 * pipeline runner's: discard staged outputs, release the lock, exit) only runs when the
 * event loop gets a turn. Before, it got none until the last round.
 */
import assert from "node:assert/strict";
import { interruptChild } from "../_interrupt.ts";

Deno.test("a SIGINT during training is handled before the training ends", async () => {
  // Into the rounds (100,000 of them: hours), then interrupt; unhandled, it is killed after
  // a minute and the test fails.
  const { out, code, killed } = await interruptChild(
    new URL("./_interrupt_child.ts", import.meta.url),
    { ready: "training", afterMs: 1500 },
  );
  assert.equal(killed, false, "the SIGINT was not handled within a minute");
  assert.match(out, /interrupted/);
  assert.doesNotMatch(out, /finished/);
  assert.equal(code, 130);
});
