import { bundle } from "./_bundle.ts";

await bundle("aqlab_browser.ts");
