/**
 * The Evaluation page's interval cards against reports/evaluation/intervals.parquet: the
 * band chart shows exactly the candidate's coverage by band of the truth and of the
 * prediction, the station chart exactly its coverage by station (not every group mixed),
 * and the caption names the method the candidate was calibrated with.
 */
import type { Page } from "playwright-core";
import { ROOT } from "./build.ts";
import { all, lit, openDuck } from "../../src/data/duck.ts";

type Group = [by: string, group: string, coverage: number];

/** What the page's `data-groups` hook of `testid` holds, sorted. */
async function shown(page: Page, testid: string): Promise<Group[]> {
  const card = await page.$(`[data-testid=${testid}]`);
  const raw = card && await card.getAttribute("data-groups");
  return (JSON.parse(raw ?? "[]") as Group[]).sort((a, b) => a.join().localeCompare(b.join()));
}

export async function intervalCardProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  const summary = JSON.parse(
    await Deno.readTextFile(`${ROOT}reports/evaluation/summary.json`),
  );
  const cand: string = summary.best ?? Object.keys(summary.candidates)[0];
  const c = await openDuck();
  const rows = async (bys: string[]): Promise<Group[]> =>
    (await all(
      c,
      `SELECT "by", "group", coverage FROM read_parquet(${
        lit(`${ROOT}reports/evaluation/intervals.parquet`)
      }) WHERE candidate = ${lit(cand)} AND "by" IN (${bys.map(lit).join(", ")})`,
    )).map((r) => [String(r.by), String(r.group), Number(r.coverage)] as Group)
      .sort((a, b) => a.join().localeCompare(b.join()));
  const compare = (what: string, got: Group[], want: Group[]) => {
    if (want.length === 0) problems.push(`${what}: intervals.parquet has no such rows`);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(
        `${what}: page ${JSON.stringify(got)} vs intervals.parquet ${JSON.stringify(want)}`,
      );
    }
  };
  compare(
    "bands",
    await shown(page, "coverage-bands"),
    await rows(["true_band", "predicted_band"]),
  );
  compare("stations", await shown(page, "coverage-stations"), await rows(["station"]));
  const meta = JSON.parse(
    await Deno.readTextFile(`${ROOT}models/candidates/${cand}/metadata.json`),
  );
  const text = await page.locator("main").innerText();
  if (meta.interval?.method === "mondrian_conformal" && !/out-of-fold residuals/.test(text)) {
    problems.push("the page does not describe the per-band interval calibrated out of fold");
  }
  if (/from the validation residuals/.test(text)) {
    problems.push('the page still says "from the validation residuals"');
  }
  return problems;
}
