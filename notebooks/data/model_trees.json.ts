/** The same model's trees (our JSON) for the browser's TreeSHAP; `null` when none exists. */
import { emitFile, modelPackage } from "./_artifacts.ts";

const pkg = await modelPackage();
if (pkg) await emitFile(`${pkg.path}/model.json`);
else await Deno.stdout.write(new TextEncoder().encode("null"));
