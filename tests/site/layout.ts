/**
 * Layout checks on a rendered page: the content takes the width the sidebar leaves (no empty
 * contents column), every table fits its card at desktop width, and on a narrower screen a
 * table wider than its card scrolls inside a box that stays within the card; a short table
 * (up to `SHORT` rows) shows every row without scrolling.
 */
import type { Page } from "playwright-core";

/** Desktop width from which every table must fit without scrolling. */
export const DESKTOP = 1280;

/** Tables with at most this many rows must show them all (no vertical scroll). */
export const SHORT = 5;

/** Problems of the page as laid out in a viewport `width` px wide. */
export function layoutProblems(page: Page, width: number): Promise<string[]> {
  return page.evaluate(({ width, desktop, short }) => {
    const problems: string[] = [];
    const main = document.querySelector("main");
    if (!main) return ["no <main>"];
    if (document.querySelector("#observablehq-toc")) problems.push("a contents column (toc)");
    const sidebar = document.querySelector("#observablehq-sidebar")?.getBoundingClientRect();
    const free = width - (width >= desktop && sidebar ? sidebar.right : 0);
    const used = main.getBoundingClientRect().width;
    if (used < free * 0.8) problems.push(`content ${Math.round(used)} px wide of ${free} px free`);
    const scrolls = (e: Element) => /auto|scroll/.test(getComputedStyle(e).overflowX);
    for (const table of main.querySelectorAll("table")) {
      const card = table.closest(".card") ?? main;
      const name = card.querySelector("h2")?.textContent?.trim() ?? "a table";
      let box: Element | null = table.parentElement;
      while (box && box !== card && !scrolls(box)) box = box.parentElement;
      const scroller = box && box !== card ? box : null;
      const rows = table.querySelectorAll("tbody tr").length;
      const clipped = scroller && scroller.scrollHeight > scroller.clientHeight + 1;
      if (rows > 0 && rows <= short && clipped) {
        problems.push(`"${name}": ${rows} rows, not all shown (scrolls vertically)`);
      }
      const cardBox = card.getBoundingClientRect();
      const tableBox = table.getBoundingClientRect();
      if (width >= desktop) {
        const room = scroller ? scroller.clientWidth : cardBox.width;
        if (table.scrollWidth > room + 1) {
          problems.push(`"${name}": table ${table.scrollWidth} px in ${Math.round(room)} px`);
        }
      } else if (tableBox.right > cardBox.right + 1 || table.scrollWidth > cardBox.width) {
        if (!scroller) problems.push(`"${name}": table wider than its card, not scrolling`);
        else if (scroller.getBoundingClientRect().right > cardBox.right + 1) {
          problems.push(`"${name}": its scroll box sticks out of the card`);
        }
      }
    }
    return problems;
  }, { width, desktop: DESKTOP, short: SHORT });
}
