/** The ONNX model the site scores with (empty when none exists: see model.json). */
import { emitFile, modelPackage } from "./_artifacts.ts";

const pkg = await modelPackage();
await emitFile(pkg && `${pkg.path}/model.onnx`);
