/**
 * The built report site in headless Chromium: every page loads with no console error and
 * no failed request, each chart card renders, nothing points outside the site, DuckDB-WASM
 * answers a filter. Screenshots go to tests/output/screenshots/.
 *
 * The test builds the site itself from the artifacts present (run `deno task pipeline`
 * first; with no data at all it fails and says so). Without Chromium it skips, except in
 * CI (CI=true), where a missing browser is a failure.
 */
import assert from "node:assert/strict";
import { buildSite, DIST, PAGES, ROOT } from "./build.ts";
import { hasChromium, launch } from "./browser.ts";
import { serveDist } from "./serve.ts";

const SHOTS = `${ROOT}tests/output/screenshots`;
const browserReady = await hasChromium();
if (!browserReady && Deno.env.get("CI") === "true") {
  throw new Error("Cannot run the browser tests: /usr/bin/chromium is missing (CI=true)");
}

/**
 * URLs the scan accepts in dist/, each with why it is harmless: the browser never fetches
 * them (XML namespaces, licence headers, an error message's link, package metadata).
 */
const ALLOWED_URLS = new Map<string, string>([
  ["http://www.w3.org/2000/svg", "SVG namespace"],
  ["http://www.w3.org/1999/xhtml", "XHTML namespace"],
  ["http://www.w3.org/1999/xlink", "XLink namespace"],
  ["http://www.w3.org/2000/xmlns/", "XMLNS namespace"],
  ["http://www.w3.org/XML/1998/namespace", "XML namespace"],
  ["http://www.apache.org/licenses/LICENSE-2.0", "licence header (onnxruntime-web)"],
  ["https://web.dev/cross-origin-isolation-guide/", "text of an onnxruntime-web warning"],
  ["https://github.com/duckdb/duckdb-wasm.git", "package.json metadata in duckdb-wasm"],
  ["https://github.com/emn178/js-sha256", "licence comment in the DuckDB worker"],
]);
/** What counts as a rendered card: a chart, a table, a figure, or a missing-data note. */
const CONTENT = "svg, canvas, table, pre, .big, [data-missing]";
const TEXT = /\.(html|js|mjs|css|json|md|txt|svg)$/;

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (e.isFile) yield p;
  }
}

let built = false;
async function ensureBuilt() {
  if (!built) {
    await buildSite();
    built = true;
  }
}

Deno.test("site: the build contains no URL to an outside host", async () => {
  await ensureBuilt();
  const bad: string[] = [];
  let files = 0;
  for await (const path of walk(DIST)) {
    if (!TEXT.test(path)) continue;
    files++;
    const text = await Deno.readTextFile(path);
    for (const m of text.matchAll(/https?:\/\/[^\s"'`()<>{}\\]+/g)) {
      const url = m[0].replace(/[.,;]+$/, "");
      const host = new URL(url).hostname;
      if (host === "localhost" || host === "127.0.0.1") continue;
      if (!ALLOWED_URLS.has(url)) bad.push(`${path.slice(DIST.length)}: ${url}`);
    }
  }
  assert.ok(files > 10, `expected the built site's text files, found ${files}`);
  assert.deepEqual(bad, [], `outside URLs in dist/:\n${bad.join("\n")}`);
});

Deno.test({
  name: "site: every page loads in Chromium with no error, charts render; DuckDB-WASM filters",
  ignore: !browserReady,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureBuilt();
    await Deno.mkdir(SHOTS, { recursive: true });
    const server = serveDist(DIST);
    const browser = await launch();
    try {
      for (const path of PAGES) {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") problems.push(`console: ${m.text().slice(0, 300)}`);
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        page.on(
          "requestfailed",
          (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`),
        );
        page.on("response", (r) => {
          if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
        });
        page.on("request", (r) => {
          if (!r.url().startsWith(server.url) && !r.url().startsWith("data:")) {
            problems.push(`outside request: ${r.url()}`);
          }
        });
        await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
        // Cells run after load (DuckDB, ONNX): wait until every card has content or a note.
        const ready = await page.waitForFunction(
          (content) =>
            [...document.querySelectorAll(".card")].every((c) =>
              !c.querySelector("h2") || c.querySelector(content)
            ),
          CONTENT,
          { timeout: 30_000 },
        ).then(() => true, () => false);
        if (!ready) problems.push("cards still empty after 30 s");
        const errors = await page.$$eval(
          ".observablehq--error",
          (els) => els.map((e) => e.textContent),
        );
        problems.push(...errors.map((e) => `cell error: ${e}`));
        // Every card with a chart heading holds an svg or canvas, unless it says data is missing.
        const empty = await page.$$eval(
          ".card",
          (cards, CONTENT) =>
            cards.filter((c) => c.querySelector("h2") && !c.querySelector(CONTENT)).map((c) =>
              c.querySelector("h2")?.textContent ?? "?"
            ),
          CONTENT,
        );
        problems.push(...empty.map((h) => `empty card: ${h}`));
        const name = path === "/" ? "index" : path.slice(1);
        await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
        if (path === "/data") {
          await page.waitForFunction(
            () => /\d/.test(document.querySelector("[data-testid=hours]")?.textContent ?? ""),
            undefined,
            { timeout: 30_000 },
          );
          const all = await page.textContent("[data-testid=hours]");
          await page.selectOption("select", { index: 1 });
          await page.waitForFunction(
            (before) => document.querySelector("[data-testid=hours]")?.textContent !== before,
            all,
            { timeout: 15_000 },
          );
          const one = await page.textContent("[data-testid=hours]");
          const n = (s: string | null) => Number(String(s).replaceAll(",", ""));
          assert.ok(n(one) > 0 && n(one) < n(all), `station filter: ${one} of ${all} hours`);
        }
        await page.close();
        assert.deepEqual(problems, [], `page ${path}:\n${problems.join("\n")}`);
      }
    } finally {
      await browser.close();
      await server.close();
    }
  },
});
