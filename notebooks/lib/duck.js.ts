import { bundle } from "./_bundle.ts";

await bundle("duck_browser.ts");
