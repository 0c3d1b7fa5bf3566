/** Where promtool/prometheus are: missing binaries skip locally and fail in CI (CI=true). */
export async function findBinary(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin").split(":")) {
    try {
      const path = `${dir}/${name}`;
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not in this directory
    }
  }
  if (Deno.env.get("CI") === "true") {
    throw new Error(
      `Cannot run the ${name} test: "${name}" is not on PATH (Debian package prometheus)`,
    );
  }
  return null;
}

export const PROMETHEUS_DIR = new URL("../../src/serve/prometheus/", import.meta.url).pathname;
