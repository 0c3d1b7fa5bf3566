/**
 * `deno task bench [name ...]`: runs the benchmarks (all by default) with their default
 * sizes and writes their figures to `reports/bench/<name>.json`. Each `bench/<name>.ts` runs
 * alone too, with its own flags (e.g. `deno run -A bench/data.ts --big` for 453 stations).
 */
const ALL = [
  "data",
  "gbdt",
  "onnx",
  "explain",
  "drift",
  "drift_calibration",
  "serve",
  "site",
  "synth",
  "quality",
];
const names = Deno.args.filter((a) => !a.startsWith("-"));
const chosen = names.length ? names : ALL;
await Deno.mkdir("reports/bench", { recursive: true });
const failed: string[] = [];
for (const name of chosen) {
  const url = new URL(`./${name}.ts`, import.meta.url);
  try {
    await Deno.stat(url);
  } catch {
    console.log(`\n== ${name}: no bench/${name}.ts`);
    continue;
  }
  console.log(`\n== ${name}`);
  try {
    const mod = await import(url.href);
    // Defaults only: each bench/<name>.ts takes its own flags when run alone.
    const figures = await mod.run();
    await Deno.writeTextFile(
      `reports/bench/${name}.json`,
      JSON.stringify({ date: new Date().toISOString(), figures }, null, 2),
    );
  } catch (e) {
    failed.push(name);
    console.error(`${name} failed: ${e instanceof Error ? e.stack : e}`);
  }
}
if (failed.length) {
  console.error(`\nbenchmarks failed: ${failed.join(", ")}`);
  Deno.exit(1);
}
