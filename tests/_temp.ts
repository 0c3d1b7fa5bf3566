/**
 * Temp folders for tests, removed when the test process ends, whether the tests passed or
 * not (a failed assertion skips a test's own clean-up, and `deno task test` must leave
 * nothing in the temp folder).
 */
const made = new Set<string>();

globalThis.addEventListener("unload", () => {
  for (const dir of made) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* removed by its test already */ }
  }
});

/** `Deno.makeTempDir({ prefix })`, removed at exit. */
export async function tempDir(prefix = "aqlab-test-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  made.add(dir);
  return dir;
}
