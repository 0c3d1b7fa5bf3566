/**
 * The code a stage runs: the local files reachable from its module through static imports,
 * re-exports, dynamic `import("...")` and `new URL("...", import.meta.url)` (how Workers and
 * wasm files are located), plus the npm packages they import, by their pinned version.
 * The runner hashes this set, so a stage re-runs exactly when something it runs changed,
 * however deep in its graph.
 */
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type HashCache, type HashOptions, hashPath, hashText } from "./hash.ts";

export interface ModuleGraph {
  /** Local files, absolute paths, sorted. */
  files: string[];
  /** npm packages as "name@version" (version "?" when not pinned), sorted. */
  packages: string[];
}

// Specifiers in `from "x"`, `import "x"`, `import("x")` and `new URL("x", import.meta.url)`.
// Comments are not parsed away: a specifier in a comment only adds a file to the hash.
const SPECIFIER_PATTERNS = [
  /\bfrom\s*["']([^"'\n]+)["']/g,
  /\bimport\s*["']([^"'\n]+)["']/g,
  /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g,
  /\bnew URL\(\s*["']([^"'\n]+)["']\s*,\s*import\.meta\.url\s*\)/g,
];
const SCRIPT = /\.(ts|tsx|js|mjs|jsx|mts)$/;
const PACKAGE = /^(npm:\/?)?(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(@[\w.^~-]+)?(\/[\w./-]*)?$/;

/** The specifiers a module's text names, in order of appearance per pattern. */
export function specifiersOf(text: string): string[] {
  const out: string[] = [];
  for (const re of SPECIFIER_PATTERNS) {
    for (const m of text.matchAll(re)) out.push(m[1]!);
  }
  return out;
}

/** The npm package name of a bare or `npm:` specifier ("@scope/name/sub" -> "@scope/name"). */
export function packageName(specifier: string): string {
  const bare = specifier.replace(/^npm:\/?/, "");
  const parts = bare.split("/");
  const name = bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  // "npm:name@1.2.3" carries its version; strip it from the name (not the scope's "@").
  const at = name.lastIndexOf("@");
  return at > 0 ? name.slice(0, at) : name;
}

/**
 * What one run has already read: each file's specifiers and hash, so that a file reached by
 * every stage (the stage runtime, the catalog, DuckDB helpers) is read and hashed once.
 */
export interface GraphMemo {
  specifiers: Map<string, Promise<string[] | null>>;
  hashes: Map<string, Promise<string | null>>;
}

export function graphMemo(): GraphMemo {
  return { specifiers: new Map(), hashes: new Map() };
}

/** The specifiers of a script file; null when it does not exist. */
function fileSpecifiers(file: string, memo: GraphMemo): Promise<string[] | null> {
  let p = memo.specifiers.get(file);
  if (!p) {
    p = Deno.readTextFile(file).then(specifiersOf, (e) => {
      // A missing file stays in the graph: its absence is part of the hash.
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    });
    memo.specifiers.set(file, p);
  }
  return p;
}

/**
 * Walks the module graph from `entry` (a path or `file:` URL). `versions` maps npm package
 * names to their pinned versions (package.json `dependencies`). Files of one level of the
 * walk are read at the same time.
 */
export async function moduleGraph(
  entry: string | URL,
  versions: Record<string, string>,
  memo: GraphMemo = graphMemo(),
): Promise<ModuleGraph> {
  const start = entry instanceof URL || entry.startsWith("file:")
    ? fileURLToPath(entry)
    : resolve(entry);
  const files = new Set<string>([start]);
  const packages = new Set<string>();
  let level = [start];
  while (level.length) {
    const found = await Promise.all(
      level.map((f) => SCRIPT.test(f) ? fileSpecifiers(f, memo) : Promise.resolve(null)),
    );
    const next: string[] = [];
    level.forEach((file, i) => {
      for (const spec of found[i] ?? []) {
        if (spec.startsWith("./") || spec.startsWith("../")) {
          const dep = resolve(dirname(file), spec);
          if (!files.has(dep)) files.add(dep), next.push(dep);
        } else if (spec.startsWith("node:") || /^[a-z]+:\/\//.test(spec)) {
          continue; // the runtime's own modules, or a URL (never fetched: not part of the code)
        } else if (PACKAGE.test(spec)) {
          const name = packageName(spec);
          packages.add(`${name}@${versions[name] ?? "?"}`);
        }
      }
    });
    level = next;
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** The pinned versions of package.json's dependencies under `root` (empty when absent). */
export async function pinnedVersions(root: string): Promise<Record<string, string>> {
  try {
    const pkg = JSON.parse(await Deno.readTextFile(resolve(root, "package.json")));
    return { ...(pkg.devDependencies ?? {}), ...(pkg.dependencies ?? {}) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
}

/**
 * The hash of a stage's code: every local file of its module graph by content, named
 * relative to `root` (so the hash is the same in any clone), and every npm package by its
 * pinned version.
 */
export async function codeHash(
  module: string,
  root: string,
  versions: Record<string, string>,
  cache?: HashCache,
  options: HashOptions = {},
  memo: GraphMemo = graphMemo(),
): Promise<string> {
  const graph = await moduleGraph(module, versions, memo);
  const hashes = await Promise.all(graph.files.map((f) => {
    let h = memo.hashes.get(f);
    if (!h) memo.hashes.set(f, h = hashPath(f, cache, options));
    return h;
  }));
  const parts = graph.files.map((f, i) => `${relative(root, f)}:${hashes[i] ?? "missing"}`);
  for (const p of graph.packages) parts.push(`npm:${p}`);
  return hashText(parts.join("\n"));
}

/**
 * The import cycles of a graph (module -> modules it imports): its strongly connected
 * components of more than one module, or of one module that imports itself. Members and
 * components sorted. Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
 */
export function stronglyConnected(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    // Each frame: a node and how many of its edges were followed.
    const frames: { node: string; edge: number }[] = [{ node: start, edge: 0 }];
    index.set(start, next), low.set(start, next++), stack.push(start), onStack.add(start);
    while (frames.length) {
      const f = frames.at(-1)!;
      const edges = graph.get(f.node) ?? [];
      if (f.edge < edges.length) {
        const w = edges[f.edge++]!;
        if (!index.has(w)) {
          index.set(w, next), low.set(w, next++), stack.push(w), onStack.add(w);
          frames.push({ node: w, edge: 0 });
        } else if (onStack.has(w)) {
          low.set(f.node, Math.min(low.get(f.node)!, index.get(w)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames.at(-1);
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(f.node)!));
      if (low.get(f.node) !== index.get(f.node)) continue;
      const component: string[] = [];
      for (;;) {
        const w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
        if (w === f.node) break;
      }
      if (component.length > 1 || edges.includes(f.node)) out.push(component.sort());
    }
  }
  return out.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
