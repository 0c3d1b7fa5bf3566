/**
 * The report site in headless Chromium, served from dist/ by the test server (no rewriting,
 * no compression, hashed files cacheable): for every page, the bytes it transfers (wasm
 * apart from JS and data), when its first chart appears, when its first in-browser answer
 * appears (DuckDB-WASM on Data and Score a slice, the first ONNX prediction on What-if) and
 * when every card is filled, each on a cold visit (fresh browser context, empty cache) and a
 * warm one (second visit, HTTP cache filled), median of `--repeat` runs.
 *
 * References, measured in the same run, browser and server: DuckDB-WASM started alone and
 * onnxruntime-web's session plus one prediction alone, on a blank page of the same origin,
 * cold and warm. A page's first answer divided by its engine's start is what the page adds.
 * The goals (issue 15): first chart under 2 s, DuckDB pages' first answer under 4 s,
 * What-if's first prediction under 2 s; What-if recomputes in under 50 ms per input change.
 * The machine's load (uptime) is printed beside the figures: they move with it.
 *
 * Run: deno run -A bench/site.ts [--repeat N] (builds the site from the artifacts present
 * first; a clean clone runs a small pipeline, see tests/site/prepare.ts).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildSite, DIST, pageName, PAGES } from "../tests/site/build.ts";
import { launch } from "../tests/site/browser.ts";
import { serveDist, type StaticServer } from "../tests/site/serve.ts";
import { ensureArtifacts } from "../tests/site/prepare.ts";
import { pageProblems } from "../tests/site/pages.ts";

const GOALS = { first_chart_ms: 2000, duck_answer_ms: 4000, whatif_prediction_ms: 2000 };
const WHATIF_UPDATE_MS = 50;
const WHATIF_CHANGES = 25;

/** Charts: Plot's and d3's svg (and canvas) inside a card, not icons. */
const CHART =
  "main .card svg[class*=plot], main .card figure svg, main .card canvas, main svg[viewBox]";

/**
 * A page's first answer: the element that shows the result of its in-browser work, and the
 * attribute that holds a number once it is there (else its text has a digit).
 */
const ANSWERS: Record<string, { selector: string; attr?: string; engine: "duckdb" | "onnx" }> = {
  "/data.html": { selector: "[data-testid=hours]", engine: "duckdb" },
  "/score.html": { selector: "[data-testid=scored]", attr: "data-rows", engine: "duckdb" },
  "/what-if.html": { selector: "[data-testid=prediction]", attr: "data-value", engine: "onnx" },
};

interface Visit {
  first_chart_ms: number | null;
  first_answer_ms: number | null;
  all_cards_ms: number;
  other_bytes: number;
  wasm_bytes: number;
  requests: number;
  problems: number;
}

function median(xs: (number | null)[]): number | null {
  const s = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : null;
}

const mb = (b: number) => Number((b / 1024 / 1024).toFixed(2));

function sent(server: StaticServer): { wasm: number; other: number; requests: number } {
  const t = { wasm: 0, other: 0, requests: server.requests };
  for (const [path, n] of server.sent) {
    if (path.endsWith(".wasm")) t.wasm += n;
    else t.other += n;
  }
  return t;
}

/** Records, from navigation start, when the first chart and the first answer appear. */
async function instrument(context: BrowserContext): Promise<void> {
  await context.addInitScript(({ chart, answers }) => {
    const w = globalThis as unknown as { __chart?: number; __answer?: number };
    const answer = answers[location.pathname];
    const check = () => {
      const now = performance.now();
      if (w.__chart === undefined && document.querySelector(chart)) w.__chart = now;
      if (answer && w.__answer === undefined) {
        const e = document.querySelector(answer.selector);
        const ok = e &&
          (answer.attr
            ? Number.isFinite(parseFloat(e.getAttribute(answer.attr) ?? ""))
            : /\d/.test(e.textContent ?? ""));
        if (ok) w.__answer = now;
      }
    };
    new MutationObserver(check).observe(document, {
      childList: true,
      subtree: true,
      attributes: true,
      characterData: true,
    });
  }, { chart: CHART, answers: ANSWERS });
}

async function visit(context: BrowserContext, server: StaticServer, path: string): Promise<Visit> {
  const page = await context.newPage();
  const before = sent(server);
  await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
  const problems = await pageProblems(page);
  if (ANSWERS[path]) {
    await page.waitForFunction(() => (globalThis as { __answer?: number }).__answer, null, {
      timeout: 30_000,
    }).catch(() => problems.push("no first answer"));
  }
  const t = await page.evaluate(() => {
    const w = globalThis as unknown as { __chart?: number; __answer?: number };
    return { chart: w.__chart ?? null, answer: w.__answer ?? null, now: performance.now() };
  });
  const after = sent(server);
  await page.close();
  const round = (x: number | null) => x === null ? null : Math.round(x);
  return {
    first_chart_ms: round(t.chart),
    first_answer_ms: round(t.answer),
    all_cards_ms: Math.round(t.now),
    other_bytes: after.other - before.other,
    wasm_bytes: after.wasm - before.wasm,
    requests: after.requests - before.requests,
    problems: problems.length,
  };
}

/** Built file of `lib/<stem>` with extension `ext`, as a URL path. */
function libFile(stem: string, ext: string): string {
  for (const e of Deno.readDirSync(`${DIST}/_file/lib`)) {
    // Framework's name for a built file: <stem>.<8 hex digits of its hash><ext>.
    const rest = e.name.slice(stem.length + 1);
    if (
      e.name.startsWith(`${stem}.`) && /^[0-9a-f]{8}$/.test(rest.slice(0, -ext.length)) &&
      rest.endsWith(ext)
    ) return `/_file/lib/${e.name}`;
  }
  throw new Error(`Cannot find lib/${stem}${ext} in dist: expected a built loader output`);
}

function modelFile(): string {
  for (const e of Deno.readDirSync(`${DIST}/_file/data`)) {
    if (e.name.startsWith("model.") && e.name.endsWith(".onnx")) return `/_file/data/${e.name}`;
  }
  throw new Error("Cannot find data/model.onnx in dist: expected a built loader output");
}

/**
 * The engines alone on a blank page of the same origin (the server's 404 page), timed from
 * navigation start like the pages: DuckDB-WASM instantiated and connected; onnxruntime-web's
 * session on the site's model and one prediction.
 */
async function engineStart(page: Page, server: StaticServer, engine: "duckdb" | "onnx") {
  await page.goto(`${server.url}/blank-reference-page`);
  const files = engine === "duckdb"
    ? {
      lib: libFile("duck", ".js"),
      worker: libFile("duckdb-eh.worker", ".js"),
      wasm: libFile("duckdb-eh", ".wasm"),
    }
    : {
      lib: libFile("aqlab", ".js"),
      wasm: libFile("ort-wasm-simd-threaded", ".wasm"),
      mjs: libFile("ort-wasm-simd-threaded", ".mjs"),
      model: modelFile(),
    };
  return Math.round(
    await page.evaluate(async ({ engine, files }) => {
      const lib = await import(files.lib!);
      const abs = (u: string) => new URL(u, location.href).href;
      if (engine === "duckdb") {
        await lib.openDuck({ workerUrl: files.worker, wasmUrl: files.wasm });
      } else {
        const bytes = new Uint8Array(await (await fetch(files.model!)).arrayBuffer());
        const s = await lib.createSession(bytes, {
          wasmPaths: { wasm: abs(files.wasm!), mjs: abs(files.mjs!) },
        });
        const n = lib.FEATURE_NAMES.length;
        await s.run({
          data: new Float32Array(n),
          nRows: 1,
          nCols: n,
          names: [...lib.FEATURE_NAMES],
        });
      }
      return performance.now();
    }, { engine, files }),
  );
}

async function references(browser: Browser, server: StaticServer, repeat: number) {
  const out: Record<string, { cold: number | null; warm: number | null }> = {};
  for (const engine of ["duckdb", "onnx"] as const) {
    const cold: number[] = [], warm: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const context = await browser.newContext();
      for (const list of [cold, warm]) {
        const page = await context.newPage();
        list.push(await engineStart(page, server, engine));
        await page.close();
      }
      await context.close();
    }
    out[engine] = { cold: median(cold), warm: median(warm) };
  }
  return out;
}

/**
 * Moves the PM2.5 input through `WHATIF_CHANGES` values and times, in the page, each
 * change from the input event to the new prediction on screen; also the page's own figure
 * (the ONNX run).
 */
async function whatIfTimes(page: Page): Promise<Record<string, number>> {
  const sel = "[data-testid=prediction]";
  await page.waitForFunction(
    (s) => Number.isFinite(parseFloat(document.querySelector(s)?.getAttribute("data-value") ?? "")),
    sel,
    { timeout: 30_000 },
  );
  const input = page.getByLabel("PM2.5 (µg/m³)", { exact: true });
  const total: number[] = [], own: number[] = [];
  for (let i = 0; i < WHATIF_CHANGES; i++) {
    const value = String(20 + i * 13);
    const ms = await input.evaluate(
      (el: HTMLInputElement, v: string) =>
        new Promise<number>((resolve, reject) => {
          const before = document.querySelector("[data-testid=prediction]")!
            .getAttribute("data-value");
          const t0 = performance.now();
          const timer = setTimeout(() => reject(new Error("no update in 5 s")), 5000);
          const obs = new MutationObserver(() => {
            const now = document.querySelector("[data-testid=prediction]");
            if (now && now.getAttribute("data-value") !== before) {
              obs.disconnect();
              clearTimeout(timer);
              resolve(performance.now() - t0);
            }
          });
          obs.observe(document.body, { subtree: true, childList: true, attributes: true });
          el.value = v;
          el.dispatchEvent(new Event("input", { bubbles: true }));
        }),
      value,
    );
    total.push(ms);
    own.push(Number(await page.getAttribute(sel, "data-ms")));
  }
  return {
    changes: WHATIF_CHANGES,
    input_to_update_ms_median: Number(median(total)!.toFixed(1)),
    input_to_update_ms_max: Number(Math.max(...total).toFixed(1)),
    predict_ms_median: Number(median(own)!.toFixed(2)),
  };
}

async function load(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

export async function run(
  { repeat = 3 }: { repeat?: number } = {},
): Promise<Record<string, unknown>> {
  await ensureArtifacts();
  const { seconds: buildSeconds } = await buildSite();
  const server = serveDist(DIST);
  const browser = await launch();
  const loadBefore = await load();
  const pages: Record<string, unknown>[] = [];
  let whatif: Record<string, number> = {};
  let refs: Awaited<ReturnType<typeof references>>;
  try {
    refs = await references(browser, server, repeat);
    for (const path of PAGES) {
      const cold: Visit[] = [], warm: Visit[] = [];
      for (let r = 0; r < repeat; r++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await instrument(context);
        cold.push(await visit(context, server, path));
        warm.push(await visit(context, server, path));
        if (path === "/what-if.html" && r === 0) {
          const page = await context.newPage();
          await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
          whatif = await whatIfTimes(page);
          await page.close();
        }
        await context.close();
      }
      const m = (list: Visit[], k: keyof Visit) => median(list.map((v) => v[k] as number | null));
      pages.push({
        page: pageName(path),
        js_and_data_mb: mb(m(cold, "other_bytes")!),
        wasm_mb: mb(m(cold, "wasm_bytes")!),
        requests: m(cold, "requests"),
        first_chart_ms: { cold: m(cold, "first_chart_ms"), warm: m(warm, "first_chart_ms") },
        first_answer_ms: ANSWERS[path]
          ? { cold: m(cold, "first_answer_ms"), warm: m(warm, "first_answer_ms") }
          : null,
        answer_engine: ANSWERS[path]?.engine ?? null,
        all_cards_ms: { cold: m(cold, "all_cards_ms"), warm: m(warm, "all_cards_ms") },
        problems: Math.max(...cold.map((v) => v.problems), ...warm.map((v) => v.problems)),
      });
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const figures = {
    build_seconds: Number(buildSeconds.toFixed(1)),
    repeat,
    load_before: loadBefore,
    load_after: await load(),
    references: refs,
    pages,
    whatif,
    goals: goalsOf(pages, whatif),
  };
  print(figures);
  return figures;
}

type Pair = { cold: number | null; warm: number | null };

function goalsOf(pages: Record<string, unknown>[], whatif: Record<string, number>) {
  const worst = (f: (p: Record<string, unknown>) => Pair | null, key: "cold" | "warm") =>
    Math.max(...pages.map((p) => f(p)?.[key] ?? -Infinity));
  const duck = (p: Record<string, unknown>) =>
    p.answer_engine === "duckdb" ? p.first_answer_ms as Pair : null;
  const onnx = (p: Record<string, unknown>) =>
    p.answer_engine === "onnx" ? p.first_answer_ms as Pair : null;
  const chart = (p: Record<string, unknown>) => p.first_chart_ms as Pair;
  const out: Record<string, { worst_ms: number; goal_ms: number; met: boolean }> = {};
  for (const key of ["cold", "warm"] as const) {
    for (
      const [name, f, goal] of [
        ["first_chart", chart, GOALS.first_chart_ms],
        ["duckdb_first_answer", duck, GOALS.duck_answer_ms],
        ["whatif_first_prediction", onnx, GOALS.whatif_prediction_ms],
      ] as const
    ) {
      const w = worst(f, key);
      out[`${name}_${key}`] = { worst_ms: w, goal_ms: goal, met: w < goal };
    }
  }
  const u = whatif.input_to_update_ms_median ?? Infinity;
  out.whatif_update = { worst_ms: u, goal_ms: WHATIF_UPDATE_MS, met: u < WHATIF_UPDATE_MS };
  return out;
}

function print(f: {
  build_seconds: number;
  repeat: number;
  load_before: string;
  load_after: string;
  references: Record<string, Pair>;
  pages: Record<string, unknown>[];
  whatif: Record<string, number>;
  goals: Record<string, { worst_ms: number; goal_ms: number; met: boolean }>;
}): void {
  const pair = (p: Pair | null) => p ? `${p.cold ?? "–"} / ${p.warm ?? "–"}` : "–";
  console.log(
    `site build ${f.build_seconds} s; median of ${f.repeat} visits per page, cold / warm ms; ` +
      `load average ${f.load_before} before, ${f.load_after} after (2 cores)`,
  );
  console.log(
    "page".padEnd(14) + "JS+data MB".padStart(11) + "wasm MB".padStart(9) + "req".padStart(5) +
      "first chart".padStart(15) + "first answer".padStart(15) + "× engine".padStart(11) +
      "all cards".padStart(15),
  );
  for (const p of f.pages) {
    const a = p.first_answer_ms as Pair | null;
    const ref = p.answer_engine ? f.references[p.answer_engine as string] : null;
    const ratio = a && ref?.cold && a.cold ? (a.cold / ref.cold).toFixed(2) : "–";
    console.log(
      String(p.page).padEnd(14) + String(p.js_and_data_mb).padStart(11) +
        String(p.wasm_mb).padStart(9) + String(p.requests).padStart(5) +
        pair(p.first_chart_ms as Pair).padStart(15) + pair(a).padStart(15) +
        ratio.padStart(11) + pair(p.all_cards_ms as Pair).padStart(15),
    );
  }
  console.log(
    `references on a blank page: DuckDB-WASM start ${pair(f.references.duckdb!)} ms; ` +
      `onnxruntime-web session + 1 prediction ${pair(f.references.onnx!)} ms (× engine: ` +
      "the page's cold first answer over its engine's cold start)",
  );
  console.log(
    `what-if: input -> new prediction median ${f.whatif.input_to_update_ms_median} ms ` +
      `(max ${f.whatif.input_to_update_ms_max}); ONNX run ${f.whatif.predict_ms_median} ms`,
  );
  console.log(
    "goals: " +
      Object.entries(f.goals).map(([k, g]) =>
        `${k} ${g.worst_ms} ms < ${g.goal_ms} ${g.met ? "met" : "MISSED"}`
      ).join("; "),
  );
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--repeat");
  await run({ repeat: i >= 0 ? Number(Deno.args[i + 1]) : 3 });
}
