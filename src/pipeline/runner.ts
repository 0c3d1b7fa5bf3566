import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { commitOutput, exists, writeJsonAtomic } from "./atomic.ts";
import type { Resolved } from "./config.ts";
import { canonicalJson, type HashCache, hashPath, hashText } from "./hash.ts";
import { type LockFile, readLock, type StageLock, writeLock } from "./lockfile.ts";
import { progress } from "./progress.ts";
import { appendRun, gitCommit, type RunRecord } from "./runs.ts";
import { acquireRunLock } from "./run_lock.ts";
import type { Globals, Lineage, Stage, StageContext } from "./stage.ts";
import { codeHash, graphMemo, pinnedVersions } from "./module_graph.ts";

export interface RunOptions {
  root: string;
  params: Resolved;
  only?: string[];
  from?: string;
  force?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  /** Re-hash every input, output and code file instead of trusting the stat cache. */
  verify?: boolean;
  /**
   * For tests of interrupted runs: after this stage succeeds, say so in the log and wait
   * an hour before going on (the test kills the run meanwhile).
   */
  stallAfter?: string;
  /** Upper bound on stages running at once (default: the number of cores). */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface RunResult {
  record: RunRecord;
  plan: { stage: string; action: "run" | "skip" | "disabled"; reason: string }[];
}

type AnyStage = Stage;

/** Orders stages so each comes after the stages it names in `after`; throws on a cycle or unknown name. */
function topoOrder(stages: readonly AnyStage[]): AnyStage[] {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const out: AnyStage[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (s: AnyStage, path: string[]) => {
    if (state.get(s.name) === "done") return;
    if (state.get(s.name) === "visiting") {
      throw new Error(`Cannot order stages: cycle ${[...path, s.name].join(" -> ")}`);
    }
    state.set(s.name, "visiting");
    for (const a of s.after) {
      const dep = byName.get(a);
      if (!dep) throw new Error(`Cannot order stages: "${s.name}" runs after unknown stage "${a}"`);
      visit(dep, [...path, s.name]);
    }
    state.set(s.name, "done");
    out.push(s);
  };
  for (const s of stages) visit(s, []);
  return out;
}

function downstreamOf(stages: readonly AnyStage[], start: string): Set<string> {
  const set = new Set([start]);
  for (const s of topoOrder(stages)) if (s.after.some((a) => set.has(a))) set.add(s.name);
  return set;
}

function stageParams(s: AnyStage, params: Resolved): Record<string, unknown> {
  return { ...(params[s.name] ?? {}), ...usedParams(s, params) };
}

/** The values of the parameters a stage `uses`, by "stage.param". */
function usedParams(s: AnyStage, params: Resolved): Record<string, unknown> {
  const used: Record<string, unknown> = {};
  for (const u of Object.keys(s.uses ?? {})) {
    const [sec, key] = u.split(".") as [string, string];
    used[u] = params[sec]?.[key];
  }
  return used;
}

/**
 * Runs the pipeline: decides per stage whether it must run (code, parameters, inputs or
 * outputs changed since the lock file's record), runs the stages that must in dependency
 * order, several at once where independent, stages every output and commits all of them
 * with the lock file only when the whole run succeeded.
 */
export async function runPipeline(
  stages: readonly AnyStage[],
  opts: RunOptions,
): Promise<RunResult> {
  const root = opts.root;
  const log = opts.log ?? ((l: string) => console.log(l));
  const ordered = topoOrder(stages);
  const names = new Set(ordered.map((s) => s.name));
  for (const n of [...(opts.only ?? []), ...(opts.from ? [opts.from] : [])]) {
    if (!names.has(n)) throw new Error(`Unknown stage "${n}" (stages: ${[...names].join(", ")})`);
  }
  const selected = opts.only?.length
    ? new Set(opts.only)
    : opts.from
    ? downstreamOf(ordered, opts.from)
    : new Set(names);
  const forced = new Set(opts.force ? selected : opts.from ? [opts.from] : []);
  const globals = opts.params.pipeline as Globals;
  const withGlobals = (s: AnyStage) => ({ ...(opts.params[s.name] ?? {}), ...globals }) as never;

  const runId = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z") + "-" +
    crypto.randomUUID().slice(0, 6);
  const lockPath = join(root, "aqlab.lock");
  const work = join(root, ".aqlab");
  const runLock = opts.dryRun
    ? null
    : await acquireRunLock(join(work, "run.lock"), { wait: opts.wait ?? false });
  const started = new Date().toISOString();
  const record: RunRecord = {
    run_id: runId,
    started,
    ended: started,
    status: "succeeded",
    error: null,
    git_commit: await gitCommit(root),
    data_hash: null,
    source: globals.source,
    params: opts.params,
    stages: [],
    metrics: {},
    records: {},
  };
  const staging = join(work, "staging", runId);
  const onSignal = () => {
    // Staged outputs are discarded and nothing is committed: the previous artifacts stand.
    record.status = "interrupted";
    Deno.removeSync(staging, { recursive: true });
    Deno.removeSync(join(work, "run.lock"));
    log(`interrupted: nothing committed; previous outputs and aqlab.lock unchanged`);
    Deno.exit(130);
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  if (!opts.dryRun) { for (const s of signals) Deno.addSignalListener(s, onSignal); }

  const cachePath = join(work, "hash-cache.json");
  const cache: HashCache = await Deno.readTextFile(cachePath).then(JSON.parse).catch(() => ({
    entries: {},
  }));
  const lock: LockFile = await readLock(lockPath);
  const newLock: LockFile = structuredClone(lock);
  const plan: RunResult["plan"] = [];
  const stagedOutputs = new Map<string, string>(); // final relative path -> staged absolute path
  // Staged writes into shared stores (the registry), committed under their lock if unchanged.
  const sharedWrites: {
    stage: string;
    rel: string;
    staged: string;
    lock: string;
    base: string | null;
  }[] = [];
  const overlay = new Map<string, string>(); // every staged path, outputs and shared writes
  const willRun = new Set<string>();

  // A path is staged when it is an output of this run, or lies inside a staged folder output.
  const resolvePath = (rel: string) => {
    const exact = overlay.get(rel);
    if (exact) return exact;
    for (const [out, staged] of overlay) {
      if (rel.startsWith(out + "/")) return join(staged, rel.slice(out.length + 1));
    }
    return resolve(root, rel);
  };
  const hashOpts = { verify: opts.verify ?? false };
  const hashRel = (rel: string) => hashPath(resolvePath(rel), cache, hashOpts);

  try {
    // Old staging folders are what killed runs left behind.
    await Deno.remove(join(work, "staging"), { recursive: true }).catch(() => {});
    const versions = await pinnedVersions(root);
    const codeHashes = new Map<string, Promise<string>>();
    const memo = graphMemo();
    const stageCode = (s: AnyStage): Promise<string> => {
      let h = codeHashes.get(s.name);
      if (!h) {
        h = s.module
          ? codeHash(s.module, root, versions, cache, hashOpts, memo)
          : Promise.resolve("");
        codeHashes.set(s.name, h);
      }
      return h;
    };
    const lineage = async (target: string): Promise<Lineage> => {
      const byName = new Map(ordered.map((s) => [s.name, s]));
      if (!byName.has(target)) throw new Error(`Cannot trace lineage of unknown stage "${target}"`);
      const names = new Set<string>();
      const visit = (n: string) => {
        if (names.has(n)) return;
        names.add(n);
        for (const a of byName.get(n)?.after ?? []) visit(a);
      };
      visit(target);
      const stages: Lineage["stages"] = {};
      for (const name of [...names].sort()) {
        const s = byName.get(name)!;
        if (s.enabled && !s.enabled(globals)) continue;
        const inputs: Record<string, string | null> = {};
        for (const i of s.inputs(withGlobals(s))) inputs[i] = await hashRel(i);
        stages[name] = { code: await stageCode(s), params: stageParams(s, opts.params), inputs };
      }
      const ingest = stages["ingest"];
      return {
        run_id: runId,
        data_hash: ingest ? hashText(canonicalJson(ingest.inputs)) : null,
        stages,
      };
    };

    const decide = async (
      s: AnyStage,
    ): Promise<
      { run: boolean; reason: string; code: string; inputs: Record<string, string | null> }
    > => {
      const p = withGlobals(s);
      const code = await stageCode(s);
      const inputs: Record<string, string | null> = {};
      const upstream = s.after.filter((a) => willRun.has(a));
      for (const i of s.inputs(p)) {
        inputs[i] = opts.dryRun && upstream.length ? null : await hashRel(i);
      }
      const prev: StageLock | undefined = lock.stages[s.name];
      const missing = Object.entries(inputs).filter(([k, h]) =>
        h === null && !upstream.length && k
      );
      if (missing.length) {
        // Another stage's output that is not there: the stage would fail only after its work,
        // in the OS's words. (Other inputs may be optional: the registry before a first
        // register, a batch folder; the stage itself says what it needs.)
        const unwritten = missing.map(([k]) => k).filter((k) => writerOf(s, k));
        if (!opts.dryRun && unwritten.length) throw missingInputError(s, unwritten);
        return {
          run: true,
          reason: `missing input ${missing.map(([k]) => k).join(", ")}`,
          code,
          inputs,
        };
      }
      if (forced.has(s.name)) return { run: true, reason: "forced", code, inputs };
      if (opts.dryRun && upstream.length) {
        return { run: true, reason: `upstream ${upstream.join(", ")} will run`, code, inputs };
      }
      if (!prev) return { run: true, reason: "never ran", code, inputs };
      if (prev.code !== code) return { run: true, reason: "code changed", code, inputs };
      const params = stageParams(s, opts.params);
      if (canonicalJson(prev.params) !== canonicalJson(params)) {
        const changed = Object.keys({ ...params, ...prev.params }).filter((k) =>
          canonicalJson(params[k]) !== canonicalJson(prev.params[k])
        );
        return { run: true, reason: `parameter changed: ${changed.join(", ")}`, code, inputs };
      }
      for (const [k, h] of Object.entries(inputs)) {
        if (prev.inputs[k] !== h) return { run: true, reason: `input changed: ${k}`, code, inputs };
      }
      for (const o of s.outputs(p)) {
        const h = await hashPath(join(root, o), cache, hashOpts);
        if (h === null) return { run: true, reason: `output missing: ${o}`, code, inputs };
        if (prev.outputs[o] !== h) {
          return { run: true, reason: `output changed since last run: ${o}`, code, inputs };
        }
      }
      return { run: false, reason: "unchanged", code, inputs };
    };

    /** The stage of the pipeline whose declared outputs hold `path` (not `s` itself). */
    const writerOf = (s: AnyStage, path: string) =>
      ordered.find((w) =>
        w !== s && w.outputs(withGlobals(w)).some((o) => path === o || path.startsWith(`${o}/`))
      );

    /** Inputs that other stages write and that are not there: which stage to run first. */
    const missingInputError = (s: AnyStage, paths: string[]): Error => {
      const how = paths.map((path) =>
        `${path} (written by stage "${
          writerOf(s, path)!.name
        }": run it first, or the pipeline without --only)`
      );
      return new Error(
        `Cannot run stage "${s.name}": input${paths.length > 1 ? "s" : ""} missing: ${
          how.join("; ")
        }`,
      );
    };

    const execute = async (
      s: AnyStage,
      code: string,
      inputs: Record<string, string | null>,
      reason: string,
    ) => {
      const p = withGlobals(s);
      const outs = s.outputs(p);
      const stageDir = join(staging, s.name);
      const entry: RunRecord["stages"][number] = {
        name: s.name,
        status: "ran",
        reason,
        seconds: 0,
        rows: {},
        metrics: {},
      };
      record.stages.push(entry);
      const say = (m: string) => log(`[${s.name}] ${m}`);
      const ctx: StageContext = {
        params: (opts.params[s.name] ?? {}) as never,
        used: usedParams(s, opts.params) as never,
        globals,
        all: opts.params,
        runId,
        out(o) {
          if (!outs.includes(o)) {
            throw new Error(
              `Stage "${s.name}" writes "${o}", which it does not declare as an output`,
            );
          }
          const staged = join(stageDir, o);
          Deno.mkdirSync(dirname(staged), { recursive: true });
          return staged;
        },
        async sharedOut(rel, lock) {
          const clash = outs.find((o) => rel === o || rel.startsWith(o + "/"));
          if (clash || overlay.has(rel)) {
            throw new Error(
              `Stage "${s.name}" stages "${rel}" as a shared write, but it is ${
                clash ? "a declared output" : "staged already"
              }`,
            );
          }
          const staged = join(stageDir, rel);
          await Deno.mkdir(dirname(staged), { recursive: true });
          // What the write is based on: exact bytes, no cache (the caller holds the lock).
          const base = await hashPath(join(root, rel));
          sharedWrites.push({ stage: s.name, rel, staged, lock, base });
          overlay.set(rel, staged);
          return staged;
        },
        path: resolvePath,
        relative: (p) => projectPath(root, staging, p),
        log: say,
        warn: (m) => say(`warning: ${m}`),
        progress: (label, total) => progress(`[${s.name}] ${label}`, total, log),
        rows(label, n) {
          entry.rows[label] = n;
        },
        metric(name, value) {
          entry.metrics[name] = value;
          record.metrics[`${s.name}.${name}`] = value;
        },
        record(name, value) {
          record.records[`${s.name}.${name}`] = value;
        },
        lineage,
      };
      say(`running (${reason}): ${s.description}`);
      const t0 = performance.now();
      try {
        await s.run(ctx);
      } catch (e) {
        entry.status = "failed";
        entry.seconds = (performance.now() - t0) / 1000;
        throw e;
      }
      entry.seconds = (performance.now() - t0) / 1000;
      const outHashes: Record<string, string | null> = {};
      for (const o of outs) {
        const staged = join(stageDir, o);
        if (!(await exists(staged))) {
          throw new Error(`Stage "${s.name}" finished without writing its output "${o}"`);
        }
        stagedOutputs.set(o, staged);
        overlay.set(o, staged);
        outHashes[o] = await hashPath(staged, cache, hashOpts);
      }
      const rowNote = Object.entries(entry.rows).map(([k, v]) =>
        `${k} ${v.toLocaleString("en-US")}`
      ).join(", ");
      say(`done in ${entry.seconds.toFixed(2)}s${rowNote ? `: ${rowNote}` : ""}`);
      if (opts.stallAfter === s.name) {
        say("stalling (test hook)");
        await new Promise((r) => setTimeout(r, 3_600_000));
      }
      newLock.stages[s.name] = {
        code,
        params: stageParams(s, opts.params),
        inputs,
        outputs: outHashes,
        run_id: runId,
        seconds: entry.seconds,
      };
    };

    // Scheduling: a stage starts when every stage it comes after has finished.
    const finished = new Map<string, Promise<void>>();
    const limit = Math.max(1, opts.concurrency ?? navigator.hardwareConcurrency ?? 2);
    let running = 0;
    const queue: (() => void)[] = [];
    const slot = async () => {
      if (running >= limit) await new Promise<void>((r) => queue.push(r));
      running++;
    };
    const free = () => {
      running--;
      queue.shift()?.();
    };
    let failure: unknown = null;
    for (const s of ordered) {
      const deps = s.after.map((a) => finished.get(a)).filter((x): x is Promise<void> => !!x);
      const task = (async () => {
        await Promise.all(deps);
        if (failure) return;
        const enabled = s.enabled ? s.enabled(globals) : true;
        if (!enabled || !selected.has(s.name)) {
          if (!enabled) {
            plan.push({
              stage: s.name,
              action: "disabled",
              reason: "not used with this configuration",
            });
          }
          return;
        }
        await slot();
        try {
          if (failure) return;
          const d = await decide(s);
          plan.push({ stage: s.name, action: d.run ? "run" : "skip", reason: d.reason });
          if (!d.run) {
            record.stages.push({
              name: s.name,
              status: "skipped",
              reason: d.reason,
              seconds: 0,
              rows: {},
              metrics: {},
            });
            if (!opts.dryRun) log(`[${s.name}] skipped: ${d.reason}`);
            return;
          }
          willRun.add(s.name);
          if (opts.dryRun) return;
          await execute(s, d.code, d.inputs, d.reason);
        } catch (e) {
          failure ??= e;
        } finally {
          free();
        }
      })();
      finished.set(s.name, task);
    }
    await Promise.all(finished.values());
    if (failure) throw failure;

    if (opts.dryRun) {
      for (const p of plan) {
        log(
          `${
            p.action === "run" ? "would run" : p.action === "skip" ? "would skip" : "disabled"
          }  ${p.stage}: ${p.reason}`,
        );
      }
      record.status = "nothing-to-do";
      return { record, plan };
    }
    // Commit: shared writes first (a kill right after them leaves a registry that the next
    // run's register recognises: the same model is not registered twice), then every staged
    // output, then the lock file.
    await commitSharedWrites(root, runId, sharedWrites, join(work, "trash"));
    for (const [rel, staged] of stagedOutputs) {
      await commitOutput(staged, join(root, rel), join(work, "trash"));
    }
    await writeLock(lockPath, newLock);
    if (!record.stages.some((s) => s.status === "ran")) record.status = "nothing-to-do";
    const ingest = newLock.stages["ingest"];
    record.data_hash = ingest ? hashText(canonicalJson(ingest.inputs)) : null;
  } catch (e) {
    record.status = "failed";
    record.error = e instanceof Error ? e.message : String(e);
    throw e;
  } finally {
    if (!opts.dryRun) {
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
      await Deno.remove(staging, { recursive: true }).catch(() => {});
      // Drop cache entries of files that are gone (staging paths, removed outputs).
      for (const k of Object.keys(cache.entries)) {
        if (k.includes(`${join(".aqlab", "staging")}`)) delete cache.entries[k];
      }
      await writeJsonAtomic(cachePath, cache).catch(() => {});
      record.ended = new Date().toISOString();
      if (record.stages.some((s) => s.status === "ran" || s.status === "failed")) {
        await appendRun(root, record).catch((e) => log(`warning: cannot record the run: ${e}`));
      }
      await runLock?.release();
    }
  }
  return { record, plan };
}

/**
 * Moves staged writes into shared stores, each store under its lock, and only if every
 * target is still as it was when staged (another registration or a promote in between would
 * otherwise be overwritten). On a conflict nothing of the run is committed.
 */
async function commitSharedWrites(
  root: string,
  runId: string,
  writes: { stage: string; rel: string; staged: string; lock: string; base: string | null }[],
  trash: string,
): Promise<void> {
  for (const lock of [...new Set(writes.map((w) => w.lock))].sort()) {
    const mine = writes.filter((w) => w.lock === lock);
    const held = await acquireRunLock(join(root, lock), { wait: true, pollMs: 50 });
    try {
      for (const w of mine) {
        if ((await hashPath(join(root, w.rel))) !== w.base) {
          throw new Error(
            `Cannot commit run ${runId}: "${w.rel}" changed while the run ran (written by another command since stage "${w.stage}" read it); nothing was committed, run again from "${w.stage}"`,
          );
        }
      }
      for (const w of mine) await commitOutput(w.staged, join(root, w.rel), trash);
    } finally {
      await held.release();
    }
  }
}

/**
 * The project-relative name of `path`: a staged path (`<staging>/<stage>/<rel>`) is named by
 * `<rel>`, its place once committed; a path outside the project is returned as it is.
 */
export function projectPath(root: string, staging: string, path: string): string {
  const abs = resolve(root, path);
  if (abs.startsWith(staging + sep)) {
    const rest = abs.slice(staging.length + 1);
    const slash = rest.indexOf(sep);
    return slash < 0 ? "." : rest.slice(slash + 1);
  }
  const rel = relative(root, abs);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}
