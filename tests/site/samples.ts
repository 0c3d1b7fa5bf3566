/**
 * "No chart is drawn from a sample unless it says so", checked three ways: the pages hold no
 * SQL that samples (DuckDB-WASM answers over every row); a chart card drawn from a sample is
 * marked `data-sample` and its heading says "sample" with the loader's own counts; and the
 * pre-aggregated charts of the Evaluation page add up to every test row.
 */
import type { Page } from "playwright-core";
import { ROOT } from "./build.ts";
import { distFile } from "./pages.ts";

/** SQL that draws a sample instead of reading every row. */
const SAMPLING = /\bUSING\s+SAMPLE\b|\bTABLESAMPLE\b|\brandom\(\)|\bsetseed\(/i;

/** Pages (notebooks/*.md) whose code samples rows, with the offending line. */
export async function samplingPages(): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}notebooks`)) {
    if (!e.isFile || !e.name.endsWith(".md")) continue;
    const lines = (await Deno.readTextFile(`${ROOT}notebooks/${e.name}`)).split("\n");
    lines.forEach((line, i) => {
      if (SAMPLING.test(line)) found.push(`notebooks/${e.name}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

/** Headings of the page's cards marked `data-sample` that do not say they show a sample. */
export async function unlabelledSamples(page: Page): Promise<string[]> {
  return await page.$$eval(
    ".card[data-sample]",
    (cards) =>
      cards.map((c) => c.querySelector("h2")?.textContent ?? "(no heading)")
        .filter((h) => !/\bsample\b/i.test(h)),
  );
}

/** Headings of the page's cards marked `data-sample`. */
export function sampleHeadings(page: Page): Promise<string[]> {
  return page.$$eval(
    ".card[data-sample] h2",
    (hs) => hs.map((h) => (h.textContent ?? "").replace(/\s+/g, " ")),
  );
}

/**
 * The Evaluation page's pre-aggregated charts count every test row of each candidate:
 * the density grid's cells and the residual histogram's shares.
 */
export async function evaluationTotals(): Promise<string[]> {
  const a = JSON.parse(await Deno.readTextFile(await distFile("data/evaluation", ".json")));
  const problems: string[] = [];
  const cands = Object.entries(a.summary?.candidates ?? {}) as [string, { test: { n: number } }][];
  if (cands.length === 0) problems.push("evaluation.json has no candidates");
  for (const [cand, { test }] of cands) {
    const cells = (a.density.candidate as string[]).reduce(
      (s: number, c: string, i: number) => c === cand ? s + a.density.n[i] : s,
      0,
    );
    if (cells !== test.n) {
      problems.push(`${cand}: density cells hold ${cells} rows of ${test.n} test rows`);
    }
    const share = (a.residual_hist as { candidate: string; share: number }[])
      .filter((d) => d.candidate === cand).reduce((s, d) => s + d.share, 0);
    if (Math.abs(share - 1) > 1e-6) problems.push(`${cand}: residual histogram sums to ${share}`);
  }
  return problems;
}
