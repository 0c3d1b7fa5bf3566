import { copyFromNodeModules } from "./_bundle.ts";

await copyFromNodeModules("@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js");
