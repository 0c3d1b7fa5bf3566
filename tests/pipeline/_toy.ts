/** Toy stages for runner tests: small files, observable timing, optional failure or stall. */
import { defineStage } from "../../src/pipeline/stage.ts";
import { bool, int, str } from "../../src/pipeline/params.ts";
import type { Stage } from "../../src/pipeline/stage.ts";

export const log: { stage: string; start: number; end: number }[] = [];

export function toyStages(): Stage[] {
  const a = defineStage({
    name: "a",
    description: "writes a.txt from its parameter",
    after: [],
    params: {
      text: str("hello", "text to write"),
      fail: bool(false, "throw after writing"),
      stall_ms: int(0, "sleep first"),
    },
    inputs: () => [],
    outputs: () => ["out/a.txt"],
    async run(ctx) {
      const t0 = performance.now();
      if (ctx.params.stall_ms) {
        await Deno.writeTextFile(`${ctx.path(".")}/started.marker`, "1");
        await new Promise((r) => setTimeout(r, ctx.params.stall_ms));
      }
      await Deno.mkdir(ctx.out("out/a.txt").replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(ctx.out("out/a.txt"), ctx.params.text);
      if (ctx.params.fail) throw new Error("stage a failed on purpose");
      log.push({ stage: "a", start: t0, end: performance.now() });
    },
  });
  const b = defineStage({
    name: "b",
    description: "upper-cases a.txt",
    after: ["a"],
    params: { fail: bool(false, "throw") },
    inputs: () => ["out/a.txt"],
    outputs: () => ["out/b.txt"],
    async run(ctx) {
      const text = await Deno.readTextFile(ctx.path("out/a.txt"));
      await Deno.mkdir(ctx.out("out/b.txt").replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(ctx.out("out/b.txt"), text.toUpperCase());
      if (ctx.params.fail) throw new Error("stage b failed on purpose");
      ctx.rows("chars", text.length);
    },
  });
  const c = defineStage({
    name: "c",
    description: "independent of a and b",
    after: [],
    params: { wait_ms: int(0, "sleep") },
    inputs: () => [],
    outputs: () => ["out/c.txt"],
    async run(ctx) {
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, ctx.params.wait_ms));
      await Deno.mkdir(ctx.out("out/c.txt").replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(ctx.out("out/c.txt"), "c");
      log.push({ stage: "c", start: t0, end: performance.now() });
    },
  });
  return [a, b, c] as unknown as Stage[];
}
