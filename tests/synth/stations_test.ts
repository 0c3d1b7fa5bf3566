import assert from "node:assert/strict";
import {
  formatStationsCsv,
  PRSA_STATIONS,
  STATIONS,
  SYNTH_STATIONS,
} from "../../src/data/stations.ts";
import { synthStations } from "../../src/data/synth/stations.ts";
import { generateSynth } from "../../src/data/synth/mod.ts";

Deno.test("the 12 PRSA stations carry the stated types", () => {
  assert.equal(PRSA_STATIONS.length, 12);
  const type = Object.fromEntries(PRSA_STATIONS.map((s) => [s.station, s.type]));
  assert.equal(type.Dingling, "rural");
  for (const s of ["Huairou", "Changping", "Shunyi"]) assert.equal(type[s], "suburban", s);
  assert.equal(PRSA_STATIONS.filter((s) => s.type === "urban").length, 8);
  // Every PRSA site lies within Beijing's municipal area.
  for (const s of PRSA_STATIONS) {
    assert.ok(s.lat > 39.4 && s.lat < 41.1 && s.lon > 115.4 && s.lon < 117.5);
  }
});

Deno.test("synthetic station names are stable for a seed, unique, and never real names", () => {
  const a = synthStations(453, 3), b = synthStations(453, 3), c = synthStations(12, 4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.slice(0, 12), c);
  // Station k does not depend on how many stations are asked for.
  assert.deepEqual(synthStations(12, 3), a.slice(0, 12));
  const names = new Set(a.map((s) => s.station));
  assert.equal(names.size, a.length);
  for (const s of PRSA_STATIONS) assert.ok(!names.has(s.station), s.station);
  for (const s of a) assert.match(s.station, /^[A-Z][a-z]+$/);
  assert.ok(a.some((s) => s.type === "rural") && a.some((s) => s.type === "suburban"));
  assert.equal(STATIONS.length, PRSA_STATIONS.length + SYNTH_STATIONS.length);
});

Deno.test("stations.csv has the pipeline's columns and one line per station", async () => {
  const text = formatStationsCsv(PRSA_STATIONS);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "station,type,lat,lon");
  assert.equal(lines.length, 13);
  assert.equal(lines[3], "Dingling,rural,40.2920,116.2200");
  assert.throws(
    () => formatStationsCsv([{ station: "a,b", type: "urban", lat: 0, lon: 0 }]),
    TypeError,
  );

  const dir = await Deno.makeTempDir();
  try {
    const r = await generateSynth({
      stations: 3,
      years: 1,
      outDir: `${dir}/raw`,
      stationsFile: `${dir}/stations.csv`,
    });
    const meta = (await Deno.readTextFile(`${dir}/stations.csv`)).trimEnd().split("\n").slice(1);
    assert.deepEqual(meta.map((l) => l.split(",")[0]), r.stations.map((s) => s.station));
    for (const [i, f] of r.files.entries()) assert.ok(f.includes(`_${r.stations[i]!.station}_`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad options fail with messages that name the value", async () => {
  await assert.rejects(
    () => generateSynth({ years: 0, outDir: "/nonexistent" }),
    /Cannot build a timeline of 0 years/,
  );
  await assert.rejects(
    () => generateSynth({ start: "2013-02-30", outDir: "/nonexistent" }),
    /Cannot parse start "2013-02-30"/,
  );
  assert.throws(() => synthStations(0, 1), RangeError);
});
