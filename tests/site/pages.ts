/**
 * What the browser tests, the screenshot script and the benchmark check on every page:
 * console errors, Plot's warnings, failed or outside requests, cell errors, chart cards
 * left empty.
 */
import type { Page } from "playwright-core";
import { DIST } from "./build.ts";

/** What counts as a rendered card: a chart, a table, a figure, or a missing-data note. */
export const CONTENT = "svg, canvas, table, pre, form, .big, [data-missing]";

/**
 * What shows that a page's in-browser work is done (DuckDB-WASM answered, ONNX scored):
 * cards those cells create appear only then, so `pageProblems` waits for these first.
 */
export const READY: Record<string, string> = {
  "/data.html": "[data-testid=pm25-hist]:not([data-hours='0'])",
  "/score.html": "[data-testid=scored]",
  "/what-if.html": "[data-testid=prediction]:not([data-value=NaN])",
};

/** Starts collecting a page's problems (call before `goto`). */
export function watchPage(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text().slice(0, 300)}`);
    // Plot's own warnings ("Warning: some data associated with the x scale are strings that
    // appear to be dates..."): each one is a chart drawn from data it misreads.
    if (m.type() === "warning" && m.text().startsWith("Warning:")) {
      problems.push(`Plot ${m.text().slice(0, 200)}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) {
      problems.push(`outside request: ${r.url()}`);
    }
  });
  return problems;
}

/**
 * Waits until every card with a heading has content (cells run after load: DuckDB, ONNX),
 * then lists cell errors and cards still empty.
 */
export async function pageProblems(page: Page, timeout = 30_000): Promise<string[]> {
  const problems: string[] = [];
  const ready = READY[new URL(page.url()).pathname];
  if (ready) {
    const shown = await page.waitForSelector(ready, { timeout }).then(() => true, () => false);
    if (!shown) problems.push(`no ${ready} after ${timeout / 1000} s`);
  }
  const filled = await page.waitForFunction(
    (content) =>
      [...document.querySelectorAll(".card")].every((c) =>
        !c.querySelector("h2") || c.querySelector(content)
      ),
    CONTENT,
    { timeout },
  ).then(() => true, () => false);
  if (!filled) problems.push(`cards still empty after ${timeout / 1000} s`);
  const errors = await page.$$eval(".observablehq--error", (els) => els.map((e) => e.textContent));
  problems.push(...errors.map((e) => `cell error: ${e}`));
  const empty = await page.$$eval(
    ".card",
    (cards, content) =>
      cards.filter((c) => c.querySelector("h2") && !c.querySelector(content)).map((c) =>
        c.querySelector("h2")?.textContent ?? "?"
      ),
    CONTENT,
  );
  problems.push(...empty.map((h) => `empty card: ${h}`));
  // Console errors repeat once per redraw: keep each once.
  return [...new Set(problems)];
}

/** The built file of a loader output, e.g. ("data/model", ".onnx") -> dist/_file/data/model.<hash>.onnx. */
export async function distFile(stem: string, ext: string): Promise<string> {
  const dir = `${DIST}/_file/${stem.slice(0, stem.lastIndexOf("/"))}`;
  const base = stem.slice(stem.lastIndexOf("/") + 1);
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(`${base}.`) && e.name.endsWith(ext) && e.name.split(".").length === 3) {
      return `${dir}/${e.name}`;
    }
  }
  throw new Error(`Cannot find ${stem}${ext} in ${dir}: expected a built loader output`);
}
