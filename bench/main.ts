/**
 * `deno task bench [name ...]`: runs the benchmarks (all by default) and writes their
 * figures to `reports/bench/<name>.json`. Each `bench/<name>.ts` runs alone too.
 */
const ALL = ["data", "gbdt", "onnx", "explain", "drift", "serve", "site", "synth"];
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
    const figures = await mod.run(Deno.args.filter((a) => a.startsWith("-")));
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
