/**
 * The runtime's limit for the serving benchmark: a bare Deno.serve that reads the same JSON
 * body as /v1/predict, parses it and answers a small JSON object, nothing else.
 *
 *   deno run -A bench/_bare_serve.ts PORT
 */
const port = Number(Deno.args[0] ?? 8000);
Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
  if (req.method === "GET") return Response.json({ status: "ok" });
  const body = await req.json();
  const n = Object.keys(body.features ?? {}).length;
  return Response.json({ prediction: n, model_version: "bare" });
});
