/**
 * The Drift page tells one story: the months the headline calls drift are the months the
 * timeline marks, each month's count of drifted features is its drift cells in the grid, a
 * month in drift makes the headline drift, and the months are the report's own (its verdict
 * windows, or for an older report its monthly timeline), not recomputed by the page.
 */
import type { Page } from "playwright-core";
import { MONTH_STATE } from "../../notebooks/components/drift_story.js";

interface Month {
  month: string;
  state: string;
  n_drift: number;
}

/** Disagreements between the page's headline, timeline, grid and `report` (latest.json). */
export async function driftStoryProblems(page: Page, report: unknown): Promise<string[]> {
  const attr = async (sel: string, name: string) =>
    JSON.parse((await page.getAttribute(sel, name)) ?? "null");
  const head = "[data-testid=drift-headline]", line = "[data-testid=drift-timeline]";
  const state = await page.getAttribute(head, "data-state");
  const driftMonths: string[] = await attr(head, "data-drift-months");
  const months: Month[] = await attr(line, "data-months");
  const cells: Record<string, string[]> = await attr(line, "data-drift-cells");
  const problems: string[] = [];
  if (!months?.length) return ["no month on the timeline"];
  const marked = months.filter((m) => m.state === "drift").map((m) => m.month);
  if (JSON.stringify(driftMonths) !== JSON.stringify(marked)) {
    problems.push(`headline months in drift ${driftMonths} vs timeline ${marked}`);
  }
  for (const m of months) {
    const n = cells[m.month]?.length ?? 0;
    if (m.n_drift !== n) {
      problems.push(`${m.month}: ${m.n_drift} drifted on the timeline, ${n} in the grid`);
    }
  }
  if (driftMonths.length && state !== "drift") {
    problems.push(`headline "${state}" with ${driftMonths.length} months in drift`);
  }
  const r = report as {
    verdict?: { kind?: string; windows?: { window: string; state: string }[] };
    timeline?: { month: string; datasetDrift: boolean }[];
  };
  const reported = r.verdict?.kind === "aqlab.drift_verdict"
    ? (r.verdict.windows ?? []).map((w) => [
      w.window,
      MONTH_STATE[w.state as keyof typeof MONTH_STATE] ?? w.state,
    ])
    : (r.timeline ?? []).map((m) => [m.month, m.datasetDrift ? "drift" : "ok"]);
  const shown = months.map((m) => [m.month, m.state]);
  if (JSON.stringify(shown) !== JSON.stringify(reported)) {
    problems.push(
      `months on the page ${JSON.stringify(shown)} vs the report ${JSON.stringify(reported)}`,
    );
  }
  return problems;
}
