import assert from "node:assert/strict";
import { join } from "node:path";
import { countLines } from "../../src/data/ingest/line_count.ts";
import { assertAccounted, EMPTY_TALLY, type LineTally } from "../../src/data/ingest/accounting.ts";
import { splitLines } from "../../src/data/ingest/lines.ts";
import { linePasses } from "../../src/data/ingest/line_pass.ts";

async function withFile<T>(bytes: Uint8Array | string, f: (path: string) => Promise<T>) {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-lines-" });
  try {
    const path = join(dir, "f.csv");
    if (typeof bytes === "string") await Deno.writeTextFile(path, bytes);
    else await Deno.writeFile(path, bytes);
    return await f(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("countLines() counts as wc -l, with CRLF, lone CR and a missing last line end", async () => {
  const cases: [string, number][] = [
    ["", 0],
    ["a", 1],
    ["a\n", 1],
    ["a\nb", 2],
    ["a\n\n", 2],
    ["a\r\nb\r\n", 2],
    ["a\rb\rc", 3],
    ["a\r\rb\r", 3],
    ["a\r\n\r\nb", 3],
    ["\n", 1],
    ["\r", 1],
  ];
  for (const [text, lines] of cases) {
    const got = await withFile(text, countLines);
    assert.equal(got.lines, lines, JSON.stringify(text));
    assert.equal(got.bytes, new TextEncoder().encode(text).length);
  }
});

Deno.test("countLines() and splitLines() agree on a CR that ends a 4 MiB read", async () => {
  for (const next of ["\n", "x"]) {
    const size = 1 << 22;
    const line = "1,2";
    const body = new TextEncoder().encode(
      "a,b\n" + `${line}\n`.repeat(Math.floor((size - 5) / 4)) + "9,9",
    );
    const bytes = new Uint8Array(size + 64);
    bytes.set(body.subarray(0, size - 1));
    bytes[size - 1] = 13; // "\r" is the last byte of the first read
    const rest = new TextEncoder().encode(`${next}${next === "x" ? ",1" : "5,5"}\n7,7\n`);
    bytes.set(rest, size);
    const file = bytes.subarray(0, size + rest.length);
    await withFile(file, async (path) => {
      const { lines } = await countLines(path);
      const split = await splitLines(path, `${path}.copy`, () => ({ fields: 2 }));
      assert.equal(split.lines, lines, `after "\\r", ${JSON.stringify(next)}`);
      assert.equal(split.written + split.problems.length + 1, lines);
    });
  }
});

const tally = (lines: number[]): LineTally => ({
  n: BigInt(lines.length),
  sum: lines.reduce((a, l) => a + BigInt(l), 0n),
  squares: lines.reduce((a, l) => a + BigInt(l) * BigInt(l), 0n),
});

Deno.test("the ingest check fails on a lost line, a repeated one, and a lost line hidden by a repeat", () => {
  assertAccounted("f.csv", 5, tally([2, 3, 5]), tally([4]));
  assertAccounted("empty.csv", 0, EMPTY_TALLY, EMPTY_TALLY);
  assert.throws(
    () => assertAccounted("f.csv", 5, tally([2, 3]), tally([4])),
    /Cannot account for the lines of "f\.csv": it has 5 lines \(1 header\), raw\.parquet holds 2 and rejects\.parquet 1/,
  );
  assert.throws(() => assertAccounted("f.csv", 5, tally([2, 3, 5, 5]), tally([4])), /holds 4/);
  assert.throws(
    () => assertAccounted("f.csv", 5, tally([2, 3, 3]), tally([4])),
    /some line numbers are missing and others repeated/,
  );
  assert.throws(
    () => assertAccounted("f.csv", 6, tally([2, 2, 5, 5]), tally([6])),
    /some line numbers are missing and others repeated/,
    "3 and 4 lost, 2 and 5 counted twice: the count and the sum match, the squares do not",
  );
});

Deno.test("linePasses() on workers gives what the passes give inline, in job order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-lines-" });
  try {
    const texts = ["a,b\n1,2\n3\n", "a,b\r\n\r\n5,6", "x,y\n1,2\n", "a,b\n" + "7,8\n".repeat(1000)];
    const jobs = texts.map((_, i) => ({
      path: join(dir, `${i}.csv`),
      copy: join(dir, `${i}.copy`),
      file: i,
      required: ["a", "b"],
      layout: "test",
    }));
    for (const [i, t] of texts.entries()) await Deno.writeTextFile(jobs[i]!.path, t);
    const inline = await linePasses(jobs, 1);
    const copies = await Promise.all(jobs.map((j) => Deno.readTextFile(j.copy)));
    const onWorkers = await linePasses(jobs, 2);
    assert.deepEqual(onWorkers, inline);
    assert.deepEqual(await Promise.all(jobs.map((j) => Deno.readTextFile(j.copy))), copies);
    assert.deepEqual(inline.map((r) => r.sourceLines), [3, 3, 2, 1001]);
    assert.match(inline[2]!.problem!, /header does not match the test layout: missing "a", "b"/);
    assert.equal(copies[3]!.split("\n")[0], "3,2,7,8", "file number, line number, the line");
    await assert.rejects(
      linePasses([{ ...jobs[0]!, path: join(dir, "gone.csv") }, jobs[1]!], 2),
      /Cannot read raw file ".*gone\.csv"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
