/**
 * A tiny static server for the built site (`dist/`), on a random loopback port, as plain as
 * a static host gets: a path is a file or a 404. It rewrites nothing (no ".html" appended,
 * no "/" mapped to index.html), so a link that works here works on any static server.
 * Browser tests and bench/site.ts use it; `deno run -A tests/site/serve.ts` serves by hand.
 */
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".parquet": "application/octet-stream",
  ".onnx": "application/octet-stream",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export interface StaticServer {
  url: string;
  /** Bytes sent per request path, for the benchmark's transfer sizes. */
  sent: Map<string, number>;
  /** Files sent so far (every request that found its file). */
  readonly requests: number;
  close(): Promise<void>;
}

export function serveDist(root: string, { isolate = false } = {}): StaticServer {
  const sent = new Map<string, number>();
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await Deno.readFile(`${root}${path}`);
    } catch {
      return new Response("not found", { status: 404 });
    }
    sent.set(path, (sent.get(path) ?? 0) + body.length);
    requests++;
    const ext = path.slice(path.lastIndexOf("."));
    const headers = new Headers({ "content-type": TYPES[ext] ?? "application/octet-stream" });
    // Framework names built files by content hash: cacheable for good, as a host sets
    // them (and what lets Chromium keep compiled wasm between visits). Pages: revalidate.
    headers.set(
      "cache-control",
      /^\/_(file|node|npm|observablehq|import)\//.test(path)
        ? "public, max-age=31536000, immutable"
        : "no-cache",
    );
    if (isolate) {
      headers.set("cross-origin-opener-policy", "same-origin");
      headers.set("cross-origin-embedder-policy", "require-corp");
    }
    return new Response(body, { headers });
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    sent,
    get requests() {
      return requests;
    },
    close: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const s = serveDist(Deno.args[0] ?? "dist");
  console.log(`serving dist/ at ${s.url}`);
}
