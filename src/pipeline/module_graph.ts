/**
 * The code a stage runs: the local files reachable from its module through static imports,
 * re-exports, dynamic `import("...")` and `new URL("...", import.meta.url)` (how Workers and
 * wasm files are located), plus the npm packages they import, by their pinned version.
 * The runner hashes this set, so a stage re-runs exactly when something it runs changed,
 * however deep in its graph.
 */
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

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
 * Walks the module graph from `entry` (a path or `file:` URL). `versions` maps npm package
 * names to their pinned versions (package.json `dependencies`).
 */
export async function moduleGraph(
  entry: string | URL,
  versions: Record<string, string>,
): Promise<ModuleGraph> {
  const start = entry instanceof URL || entry.startsWith("file:")
    ? fileURLToPath(entry)
    : resolve(entry);
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [start];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!SCRIPT.test(file)) continue;
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      // A missing file stays in the set: its absence is part of the hash.
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    for (const spec of specifiersOf(text)) {
      if (spec.startsWith("./") || spec.startsWith("../")) {
        queue.push(resolve(dirname(file), spec));
      } else if (spec.startsWith("node:") || /^[a-z]+:\/\//.test(spec)) {
        continue; // the runtime's own modules, or a URL (never fetched: not part of the code)
      } else if (PACKAGE.test(spec)) {
        const name = packageName(spec);
        packages.add(`${name}@${versions[name] ?? "?"}`);
      }
    }
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

/** Files of a graph relative to `root`, for messages and lock files. */
export function relativeFiles(graph: ModuleGraph, root: string): string[] {
  return graph.files.map((f) => relative(root, f));
}
