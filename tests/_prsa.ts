/**
 * Where the tests find real PRSA data. Two kinds:
 *
 * - `PRSA_SAMPLE`: eight weeks of two stations, committed under tests/fixtures/prsa_sample/
 *   (CC BY 4.0, attribution in its README). Always there: tests that need real rows use it.
 * - `prsaDir()`: the full files (nine stations, four years), which the repository does not
 *   ship: `AQLAB_PRSA_DIR`, else `../shared/data/prsa` beside the project (found from this
 *   module, not from the working directory). Tests that need them call `prsaDir()` and skip
 *   with `prsaSkip` when it is null; under `CI=true` a missing folder is an error instead,
 *   since CI has the data.
 */
import { fileURLToPath } from "node:url";

export const PRSA_SAMPLE = fileURLToPath(new URL("./fixtures/prsa_sample", import.meta.url));

const BESIDE = fileURLToPath(new URL("../../shared/data/prsa", import.meta.url));

/** Whether a folder holds PRSA station files. */
function hasPrsaFiles(dir: string): boolean {
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile && /^PRSA_Data_.*\.csv$/.test(e.name)) return true;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
  }
  return false;
}

/** The folder of the full PRSA files, or null (not under CI=true, where it throws). */
export function prsaDir(): string | null {
  const fromEnv = Deno.env.get("AQLAB_PRSA_DIR");
  const dir = fromEnv || BESIDE;
  if (hasPrsaFiles(dir)) return dir;
  if (fromEnv || Deno.env.get("CI") === "true") {
    throw new Error(
      `Cannot find the PRSA files: ${
        fromEnv ? `AQLAB_PRSA_DIR="${fromEnv}"` : `"${BESIDE}"`
      } holds no PRSA_Data_*.csv${
        fromEnv ? "" : " (CI=true needs them; set AQLAB_PRSA_DIR to their folder)"
      }`,
    );
  }
  return null;
}

/**
 * Says that `what` is skipped for want of the full data, and how to run it (Deno then
 * reports the test as "ignored").
 */
export function prsaSkip(what: string): void {
  console.warn(
    `skipped: ${what} needs the full PRSA files; set AQLAB_PRSA_DIR or put them in ${BESIDE}`,
  );
}
