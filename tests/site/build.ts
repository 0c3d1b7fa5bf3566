/**
 * Builds the site for the browser tests and the benchmark. Loader outputs are cached by
 * Framework by loader mtime only, so the cache of the site's own loaders is cleared first:
 * the pages always show the artifacts as they are now.
 */
export const ROOT = new URL("../../", import.meta.url).pathname;
export const DIST = `${ROOT}dist`;

export async function buildSite(): Promise<{ seconds: number }> {
  for (const dir of ["lib", "data"]) {
    await Deno.remove(`${ROOT}notebooks/.observablehq/cache/${dir}`, { recursive: true })
      .catch(() => {});
  }
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "site:build"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    throw new Error(`Cannot build the site: deno task site:build failed:\n${log.slice(-3000)}`);
  }
  return { seconds: (performance.now() - t0) / 1000 };
}

/**
 * Pages of the site (config order), as the URLs the sidebar links to: with
 * `preserveExtension` and `preserveIndex` every link names its file.
 */
export const PAGES = [
  "/index.html",
  "/data.html",
  "/evaluation.html",
  "/explanations.html",
  "/drift.html",
  "/what-if.html",
  "/score.html",
  "/runs.html",
  "/registry.html",
  "/model-card.html",
  "/data-card.html",
  "/governance.html",
];

/** A page's short name ("/data.html" -> "data"), for screenshots and tables. */
export const pageName = (path: string): string => path.replace(/^\//, "").replace(/\.html$/, "");
