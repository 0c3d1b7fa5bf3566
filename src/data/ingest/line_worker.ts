/// <reference lib="deno.worker" />
/** Worker of `linePasses`: one line pass per message. */
import { linePass, type LinePassJob } from "./line_pass.ts";

self.onmessage = async (e: MessageEvent<LinePassJob>) => {
  try {
    self.postMessage({ result: await linePass(e.data) });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
