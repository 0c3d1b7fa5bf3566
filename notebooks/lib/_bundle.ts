/**
 * Shared by the bundle loaders: `deno bundle` an entry of this folder for the browser and
 * write the JavaScript to stdout (Framework stores it as a file attachment). The import map
 * `_browser_imports.json` points onnxruntime-web at its wasm-only build with the
 * Emscripten glue inlined: the default browser build is the WebGPU (JSEP) one, which
 * imports `ort-wasm-simd-threaded.jsep.mjs` and a larger wasm at run time.
 */
export async function bundle(entry: string): Promise<void> {
  const path = new URL(entry, import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--import-map",
      new URL("_browser_imports.json", import.meta.url).pathname,
      "--platform",
      "browser",
      "--format",
      "esm",
      "--minify",
      path,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`Cannot bundle ${entry}: deno bundle exited ${out.code}`);
  await Deno.stdout.write(out.stdout);
}

/** Stream a file of an installed npm package to stdout (the site's own copy of a wasm). */
export async function copyFromNodeModules(path: string): Promise<void> {
  const url = new URL(`../../node_modules/${path}`, import.meta.url);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(url);
  } catch (e) {
    throw new Error(
      `Cannot copy node_modules/${path}: expected it installed (deno install), ${e}`,
    );
  }
  await file.readable.pipeTo(Deno.stdout.writable);
}
