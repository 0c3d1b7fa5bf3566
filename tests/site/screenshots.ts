/**
 * Screenshots of every page of the built site at desktop width, phone width (390 px) and in
 * the dark theme, under tests/output/screenshots/{desktop,phone,dark}/, with a list of
 * problems: page errors, and anything wider than a phone screen. Run by hand after
 * `deno task site:build`: `deno run -A tests/site/screenshots.ts [page...]`; with
 * `--readme`, writes the README's docs/screenshot.png instead.
 */
import { DIST, pageName, PAGES, ROOT } from "./build.ts";
import { launch } from "./browser.ts";
import { serveDist } from "./serve.ts";
import { pageProblems, watchPage } from "./pages.ts";

export const VARIANTS = [
  { name: "desktop", width: 1280, height: 900, colorScheme: "light" },
  { name: "phone", width: 390, height: 844, colorScheme: "light" },
  { name: "dark", width: 1280, height: 900, colorScheme: "dark" },
] as const;

export async function screenshots(pages: readonly string[] = PAGES): Promise<string[]> {
  const server = serveDist(DIST);
  const browser = await launch();
  const found: string[] = [];
  try {
    for (const v of VARIANTS) {
      const dir = `${ROOT}tests/output/screenshots/${v.name}`;
      await Deno.mkdir(dir, { recursive: true });
      for (const path of pages) {
        const page = await browser.newPage({
          viewport: { width: v.width, height: v.height },
          colorScheme: v.colorScheme,
        });
        const problems = watchPage(page, server.url);
        await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
        problems.push(...await pageProblems(page));
        // Anything that makes the page scroll sideways (a phone's worst layout bug).
        const wide = await page.evaluate(() => {
          const w = document.documentElement.clientWidth;
          return [...document.querySelectorAll("main *")].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.right > w + 1 && !e.closest("[style*=overflow], .md-table, form");
          }).slice(0, 3).map((e) =>
            `${e.tagName.toLowerCase()}.${e.className} right=${
              Math.round(e.getBoundingClientRect().right)
            }`
          );
        });
        problems.push(...wide.map((w) => `wider than the screen: ${w}`));
        await page.screenshot({ path: `${dir}/${pageName(path)}.png`, fullPage: true });
        await page.close();
        found.push(...problems.map((p) => `${v.name} ${path}: ${p}`));
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return found;
}

/** The README's picture: the Overview's first screen at desktop width (docs/screenshot.png). */
export async function readmeScreenshot(): Promise<string> {
  const server = serveDist(DIST);
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${server.url}/index.html`, { waitUntil: "networkidle" });
    await pageProblems(page);
    const path = `${ROOT}docs/screenshot.png`;
    await Deno.mkdir(`${ROOT}docs`, { recursive: true });
    await page.screenshot({ path });
    return path;
  } finally {
    await browser.close();
    await server.close();
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--readme") {
    const path = await readmeScreenshot();
    console.log(`${path}: ${(await Deno.stat(path)).size} bytes`);
  } else {
    const pages = Deno.args.length ? Deno.args.map((a) => `/${pageName(a)}.html`) : PAGES;
    const problems = await screenshots(pages);
    console.log(problems.length ? problems.join("\n") : "no problems");
  }
}
