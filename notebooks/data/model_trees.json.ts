/**
 * The same model's trees (our JSON) for the browser's TreeSHAP; `null` when none exists.
 * Lighter than the package's file and exactly the same model: thresholds and leaf values
 * are float32 (modelFromJSON reads them into Float32Array), so each is written with the
 * fewest digits that give back the same float32; split gains, which TreeSHAP does not use,
 * are written as 0.
 */
import { modelPackage, repo } from "./_artifacts.ts";

/** The shortest decimal that parses back to the same float32 as `x`. */
function float32Text(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return f;
  for (let p = 1; p < 9; p++) {
    const v = Number(f.toPrecision(p));
    if (Math.fround(v) === f) return v;
  }
  return Number(f.toPrecision(9));
}

interface TreeJSON {
  threshold: (number | string)[];
  value: number[];
  gain: number[];
}

const pkg = await modelPackage();
if (pkg === null) await Deno.stdout.write(new TextEncoder().encode("null"));
else {
  const model = JSON.parse(await Deno.readTextFile(repo(`${pkg.path}/model.json`)));
  for (const t of model.trees as TreeJSON[]) {
    // "Infinity" / "-Infinity" thresholds stay as the strings modelFromJSON expects.
    t.threshold = t.threshold.map((v) => typeof v === "number" ? float32Text(v) : v);
    t.value = t.value.map(float32Text);
    t.gain = t.gain.map(() => 0);
  }
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(model)));
}
