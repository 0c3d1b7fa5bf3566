import { copyFromNodeModules } from "./_bundle.ts";

await copyFromNodeModules("onnxruntime-web/dist/ort-wasm-simd-threaded.wasm");
