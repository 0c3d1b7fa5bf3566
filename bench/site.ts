/**
 * The report site: build time, bytes each page transfers (wasm apart from JS and data),
 * time to first chart in headless Chromium on localhost, and the What-if page's recompute
 * time (onnxruntime-web + TreeSHAP per input change). Goals (issue 6): first chart < 2 s,
 * what-if < 50 ms, no page over 5 MB of JS and data besides wasm.
 *
 * Bytes are as the test server sends them (no HTTP compression; the data files the loaders
 * gzip are counted gzipped). Each page loads in a fresh browser context (empty cache).
 *
 * Run: deno run -A bench/site.ts (builds the site from the artifacts present first).
 */
import { buildSite, DIST, PAGES } from "../tests/site/build.ts";
import { launch } from "../tests/site/browser.ts";
import { serveDist, type StaticServer } from "../tests/site/serve.ts";
import { ensureArtifacts } from "../tests/site/prepare.ts";
import { pageProblems } from "../tests/site/pages.ts";

const GOALS = { first_chart_ms: 2000, whatif_ms: 50, page_bytes: 5 * 1024 * 1024 };
const WHATIF_CHANGES = 25;

/** Charts: Plot's and d3's svg (and canvas) inside a card, not icons. */
const CHART =
  "main .card svg[class*=plot], main .card figure svg, main .card canvas, main svg[viewBox]";

function tally(server: StaticServer): { wasm: number; other: number; requests: number } {
  const t = { wasm: 0, other: 0, requests: server.requests };
  for (const [path, n] of server.sent) {
    if (path.endsWith(".wasm")) t.wasm += n;
    else t.other += n;
  }
  return t;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

const mb = (b: number) => (b / 1024 / 1024).toFixed(2);

export async function run(): Promise<Record<string, unknown>> {
  await ensureArtifacts();
  const { seconds: buildSeconds } = await buildSite();
  const server = serveDist(DIST);
  const browser = await launch();
  const pages: Record<string, unknown>[] = [];
  let whatif: Record<string, number> = {};
  try {
    for (const path of PAGES) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      // Record when the first chart appears, from navigation start (performance.now()).
      await context.addInitScript((selector: string) => {
        const w = globalThis as unknown as { __firstChart?: number };
        const check = () => {
          if (w.__firstChart === undefined && document.querySelector(selector)) {
            w.__firstChart = performance.now();
          }
        };
        new MutationObserver(check).observe(document, { childList: true, subtree: true });
      }, CHART);
      // Bytes as the server sent them: requests from workers (DuckDB's) count too.
      const before = tally(server);
      await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
      const problems = await pageProblems(page);
      const firstChart = await page.evaluate(() =>
        (globalThis as unknown as { __firstChart?: number }).__firstChart ?? null
      );
      const ready = await page.evaluate(() => performance.now());
      const after = tally(server);
      const bytes = {
        wasm: after.wasm - before.wasm,
        other: after.other - before.other,
        requests: after.requests - before.requests,
      };
      pages.push({
        page: path,
        js_and_data_mb: Number(mb(bytes.other)),
        wasm_mb: Number(mb(bytes.wasm)),
        requests: bytes.requests,
        first_chart_ms: firstChart === null ? null : Math.round(firstChart),
        all_cards_ms: Math.round(ready),
        problems: problems.length,
      });
      if (path === "/what-if.html") whatif = await whatIfTimes(page);
      // Pages with wasm: a second visit in the same browser (HTTP cache, compiled wasm kept).
      if (bytes.wasm > 0) {
        const again = await context.newPage();
        await again.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
        await pageProblems(again);
        const warm = await again.evaluate(() =>
          (globalThis as unknown as { __firstChart?: number }).__firstChart ?? null
        );
        const entry = pages.at(-1)!;
        entry.first_chart_warm_ms = warm === null ? null : Math.round(warm);
        entry.all_cards_warm_ms = Math.round(await again.evaluate(() => performance.now()));
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const charted = pages.filter((p) => p.first_chart_ms !== null);
  const worstChart = Math.max(...charted.map((p) => p.first_chart_ms as number));
  const heaviest = Math.max(...pages.map((p) => p.js_and_data_mb as number));
  const figures = {
    build_seconds: Number(buildSeconds.toFixed(1)),
    pages,
    first_chart_ms_worst: worstChart,
    js_and_data_mb_heaviest: heaviest,
    whatif,
    goals: {
      first_chart_under_2s: worstChart < GOALS.first_chart_ms,
      whatif_under_50ms: (whatif.input_to_update_ms_median ?? Infinity) < GOALS.whatif_ms,
      pages_under_5mb: heaviest * 1024 * 1024 < GOALS.page_bytes,
    },
  };
  print(figures);
  return figures;
}

/**
 * Moves the PM2.5 input through `WHATIF_CHANGES` values and times, in the page, each
 * change from the input event to the new prediction on screen; also the page's own
 * figure (ONNX run + TreeSHAP + interval).
 */
async function whatIfTimes(page: import("playwright-core").Page): Promise<Record<string, number>> {
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
          const target = document.querySelector("[data-testid=prediction]")!;
          const before = target.getAttribute("data-value");
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
    input_to_update_ms_median: Number(median(total).toFixed(1)),
    input_to_update_ms_max: Number(Math.max(...total).toFixed(1)),
    predict_and_shap_ms_median: Number(median(own).toFixed(2)),
  };
}

function print(f: {
  build_seconds: number;
  pages: Record<string, unknown>[];
  whatif: Record<string, number>;
  goals: Record<string, boolean>;
}): void {
  console.log(`site build: ${f.build_seconds} s`);
  console.log(
    "page".padEnd(16) + "JS+data MB".padStart(11) + "wasm MB".padStart(9) +
      "requests".padStart(10) + "first chart ms".padStart(16) + "all cards ms".padStart(14) +
      "  second visit: chart / all ms",
  );
  for (const p of f.pages) {
    console.log(
      String(p.page).padEnd(16) + String(p.js_and_data_mb).padStart(11) +
        String(p.wasm_mb).padStart(9) + String(p.requests).padStart(10) +
        String(p.first_chart_ms ?? "–").padStart(16) + String(p.all_cards_ms).padStart(14) +
        (p.first_chart_warm_ms !== undefined
          ? `  ${p.first_chart_warm_ms ?? "–"} / ${p.all_cards_warm_ms}`
          : ""),
    );
  }
  console.log(
    `what-if: input -> new prediction median ${f.whatif.input_to_update_ms_median} ms ` +
      `(max ${f.whatif.input_to_update_ms_max}); ONNX + TreeSHAP ${f.whatif.predict_and_shap_ms_median} ms`,
  );
  console.log(
    `goals: ${Object.entries(f.goals).map(([k, v]) => `${k} ${v ? "met" : "MISSED"}`).join(", ")}`,
  );
}

if (import.meta.main) await run();
