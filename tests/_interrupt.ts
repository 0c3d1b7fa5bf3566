/**
 * Sends SIGINT to a child script once it has printed `ready` and `afterMs` have passed, and
 * reads what it prints until it exits. A child that ignores the signal is killed after
 * `guardMs` (`killed: true`), so a test of Ctrl-C fails instead of waiting for hours.
 */
export async function interruptChild(
  script: URL,
  o: { ready: string; afterMs: number; guardMs?: number; args?: string[] },
): Promise<{ out: string; code: number; killed: boolean }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script.pathname, ...(o.args ?? [])],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes(o.ready)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  await new Promise((r) => setTimeout(r, o.afterMs));
  child.kill("SIGINT");
  let killed = false;
  const guard = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, o.guardMs ?? 60_000);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const { code } = await child.status;
  clearTimeout(guard);
  return { out, code, killed };
}
