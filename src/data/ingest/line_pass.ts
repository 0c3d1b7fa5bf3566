/**
 * The line-level pass over one raw file, as ingest runs it (in a worker when there is much
 * to read): its line count from the bytes, then its lines split, checked and copied for
 * the parser, with the header judged against the columns the layout requires.
 */
import { countLines } from "./line_count.ts";
import { type LineProblem, splitLines } from "./lines.ts";
import { splitCsvLine } from "./csv_line.ts";

export interface LinePassJob {
  path: string;
  copy: string;
  file: number;
  /** Header names the layout requires. */
  required: readonly string[];
  /** The layout's name, for messages. */
  layout: string;
}

export interface LinePassResult {
  bytes: number;
  /** Lines of the file, counted from its bytes by line_count.ts. */
  sourceLines: number;
  /** The header's fields, or null when the file has none or a wrong one. */
  header: string[] | null;
  /** Why the whole file was rejected (its header), or null. */
  problem: string | null;
  problems: LineProblem[];
}

export async function linePass(job: LinePassJob): Promise<LinePassResult> {
  const counted = await countLines(job.path);
  let header: string[] | null = null;
  let problem: string | null = null;
  const split = await splitLines(job.path, job.copy, (text) => {
    const fields = splitCsvLine(text);
    const missing = job.required.filter((r) => !fields.includes(r));
    if (missing.length) {
      problem = `header does not match the ${job.layout} layout: missing ${
        missing.map((m) => `"${m}"`).join(", ")
      } (found ${fields.slice(0, 20).map((h) => `"${h}"`).join(", ")})`;
      return { problem };
    }
    header = fields;
    return { fields: fields.length };
  }, { file: job.file });
  if (split.header !== null && header === null && problem === null) {
    problem = split.problems[0]?.reason ?? "the header line cannot be read";
  }
  return {
    bytes: counted.bytes,
    sourceLines: counted.lines,
    header,
    problem,
    problems: split.problems,
  };
}

/**
 * Runs line passes on `threads` workers at once (the pass is JavaScript: one core each),
 * results in job order. Errors name the file.
 */
export async function linePasses(
  jobs: LinePassJob[],
  threads: number,
): Promise<LinePassResult[]> {
  const results: LinePassResult[] = new Array(jobs.length);
  const run = async (i: number, worker: Worker | null) => {
    const job = jobs[i]!;
    try {
      results[i] = worker ? await inWorker(worker, job) : await linePass(job);
    } catch (e) {
      throw new Error(
        `Cannot read raw file "${job.path}": ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };
  if (threads <= 1 || jobs.length <= 1) {
    for (let i = 0; i < jobs.length; i++) await run(i, null);
    return results;
  }
  const workers = Array.from(
    { length: Math.min(threads, jobs.length) },
    () => new Worker(new URL("./line_worker.ts", import.meta.url).href, { type: "module" }),
  );
  try {
    // After a failure no worker takes a new job, and the error waits for the jobs under way:
    // a worker killed mid-write would leave a half-written copy behind the caller's clean-up.
    let next = 0;
    let failed = false;
    const settled = await Promise.allSettled(workers.map(async (w) => {
      while (!failed && next < jobs.length) {
        try {
          await run(next++, w);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    }));
    const failure = settled.find((s) => s.status === "rejected");
    if (failure) throw (failure as PromiseRejectedResult).reason;
    return results;
  } finally {
    for (const w of workers) w.terminate();
  }
}

function inWorker(worker: Worker, job: LinePassJob): Promise<LinePassResult> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<{ result?: LinePassResult; error?: string }>) =>
      e.data.error ? reject(new Error(e.data.error)) : resolve(e.data.result!);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
    worker.postMessage(job);
  });
}
