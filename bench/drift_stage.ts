/**
 * Drift-stage benchmark at scale: the whole pipeline up to register on a synthetic set
 * (`--set synth.stations=N --set tune.enabled=false --set features.target=change --set
 * train.n_estimators=50`), then the drift stage judging a seeded sample of whole stations
 * (the default `drift.max_rows`) beside the same stage judging every row (`drift.max_rows`
 * above the row count: what the stage did before the cap), alternately, each in its own
 * process (peak RSS = its VmHWM), with the load average beside. Then Ctrl-C: the every-row
 * stage is sent SIGINT after `--interrupt-after` seconds and the time until it has exited
 * is measured. Everything happens in this benchmark's own temporary folder (it never reads
 * or writes the working copy's data/, models/ or reports/).
 *
 *   deno run -A --unstable-kv bench/drift_stage.ts [--stations 120] [--repeat 1]
 *     [--interrupt-after 20] [--max-rows 1000000]
 */
import process from "node:process";
import { join } from "node:path";
import { main } from "../pipeline/main.ts";

const UP_TO_REGISTER = [
  "synth",
  "ingest",
  "clean",
  "features",
  "split",
  "tune",
  "train",
  "pretrained",
  "evaluate",
  "explain",
  "register",
];

/** The parameters of the README's 453-station run, at `stations` stations. */
function sets(stations: number): string[] {
  return [
    `synth.stations=${stations}`,
    "tune.enabled=false",
    "features.target=change",
    "train.n_estimators=50",
  ].flatMap((s) => ["--set", s]);
}

/** Every row judged: a cap no synthetic set reaches. */
const EVERY_ROW = 2_000_000_000;

interface DriftMeasure {
  wall_s: number;
  cpu_s: number;
  peak_rss_mb: number;
  report_seconds: number;
  timings: Record<string, number>;
  reference_rows: number;
  current_rows: number;
  sampled: boolean;
  stations: string;
  headline: string;
}

/** In a child: one pipeline invocation in `root`; its own wall, CPU and peak RSS. */
async function childRun(kind: string, root: string, stations: number, maxRows: number) {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const args = kind === "setup"
    ? [...sets(stations), ...UP_TO_REGISTER.flatMap((s) => ["--only", s])]
    : [...sets(stations), "--only", "drift", "--force", "--set", `drift.max_rows=${maxRows}`];
  const code = await main(args, root);
  if (code !== 0) throw new Error(`Cannot measure: the pipeline (${kind}) exited with ${code}`);
  const cu = process.cpuUsage(c0);
  const base = {
    wall_s: (performance.now() - t0) / 1000,
    cpu_s: (cu.user + cu.system) / 1e6,
    peak_rss_mb: peakRssMb(),
  };
  if (kind === "setup") return base;
  const r = JSON.parse(await Deno.readTextFile(join(root, "reports/drift/latest.json")));
  return {
    ...base,
    report_seconds: r.seconds,
    timings: r.timings,
    reference_rows: r.reference.rows,
    current_rows: r.current.rows,
    sampled: r.sample.sampled,
    stations: `${r.sample.stations.judged} of ${r.sample.stations.total}`,
    headline: r.verdict.headline.text,
  } satisfies DriftMeasure;
}

function command(args: string[], output: "piped" | "null" = "piped") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", new URL(import.meta.url).pathname, "--child", ...args],
    stdout: output,
    stderr: output === "null" ? "null" : "inherit",
  });
}

async function child(args: string[]): Promise<Record<string, unknown>> {
  const p = await command(args).output();
  if (!p.success) throw new Error(`The measurement "${args.join(" ")}" failed`);
  const lines = new TextDecoder().decode(p.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!);
}

/** The every-row drift stage, interrupted after `after` s: how long until it has exited. */
async function interrupt(root: string, stations: number, after: number) {
  const p = command(["drift", root, String(stations), String(EVERY_ROW)], "null").spawn();
  let done = false;
  p.status.then(() => done = true);
  await new Promise((r) => setTimeout(r, after * 1000));
  if (done) return { after_s: after, exit_s: null, code: (await p.status).code };
  const t = performance.now();
  p.kill("SIGINT");
  const status = await p.status;
  return { after_s: after, exit_s: (performance.now() - t) / 1000, code: status.code };
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) / 1024 : Deno.memoryUsage().rss / 2 ** 20;
}

const loadavg = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const arg = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1]! : fallback;
  };
  const stations = Number(arg("--stations", "120"));
  const repeat = Number(arg("--repeat", "1"));
  const after = Number(arg("--interrupt-after", "20"));
  const cap = arg("--max-rows", "1000000");
  const root = await Deno.makeTempDir({ prefix: "aqlab-bench-drift-" });
  try {
    console.log(`${stations} stations: pipeline up to register (load ${loadavg()})`);
    const setup = await child(["setup", root, String(stations), "0"]);
    console.log(
      `  setup ${(setup.wall_s as number).toFixed(1)} s, peak RSS ${
        fmt(setup.peak_rss_mb as number)
      } MB`,
    );
    const sample: DriftMeasure[] = [], every: DriftMeasure[] = [];
    const loads = [loadavg()];
    for (let i = 0; i < repeat; i++) {
      // Which goes first alternates, so that a change of load does not favour one side.
      const pair = [["sample", cap], ["every", String(EVERY_ROW)]];
      for (const [name, cap] of i % 2 ? pair.reverse() : pair) {
        const m = await child(["drift", root, String(stations), cap!]) as unknown as DriftMeasure;
        (name === "sample" ? sample : every).push(m);
        loads.push(loadavg());
        console.log(
          `  drift, ${name === "sample" ? `sample (max_rows ${fmt(Number(cap))})` : "every row"}: ${
            m.wall_s.toFixed(1)
          } s wall, ${m.cpu_s.toFixed(1)} s CPU, peak RSS ${fmt(m.peak_rss_mb)} MB; ${
            fmt(m.reference_rows)
          } reference and ${fmt(m.current_rows)} current rows, ${m.stations} stations; phases ${
            JSON.stringify(m.timings)
          } (load ${loads[loads.length - 1]})\n    ${m.headline}`,
        );
      }
    }
    const med = (xs: DriftMeasure[], k: "wall_s" | "cpu_s") => median(xs.map((x) => x[k]));
    const ctrlC = await interrupt(root, stations, after);
    loads.push(loadavg());
    console.log(
      ctrlC.exit_s === null
        ? `  Ctrl-C: the every-row stage ended before ${after} s (use a larger set)`
        : `  Ctrl-C ${after} s into the every-row stage: exited ${
          ctrlC.exit_s.toFixed(2)
        } s later with code ${ctrlC.code} (load ${loads[loads.length - 1]})`,
    );
    const out = {
      stations,
      setup,
      sample,
      every,
      ratio_wall: med(sample, "wall_s") / med(every, "wall_s"),
      ratio_peak_rss: Math.max(...sample.map((x) => x.peak_rss_mb)) /
        Math.max(...every.map((x) => x.peak_rss_mb)),
      ctrl_c: ctrlC,
      load: loads,
    };
    console.log(
      `  sample / every row: wall ${out.ratio_wall.toFixed(2)}, peak RSS ${
        out.ratio_peak_rss.toFixed(2)
      } (median of ${repeat})`,
    );
    return out;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--child");
  if (i >= 0) {
    const [kind, root, stations, cap] = Deno.args.slice(i + 1) as [string, string, string, string];
    console.log(JSON.stringify(await childRun(kind, root, Number(stations), Number(cap))));
  } else await run(Deno.args);
}
