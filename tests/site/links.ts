/**
 * Walks the sidebar as a reader does: from the Overview, clicks every link in turn (opening
 * the sidebar first where the screen is too narrow to show it) and checks that each click
 * lands on a page of the site with HTTP 200 and that page's own title. Run against the
 * non-rewriting server of serve.ts, a link that only a clean-URL host could follow fails.
 */
import type { Browser } from "playwright-core";
import { pageName, PAGES } from "./build.ts";
import type { StaticServer } from "./serve.ts";

/** Sidebar links, in order: the site title first, then every page. */
const LINKS = "#observablehq-sidebar a";

/** Problems found while clicking every sidebar link at `width` px; also the pages reached. */
export async function clickSidebarLinks(
  browser: Browser,
  server: StaticServer,
  width: number,
): Promise<{ problems: string[]; reached: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 860 } });
  const problems: string[] = [];
  // Only what a broken link causes: leaving a page mid-load aborts its requests, harmlessly.
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  const reached: string[] = [];
  try {
    await page.goto(`${server.url}${PAGES[0]}`, { waitUntil: "domcontentloaded" });
    const count = await page.locator(LINKS).count();
    if (count < PAGES.length) {
      problems.push(`sidebar has ${count} links, expected ${PAGES.length}+`);
    }
    for (let i = 0; i < count; i++) {
      // After a broken link the page has no sidebar: carry on from the Overview.
      if ((await page.locator(LINKS).count()) < count) {
        await page.goto(`${server.url}${PAGES[0]}`, { waitUntil: "domcontentloaded" });
      }
      const link = page.locator(LINKS).nth(i);
      // A phone shows the sidebar behind its toggle (the menu button at the top left).
      if (!(await link.isVisible())) await page.locator("#observablehq-sidebar-toggle").click();
      const text = (await link.textContent())?.trim() ?? "";
      const href = await link.getAttribute("href");
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: "domcontentloaded" }),
        link.click(),
      ]);
      const url = new URL(page.url());
      const status = response?.status();
      const h1 = (await page.locator("main h1").first().textContent().catch(() => null))?.trim();
      const title = await page.title();
      if (status !== 200) problems.push(`"${text}" (${href}) -> ${url.pathname}: HTTP ${status}`);
      else if (!h1) problems.push(`"${text}" (${href}) -> ${url.pathname}: no page heading`);
      // Framework titles a page "<page> | <site>"; the site-title link leads to the Overview.
      else if (i > 0 && !title.startsWith(`${text} | `)) {
        problems.push(`"${text}" (${href}) -> ${url.pathname}: landed on "${title}"`);
      }
      reached.push(url.pathname);
    }
  } finally {
    await page.close();
  }
  const missed = PAGES.filter((p) => !reached.includes(p));
  if (missed.length) {
    problems.push(`no sidebar link reached ${missed.map(pageName).join(", ")}`);
  }
  return { problems: [...new Set(problems)], reached };
}
