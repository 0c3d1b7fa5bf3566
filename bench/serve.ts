/**
 * Load benchmark of the prediction endpoint against the FastAPI + XGBoost reference
 * (../shared/anchors/serve_fastapi.py), side by side in one run, with wrk on loopback:
 * single-row POST at 16 connections (both), then batches of 1,000 rows (ours).
 *
 * Our endpoint serves the pipeline's model when there is one (registry production alias or
 * models/candidates/gbdt/), else a synthetic 500-tree package built here. The reference
 * trains XGBoost on the real PRSA files (anchors/prsa_task.py, cached in the temp dir).
 *
 *   deno run -A --unstable-kv bench/serve.ts [--duration 10]
 */
import { resolveModelDir } from "../src/serve/model.ts";
import { FEATURE_NAMES } from "../src/features/schema.ts";
import { featuresObject, SAMPLE_OBSERVATION, writeTestPackage } from "../tests/serve/_package.ts";
import { deriveRow } from "../src/features/derive.ts";

const ANCHORS = new URL("../../shared/anchors/", import.meta.url).pathname;
const PRSA = new URL("../../shared/data/prsa", import.meta.url).pathname;
// The features of the tests' sample observation; station code 0 exists in every model.
const ROW = featuresObject(
  deriveRow(SAMPLE_OBSERVATION, { stations: [SAMPLE_OBSERVATION.station] }),
);

export interface WrkResult {
  requestsPerSec: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  errors: number;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitFor(url: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Cannot start the service: ${url} did not answer 200 within ${seconds} s`);
}

const ms = (v: string, unit: string) =>
  Number(v) * (unit === "us" ? 1e-3 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 1);

/** Parses wrk's report (with --latency). */
export function parseWrk(text: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  const lat = (pct: string) => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(text);
    return m ? ms(m[1]!, m[2]!) : NaN;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requestsPerSec: num(/Requests\/sec:\s+([\d.]+)/),
    p50ms: lat("50"),
    p99ms: lat("99"),
    requests: num(/(\d+) requests in/),
    errors: socketErrors + (num(/Non-2xx or 3xx responses: (\d+)/) || 0),
  };
}

async function wrk(
  url: string,
  body: string,
  seconds: number,
  connections = 16,
): Promise<WrkResult> {
  const lua = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(
    lua,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${body}]==]\n`,
  );
  const out = await new Deno.Command("wrk", {
    args: ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", lua, url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(lua);
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) throw new Error(`wrk failed: ${new TextDecoder().decode(out.stderr)}`);
  return parseWrk(text);
}

async function python(): Promise<string> {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const ok = await new Deno.Command(py, {
      args: ["-c", "import fastapi, uvicorn, xgboost"],
      stdout: "null",
      stderr: "null",
    }).output().then((o) => o.success, () => false);
    if (ok) return py;
  }
  throw new Error("Cannot run the reference: no python3 with fastapi, uvicorn and xgboost");
}

async function referenceModel(py: string): Promise<string> {
  const path = `${Deno.env.get("TMPDIR") ?? "/tmp"}/aqlab_bench_xgb.json`;
  try {
    await Deno.stat(path);
    return path;
  } catch {
    const out = await new Deno.Command(py, {
      args: [`${ANCHORS}prsa_task.py`, PRSA, "--models", "xgb", "--save-model", path],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`Cannot train the reference: ${new TextDecoder().decode(out.stderr)}`);
    }
    return path;
  }
}

async function ourModelDir(): Promise<{ dir: string; what: string }> {
  const dir = await resolveModelDir();
  try {
    await Deno.stat(new URL("metadata.json", dir));
    return { dir: dir.pathname, what: `pipeline model (${dir.pathname})` };
  } catch {
    const pkg = await writeTestPackage({ trees: 500 });
    return { dir: pkg.dir, what: "synthetic 500-tree depth-4 package" };
  }
}

export async function run(options: { seconds?: number } = {}): Promise<Record<string, unknown>> {
  const seconds = options.seconds ?? 10;
  const py = await python();
  const xgbModel = await referenceModel(py);
  const model = await ourModelDir();
  const kvDir = await Deno.makeTempDir({ prefix: "aqlab_bench_kv_" });
  const ourPort = freePort(), refPort = freePort();
  const ours = new Deno.Command("deno", {
    args: ["run", "-A", "--unstable-kv", "src/serve/main.ts", "--listen"],
    cwd: new URL("../", import.meta.url).pathname,
    env: { PORT: String(ourPort), AQLAB_MODEL_DIR: model.dir, AQLAB_KV_PATH: `${kvDir}/log.kv` },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const ref = new Deno.Command(py, {
    args: [`${ANCHORS}serve_fastapi.py`, xgbModel, String(refPort)],
    env: { ASYNC: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitFor(`http://127.0.0.1:${ourPort}/ready`, 60);
    await waitFor(`http://127.0.0.1:${refPort}/health`, 60);
    const one = JSON.stringify({ features: ROW });
    const F = FEATURE_NAMES.length;
    const pkgRows = (await writeTestPackage({ trees: 1 })).X;
    const batch = JSON.stringify({
      rows: Array.from(
        { length: 1000 },
        (_, i) => featuresObject(pkgRows.data.slice((i % 800) * F, (i % 800 + 1) * F)),
      ),
    });
    // Warm both (JIT, first-request setup), then measure.
    await wrk(`http://127.0.0.1:${ourPort}/v1/predict`, one, 2);
    await wrk(`http://127.0.0.1:${refPort}/predict`, one, 2);
    const oursOne = await wrk(`http://127.0.0.1:${ourPort}/v1/predict`, one, seconds);
    const refOne = await wrk(`http://127.0.0.1:${refPort}/predict`, one, seconds);
    const oursBatch = await wrk(`http://127.0.0.1:${ourPort}/v1/predict`, batch, seconds, 4);
    const result = {
      model: model.what,
      reference: "FastAPI + pydantic + XGBoost 500 trees (async def handler), 1 uvicorn worker",
      wrk: `-t2 -c16 -d${seconds}s (batch: -c4)`,
      single: {
        aqlab: oursOne,
        fastapi: refOne,
        speedup: oursOne.requestsPerSec / refOne.requestsPerSec,
      },
      batch1000: { aqlab: { ...oursBatch, rowsPerSec: oursBatch.requestsPerSec * 1000 } },
    };
    const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "-");
    console.log(`\nserve load test, wrk ${result.wrk}; ours: ${model.what}`);
    console.log("| case | req/s | p50 ms | p99 ms | requests | errors |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (
      const [name, r] of [
        ["aqlab POST /v1/predict, 1 row", oursOne],
        ["FastAPI+XGBoost POST /predict, 1 row", refOne],
        ["aqlab POST /v1/predict, 1000 rows", oursBatch],
      ] as const
    ) {
      console.log(
        `| ${name} | ${f(r.requestsPerSec)} | ${f(r.p50ms, 2)} | ${
          f(r.p99ms, 2)
        } | ${r.requests} | ${r.errors} |`,
      );
    }
    console.log(
      `\nsingle row: ${f(result.single.speedup, 2)}x the reference's req/s (goal >= 3x), p99 ${
        f(oursOne.p99ms, 2)
      } ms (goal < 10 ms); batch: ${f(result.batch1000.aqlab.rowsPerSec, 0)} rows/s`,
    );
    return result;
  } finally {
    for (const child of [ours, ref]) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
    }
    await Deno.remove(kvDir, { recursive: true });
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--duration");
  await run({ seconds: i >= 0 ? Number(Deno.args[i + 1]) : 10 });
}
