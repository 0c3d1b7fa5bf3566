/**
 * Ctrl-C stops the drift stage's verdict: the verdict is one synchronous function, and a
 * SIGINT handler (the pipeline runner's: discard staged outputs, release the lock, exit)
 * only runs when the thread that waits for it gets a turn. The stage judges in a worker
 * (verdict_worker.ts), so the handler runs while the verdict is still being computed.
 */
import assert from "node:assert/strict";

async function interrupted(args: string[]): Promise<{ out: string; code: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_interrupt_child.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("judging")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  // Into the verdict (several seconds on a quiet machine), then interrupt.
  await new Promise((r) => setTimeout(r, 500));
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  return { out, code: (await child.status).code };
}

Deno.test("a SIGINT during the drift verdict is handled before the verdict ends", async () => {
  const { out, code } = await interrupted([]);
  assert.match(out, /interrupted/);
  assert.doesNotMatch(out, /finished/, "the handler waited for the verdict");
  assert.equal(code, 130);
});
