import { copyFromNodeModules } from "./_bundle.ts";

// The Emscripten glue the wasm-only build of onnxruntime-web imports at run time.
await copyFromNodeModules("onnxruntime-web/dist/ort-wasm-simd-threaded.mjs");
