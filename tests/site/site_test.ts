/**
 * The built report site in headless Chromium, served by a static server that rewrites
 * nothing (serve.ts): every sidebar link works at desktop and phone width; every page loads
 * with no console error, Plot warning or failed request, each chart card renders, nothing
 * points outside the site; the content takes the full width and tables fit or scroll in
 * their cards; no chart is drawn from a sample unless it says so (the Data page's histogram
 * counts every hour of clean.parquet); DuckDB-WASM answers a filter; the What-if page's
 * in-browser ONNX prediction equals onnxruntime's in Deno and the endpoint's, flags included;
 * Score-a-slice scores exactly the rows of the chosen station and dates, with persistence's
 * RMSE as the pipeline defines it. Desktop screenshots go to tests/output/screenshots/
 * (phone and dark: tests/site/screenshots.ts).
 *
 * From a clean clone the test runs a small pipeline first (see prepare.ts), then builds.
 * Without Chromium the browser test skips, except in CI (CI=true), where it fails.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { buildSite, DIST, pageName, PAGES, ROOT } from "./build.ts";
import { hasChromium, launch } from "./browser.ts";
import { serveDist, type StaticServer } from "./serve.ts";
import { ensureArtifacts } from "./prepare.ts";
import { clickSidebarLinks } from "./links.ts";
import { driftStoryProblems } from "./drift.ts";
import { intervalCardProblems } from "./evaluation.ts";
import { runsPageProblems } from "./runs.ts";
import { DESKTOP, layoutProblems } from "./layout.ts";
import { evaluationTotals, sampleHeadings, samplingPages, unlabelledSamples } from "./samples.ts";
import { distFile, pageProblems, watchPage } from "./pages.ts";
import { createHandler } from "../../src/serve/handler.ts";
import { loadModel } from "../../src/serve/model.ts";
import { createSession } from "../../src/onnx/session.ts";
import { FEATURE_NAMES, TARGET } from "../../src/features/schema.ts";
import { OBSERVATION_NUMBERS } from "../../src/features/derive.ts";
import { all, lit, openDuck } from "../../src/data/duck.ts";

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
  ["http://$", "a regular expression's text in linkify-it (markdown-it), not a URL"],
]);
const TEXT = /\.(html|js|mjs|css|json|md|txt|svg)$/;

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (e.isFile) yield p;
  }
}

let built: Promise<unknown> | undefined;
function ensureBuilt(): Promise<unknown> {
  return built ??= ensureArtifacts().then(() => buildSite());
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
      const host = URL.canParse(url) ? new URL(url).hostname : url;
      if (host === "localhost" || host === "127.0.0.1") continue;
      if (!ALLOWED_URLS.has(url)) bad.push(`${path.slice(DIST.length)}: ${url}`);
    }
  }
  assert.ok(files > 10, `expected the built site's text files, found ${files}`);
  assert.deepEqual(bad, [], `outside URLs in dist/:\n${bad.join("\n")}`);
});

/** Opens `path` watched for errors; waits until its cards have content. */
async function open(browser: Browser, server: StaticServer, path: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watchPage(page, server.url);
  await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
  problems.push(...await pageProblems(page));
  return { page, problems };
}

/** The endpoint's JSON answer for one observation (in process, no server). */
async function predictOn(
  endpoint: { fetch: (r: Request) => Response | Promise<Response> },
  observation: unknown,
  o: { explain?: boolean } = {},
) {
  const url = `http://localhost/v1/predict${o.explain ? "?explain=true" : ""}`;
  return await (await endpoint.fetch(
    new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ observation }),
    }),
  )).json();
}

async function numberOf(page: Page, selector: string, attr: string): Promise<number> {
  return Number(await page.getAttribute(selector, attr));
}

Deno.test({
  name: "site: pages, What-if, Score a slice and DuckDB-WASM in Chromium",
  ignore: !browserReady,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await ensureBuilt();
    await Deno.mkdir(SHOTS, { recursive: true });
    const server = serveDist(DIST);
    const browser = await launch();
    try {
      await t.step("every page loads with no error and every chart card renders", async () => {
        const all: string[] = [];
        for (const path of PAGES) {
          const { page, problems } = await open(browser, server, path);
          await page.screenshot({ path: `${SHOTS}/${pageName(path)}.png`, fullPage: true });
          problems.push(...(await unlabelledSamples(page)).map((h) => `sample unlabelled: ${h}`));
          await page.close();
          all.push(...problems.map((p) => `${path}: ${p}`));
        }
        assert.deepEqual(all, [], `problems:\n${all.join("\n")}`);
      });

      for (const width of [DESKTOP, 390]) {
        await t.step(
          `full-width pages; tables fit or scroll in their card at ${width} px`,
          async () => {
            const all: string[] = [];
            for (const path of PAGES) {
              const page = await browser.newPage({ viewport: { width, height: 900 } });
              await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
              await pageProblems(page);
              all.push(...(await layoutProblems(page, width)).map((p) => `${path}: ${p}`));
              await page.close();
            }
            assert.deepEqual(all, [], `layout at ${width} px:\n${all.join("\n")}`);
          },
        );
      }

      await t.step("no chart is drawn from a sample unless it says so", async () => {
        assert.deepEqual(await samplingPages(), [], "pages with SQL that samples");
        assert.deepEqual(await evaluationTotals(), []);
        // The Explanations page's samples, with the loader's own counts in their headings.
        const { sample } = JSON.parse(
          await Deno.readTextFile(await distFile("data/explain", ".json")),
        );
        const { page } = await open(browser, server, "/explanations.html");
        const headings = await sampleHeadings(page);
        await page.close();
        const fmt = (n: number) => n.toLocaleString("en-US");
        assert.ok(headings.length >= 4, `sample cards: ${headings.join(" | ")}`);
        assert.ok(headings.some((h) => h.includes(`sample of ${fmt(sample.swarm)} hours`)));
        assert.ok(headings.some((h) => h.includes(`sample of ${fmt(sample.explained)} hours`)));
      });

      for (const width of [1280, 390]) {
        await t.step(
          `every sidebar link works on a plain static server at ${width} px`,
          async () => {
            const { problems, reached } = await clickSidebarLinks(browser, server, width);
            assert.deepEqual(problems, [], `sidebar at ${width} px:\n${problems.join("\n")}`);
            assert.ok(reached.length > PAGES.length, `clicked ${reached.length} links`);
          },
        );
      }

      await t.step("Data page: DuckDB-WASM filters; the histogram counts every hour", async () => {
        const { page, problems } = await open(browser, server, "/data.html");
        const clean = `${ROOT}data/processed/clean.parquet`;
        const c = await openDuck();
        const nativeCount = async (station: string | null) =>
          Number(
            (await all(
              c,
              `SELECT count(pm25)::INT AS n FROM read_parquet(${lit(clean)})
               ${station ? `WHERE station = ${lit(station)}` : ""}`,
            ))[0]!.n,
          );
        // The page's own counts: hours selected, hours with PM2.5, and the histogram's total.
        const read = () =>
          page.evaluate(() => {
            const q = (s: string) => document.querySelector(`[data-testid=${s}]`);
            return {
              hours: Number(q("hours")?.textContent?.replaceAll(",", "")),
              pm25: Number(q("pm25-hours")?.getAttribute("data-hours")),
              hist: Number(q("pm25-hist")?.getAttribute("data-hours")),
            };
          });
        const settled = (before: number) =>
          page.waitForFunction(
            (b) => {
              const q = (s: string) => document.querySelector(`[data-testid=${s}]`);
              const pm = q("pm25-hours")?.getAttribute("data-hours");
              return pm && pm !== String(b) && q("pm25-hist")?.getAttribute("data-hours") === pm;
            },
            before,
            { timeout: 30_000 },
          );
        await settled(-1);
        const whole = await read();
        assert.equal(whole.hist, whole.pm25, "histogram bars sum to the hours with PM2.5");
        assert.equal(whole.hist, await nativeCount(null), "histogram vs clean.parquet");
        await page.selectOption("select", { index: 1 });
        const station = await page.$eval(
          "select",
          (s: HTMLSelectElement) => s.selectedOptions[0]!.textContent!,
        );
        await settled(whole.pm25);
        const one = await read();
        assert.ok(one.hours > 0 && one.hours < whole.hours, `${station}: ${one.hours} hours`);
        assert.equal(one.hist, one.pm25, `${station}: histogram vs hours with PM2.5`);
        assert.equal(one.hist, await nativeCount(station), `${station}: histogram vs parquet`);
        await page.close();
        assert.deepEqual(problems, []);
      });

      await t.step(
        "Evaluation: interval coverage by band of the truth, of the prediction and by station",
        async () => {
          const { page, problems } = await open(browser, server, "/evaluation.html");
          problems.push(...await intervalCardProblems(page));
          await page.close();
          assert.deepEqual(problems, []);
        },
      );

      await t.step("Runs and tuning: the chosen configuration's folds, CV columns", async () => {
        const { page, problems } = await open(browser, server, "/runs.html");
        problems.push(...await runsPageProblems(page));
        await page.close();
        assert.deepEqual(problems, []);
      });

      await t.step("What-if: browser ONNX = Deno ONNX on a real row; inputs move it", async () => {
        const { page, problems } = await open(browser, server, "/what-if.html");
        const pred = "[data-testid=prediction]";
        await page.waitForFunction(
          (s) =>
            Number.isFinite(
              parseFloat(document.querySelector(s)?.getAttribute("data-value") ?? ""),
            ),
          pred,
          { timeout: 30_000 },
        );
        const inBrowser = await numberOf(page, pred, "data-value");
        const station = await page.getAttribute(pred, "data-station");
        const time = await page.getAttribute(pred, "data-time");
        // The same row's stored feature vector (features stage) and the same model file.
        const { rows } = JSON.parse(
          await Deno.readTextFile(await distFile("data/whatif_rows", ".json")),
        );
        const row = rows.find((r: Record<string, unknown>) =>
          r.station === station && r.time === time
        );
        assert.ok(row, `row ${station} ${time} not in whatif_rows.json`);
        const x = Float32Array.from(FEATURE_NAMES, (n) => row[n] ?? NaN);
        const scorer = await createSession(
          await Deno.readFile(await distFile("data/model", ".onnx")),
        );
        const expected =
          (await scorer.run({ data: x, nRows: 1, nCols: x.length, names: [...FEATURE_NAMES] }))[0]!;
        await scorer.release();
        assert.ok(
          Math.abs(inBrowser - expected) <= 1e-5 * Math.max(1, Math.abs(expected)),
          `${station} ${time}: browser ${inBrowser} vs onnxruntime in Deno ${expected}`,
        );
        // Move PM2.5 now far from its value: the next-hour prediction must follow.
        const input = page.getByLabel("PM2.5 (µg/m³)", { exact: true });
        const now = Number(await input.inputValue());
        await input.fill(String(now < 150 ? now + 250 : now - 120));
        await page.waitForFunction(
          ([s, before]) => document.querySelector(s!)?.getAttribute("data-value") !== before,
          [pred, String(inBrowser)],
          { timeout: 10_000 },
        );
        const moved = await numberOf(page, pred, "data-value");
        assert.ok(
          Number.isFinite(moved) && moved !== inBrowser,
          `prediction ${inBrowser} -> ${moved}`,
        );
        // An unusual PM10 (above the training 99th percentile): the page flags what the
        // endpoint flags for the same observation, and predicts the same to the last bit.
        const schema = JSON.parse(
          await Deno.readTextFile(`${ROOT}data/processed/features.schema.json`),
        );
        const pm10 = schema.features.find((f: { name: string }) => f.name === "PM10").observed;
        await page.getByLabel("PM10 (µg/m³)", { exact: true }).fill(
          String(Math.round((pm10.p99 + pm10.max) / 2)),
        );
        const flagsHook = "[data-testid=flags]";
        await page.waitForFunction(
          (s) => document.querySelector(s)?.getAttribute("data-flags")?.includes("PM10:unusual"),
          flagsHook,
          { timeout: 10_000 },
        );
        const observation = JSON.parse(
          (await page.getAttribute(".whatif-result", "data-observation"))!,
        );
        const pageFlags = JSON.parse((await page.getAttribute(flagsHook, "data-flags"))!);
        const pagePrediction = await numberOf(page, pred, "data-value");
        const { package: pkg } = JSON.parse(
          await Deno.readTextFile(await distFile("data/model", ".json")),
        );
        const endpoint = createHandler({ model: await loadModel(`${ROOT}${pkg.path}`) });
        const answer = await predictOn(endpoint, observation);
        assert.deepEqual(
          pageFlags,
          answer.flags.map((f: { field: string; flag: string }) => `${f.field}:${f.flag}`),
        );
        assert.equal(pagePrediction, answer.prediction, "What-if vs the endpoint");
        // The page's TreeSHAP (on the site's lighter copy of the trees) = the endpoint's.
        await page.waitForFunction(
          (o) =>
            document.querySelector("[data-testid=shap]")?.getAttribute("data-observation") === o,
          JSON.stringify(observation),
          { timeout: 10_000 },
        );
        const pageShap = JSON.parse(
          (await page.getAttribute("[data-testid=shap]", "data-values"))!,
        );
        const explained = await predictOn(endpoint, observation, { explain: true });
        const shapNames = Object.keys(explained.shap.values);
        assert.deepEqual(Object.keys(pageShap).sort(), shapNames.sort());
        for (const name of shapNames) {
          const [a, b] = [pageShap[name], explained.shap.values[name]];
          assert.ok(
            Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)),
            `SHAP ${name}: ${a} vs ${b}`,
          );
        }
        await page.close();
        assert.deepEqual(problems, []);
      });

      await t.step(
        "What-if: a missing input stays missing (NaN into ONNX), and can be set",
        async () => {
          const { page, problems } = await open(browser, server, "/what-if.html");
          const pred = "[data-testid=prediction]";
          const { rows } = JSON.parse(
            await Deno.readTextFile(await distFile("data/whatif_rows", ".json")),
          );
          const schema = JSON.parse(
            await Deno.readTextFile(`${ROOT}data/processed/features.schema.json`),
          );
          const { package: pkg } = JSON.parse(
            await Deno.readTextFile(await distFile("data/model", ".json")),
          );
          const endpoint = createHandler({ model: await loadModel(`${ROOT}${pkg.path}`) });
          const scorer = await createSession(
            await Deno.readFile(await distFile("data/model", ".onnx")),
          );
          // The page's inputs: every raw field of an observation (wind as degrees).
          const RAW = [...OBSERVATION_NUMBERS, "wd_deg"];
          const missingOf = (r: Record<string, unknown>) => RAW.filter((k) => r[k] == null);
          const gappy = rows.filter((r: Record<string, unknown>) => missingOf(r).length > 0);
          // The rows with the most missing PM2.5 history (the add-back's path) and wind.
          const picks = [
            gappy.filter((r: Record<string, unknown>) => r["PM2.5"] == null || r.pm25_lag1 == null)
              .sort((a: Record<string, unknown>, b: Record<string, unknown>) =>
                missingOf(b).length - missingOf(a).length
              )[0],
            gappy.find((r: Record<string, unknown>) => r.wd_deg == null),
          ].filter(Boolean);
          assert.ok(picks.length > 0, `no What-if row with a missing input (${rows.length} rows)`);
          /** The checkbox beside a field's input ("PM2.5 (µg/m³) missing"). */
          const missingBox = (field: string) => {
            if (field === "wd_deg") return page.getByLabel("wind from (° from north) missing");
            const unit = schema.features.find((f: { name: string }) => f.name === field)?.unit;
            return page.getByLabel(`${field}${unit && unit !== "-" ? ` (${unit})` : ""} missing`, {
              exact: true,
            });
          };
          /** Waits until the page has recomputed for an observation whose `key` is `value`. */
          const observed = (key: string, value: number | null) =>
            page.waitForFunction(
              ([k, v]) => {
                const o = document.querySelector(".whatif-result")?.getAttribute(
                  "data-observation",
                );
                const p = document.querySelector("[data-testid=prediction]")?.getAttribute(
                  "data-value",
                );
                return !!o && JSON.parse(o)[k as string] === v &&
                  Number.isFinite(parseFloat(p ?? ""));
              },
              [key, value] as const,
              { timeout: 10_000 },
            );
          try {
            for (const row of picks) {
              await page.getByLabel("Start from").selectOption({
                label: `${row.station} ${row.time}`,
              });
              await page.waitForFunction(
                ([s, st, tm]) => {
                  const e = document.querySelector(s!);
                  return e?.getAttribute("data-station") === st &&
                    e?.getAttribute("data-time") === tm &&
                    Number.isFinite(parseFloat(e?.getAttribute("data-value") ?? ""));
                },
                [pred, row.station, row.time],
                { timeout: 10_000 },
              );
              const what = `${row.station} ${row.time} (missing ${missingOf(row).join(", ")})`;
              const inBrowser = await numberOf(page, pred, "data-value");
              // The stored feature vector, its gaps as NaN: what the model saw for this row.
              const x = Float32Array.from(FEATURE_NAMES, (n) => row[n] ?? NaN);
              const [expected] = await scorer.run({
                data: x,
                nRows: 1,
                nCols: x.length,
                names: [...FEATURE_NAMES],
              });
              assert.ok(
                Math.abs(inBrowser - expected!) <= 1e-5 * Math.max(1, Math.abs(expected!)),
                `${what}: browser ${inBrowser} vs onnxruntime in Deno ${expected}`,
              );
              // Shown as missing, flagged as the endpoint flags it, predicted as it predicts.
              for (const field of missingOf(row)) {
                assert.ok(
                  await missingBox(field).isChecked(),
                  `${what}: ${field} not shown missing`,
                );
              }
              const observation = JSON.parse(
                (await page.getAttribute(".whatif-result", "data-observation"))!,
              );
              for (const field of missingOf(row)) {
                assert.equal(observation[field === "wd_deg" ? "wd" : field], null, field);
              }
              const pageFlags = JSON.parse(
                (await page.getAttribute("[data-testid=flags]", "data-flags"))!,
              );
              const answer = await predictOn(endpoint, observation);
              assert.equal(inBrowser, answer.prediction, `${what}: What-if vs the endpoint`);
              assert.deepEqual(
                pageFlags,
                answer.flags.map((f: { field: string; flag: string }) => `${f.field}:${f.flag}`),
              );
              const field = missingOf(row)[0]!;
              const flagName = field === "wd_deg" ? "wd_sin" : field;
              assert.ok(pageFlags.includes(`${flagName}:missing`), `${what}: flags ${pageFlags}`);
              // Set it: the value is used and the flag goes; tick "missing": back to the start.
              const range = schema.features.find((f: { name: string }) => f.name === flagName)
                ?.observed;
              const value = field === "wd_deg" ? 90 : Math.round(range.p99);
              const key = field === "wd_deg" ? "wd" : field;
              const box = missingBox(field);
              const number = box.locator("xpath=ancestor::form[1]").locator("input[type=number]");
              await number.fill(String(value));
              await observed(key, value);
              assert.equal(await box.isChecked(), false, `${what}: ${field} still ticked missing`);
              const set = JSON.parse(
                (await page.getAttribute("[data-testid=flags]", "data-flags"))!,
              );
              assert.ok(!set.includes(`${flagName}:missing`), `${what}: flags ${set} after set`);
              await box.check();
              await observed(key, null);
              assert.equal(await numberOf(page, pred, "data-value"), inBrowser, `${what}: unset`);
            }
          } finally {
            await scorer.release();
          }
          await page.close();
          assert.deepEqual(problems, []);
        },
      );

      await t.step("What-if on a phone: the prediction stays on screen by the inputs", async () => {
        const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
        await page.goto(`${server.url}/what-if.html`, { waitUntil: "networkidle" });
        await pageProblems(page);
        // Scroll to the last input, as someone editing it would.
        await page.getByLabel("local time").scrollIntoViewIfNeeded();
        const box = await page.locator("[data-testid=prediction]").boundingBox();
        assert.ok(box && box.y >= 0 && box.y + box.height <= 844, `prediction at ${box?.y} px`);
        await page.close();
      });

      await t.step("Drift: the headline, the timeline and the grid tell one story", async () => {
        const { page, problems } = await open(browser, server, "/drift.html");
        const report = JSON.parse(await Deno.readTextFile(`${ROOT}reports/drift/latest.json`));
        problems.push(...await driftStoryProblems(page, report));
        await page.close();
        assert.deepEqual(problems, []);
      });

      await t.step("Score a slice: the chosen rows, their metrics, an empty slice", async () => {
        const { page, problems } = await open(browser, server, "/score.html");
        const scored = "[data-testid=scored]";
        await page.waitForSelector(scored, { timeout: 30_000 });
        // Persistence as the pipeline defines it: this hour's PM2.5, else the training mean.
        const { params } = JSON.parse(
          await Deno.readTextFile(`${ROOT}models/candidates/persistence/metadata.json`),
        );
        const c = await openDuck();
        /** The slice on the page against the same rows read from test.parquet. */
        const checkSlice = async () => {
          const n = await numberOf(page, scored, "data-rows");
          const station = await page.getAttribute(scored, "data-station");
          const from = await page.getAttribute(scored, "data-from");
          const to = await page.getAttribute(scored, "data-to");
          const first = await numberOf(page, scored, "data-first");
          const persistenceRmse = await numberOf(page, scored, "data-persistence-rmse");
          const rmse = await numberOf(page, scored, "data-rmse");
          const [r] = await all(
            c,
            `SELECT count(*)::INT AS n, sqrt(avg(power(coalesce("${params.column}", ${params.fallback})
               - "${TARGET}", 2))) AS rmse
             FROM read_parquet(${lit(`${ROOT}data/processed/test.parquet`)})
             WHERE station = ${lit(station ?? "")} AND time >= ${lit(from ?? "")}::DATE
               AND time < ${lit(to ?? "")}::DATE + 1`,
          );
          assert.ok(n > 0, `no row scored for ${station} ${from}..${to}`);
          assert.equal(n, Number(r!.n), `${station} ${from}..${to}: rows scored vs rows in test`);
          assert.ok(Number.isFinite(first), `first prediction ${first}`);
          assert.ok(
            Math.abs(persistenceRmse - Number(r!.rmse)) < 1e-3 * Number(r!.rmse),
            `persistence RMSE on the page ${persistenceRmse} vs ${r!.rmse} from test.parquet`,
          );
          assert.ok(Number.isFinite(rmse) && rmse > 0, `slice RMSE ${rmse}`);
          return { station, from, to };
        };
        const { station, from, to } = await checkSlice();
        // Another station: its rows load into DuckDB-WASM on first use, beside the first's.
        await page.getByLabel("Station").selectOption({ index: 1 });
        await page.waitForFunction(
          ([s, before]) => document.querySelector(s!)?.getAttribute("data-station") !== before,
          [scored, station],
          { timeout: 30_000 },
        );
        await checkSlice();
        // "From" after "To": a message, no chart, nothing scored.
        await page.getByLabel("From").fill(to!);
        await page.getByLabel("To").fill(from!);
        const empty = "[data-testid=empty-slice]";
        await page.waitForSelector(empty, { timeout: 30_000 });
        assert.equal(await numberOf(page, scored, "data-rows"), 0);
        assert.equal(await page.locator(`${empty} svg`).count(), 0, "a chart for an empty slice");
        await page.close();
        assert.deepEqual(problems, []);
      });
    } finally {
      await browser.close();
      await server.close();
    }
  },
});
