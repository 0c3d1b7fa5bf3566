/**
 * Ctrl-C stops a training: the boosting rounds run synchronously, and a SIGINT handler (the
 * pipeline runner's: discard staged outputs, release the lock, exit) only runs when the
 * event loop gets a turn. Before, it got none until the last round.
 */
import assert from "node:assert/strict";

Deno.test("a SIGINT during training is handled before the training ends", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_interrupt_child.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("training")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  // Let it get into the rounds (100,000 of them: hours), then interrupt.
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGINT");
  // Unhandled, the training would run for hours: give up after a minute, and fail.
  let killed = false;
  const guard = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, 60_000);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  clearTimeout(guard);
  assert.equal(killed, false, "the SIGINT was not handled within a minute");
  assert.match(out, /interrupted/);
  assert.doesNotMatch(out, /finished/);
  assert.equal(status.code, 130);
});
