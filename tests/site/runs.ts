/**
 * The Runs and tuning page against the tuning artifacts: the chosen configuration's card
 * shows exactly its folds of reports/tuning/folds.parquet (chosen = 1) and their mean, which
 * is the runs record's CV RMSE; the training curve's validation line is named for what it
 * is (the folds' mean per round); the trials table shows the CV columns.
 */
import type { Page } from "playwright-core";
import { ROOT } from "./build.ts";
import { all, lit, openDuck } from "../../src/data/duck.ts";

export async function runsPageProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  const c = await openDuck();
  const folds = (await all(
    c,
    `SELECT fold, rmse FROM read_parquet(${lit(`${ROOT}reports/tuning/folds.parquet`)})
     WHERE chosen = 1 ORDER BY fold`,
  )).map((r) => [Number(r.fold), Number(r.rmse)]);
  if (folds.length < 2) problems.push(`folds.parquet: ${folds.length} folds for the chosen trial`);
  const card = await page.$("[data-testid=cv-chosen]");
  const shown = JSON.parse((card && await card.getAttribute("data-folds")) ?? "null");
  if (JSON.stringify(shown) !== JSON.stringify(folds)) {
    problems.push(
      `chosen folds: page ${JSON.stringify(shown)} vs folds.parquet ${JSON.stringify(folds)}`,
    );
  }
  // The last successful run that ran tune (a run that skipped it records no CV metrics)
  // holds the same CV RMSE the card shows.
  const runs = await all(
    c,
    `SELECT metrics_json FROM read_parquet(${lit(`${ROOT}reports/runs/runs.parquet`)})
     WHERE status = 'succeeded' ORDER BY started DESC`,
  );
  const cv = runs.map((r) => JSON.parse(String(r.metrics_json ?? "{}"))["tune.cv_rmse"])
    .find((v) => v !== undefined);
  const mean = folds.reduce((s, f) => s + f[1]!, 0) / folds.length;
  if (!(Math.abs(cv - mean) <= 1e-9 * mean)) {
    problems.push(`runs.parquet tune.cv_rmse ${cv} vs the chosen folds' mean ${mean}`);
  }
  const text = (card && await card.innerText()) ?? "";
  if (!text.includes(mean.toFixed(2))) problems.push(`CV card does not show ${mean.toFixed(2)}`);
  const main = await page.locator("main").innerText();
  for (const label of ["folds' mean validation RMSE", "CV RMSE (µg/m³)", "tree-rounds", "CV sd"]) {
    if (!main.includes(label)) problems.push(`the page does not show "${label}"`);
  }
  return problems;
}
