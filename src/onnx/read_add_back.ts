/**
 * Reads back the add-back our exporter writes after the trees of a change-target model
 * (export.ts `addBackNodes`): an Add of the trees' output and a chain of Where nodes, each
 * taking one Gather'ed input column where IsNaN says it is present, ending in a Constant
 * fallback. The `aqlab.add_back` metadata carries what the graph cannot (the training mean
 * of the add-back, part of TreeSHAP's base value); it is trusted only when the graph
 * computes exactly the add-back it describes, column for column and fallback included.
 */
import { type AddBack, addBackColumns, checkAddBack } from "../gbdt/add_back.ts";
import { attributeMap, type Node, num, tensorNumbers } from "./_proto.ts";

/** What the graph computes after the trees: columns tried in order, then the fallback. */
interface GraphAddBack {
  columns: number[];
  fallback: number;
}

/**
 * The add-back of a graph whose nodes besides `trees` are not all pass-through: the
 * metadata's AddBack when the graph computes it, else a string saying why not.
 */
export function readAddBack(
  nodes: readonly Node[],
  trees: Node,
  input: string,
  output: string,
  featureNames: readonly string[],
  metaText: string | undefined,
): AddBack | string {
  const visited = new Set<Node>([trees]);
  const graph = graphAddBack(nodes, trees, input, output, visited);
  const stray = nodes.find((n) => !visited.has(n));
  if (typeof graph === "string" || stray) {
    const op = stray?.opType ?? nodes.find((n) => n !== trees)?.opType;
    return `the graph also computes "${op}"${typeof graph === "string" ? ` (${graph})` : ""}`;
  }
  if (metaText === undefined) {
    return `the graph adds a column back after the trees but has no "aqlab.add_back" metadata (the add-back's training mean, which TreeSHAP needs)`;
  }
  let meta: AddBack;
  let columns: Int32Array;
  try {
    meta = checkAddBack(JSON.parse(metaText), `metadata "aqlab.add_back"`);
    columns = addBackColumns(meta, featureNames);
  } catch (e) {
    return `metadata "aqlab.add_back" does not fit the model: ${(e as Error).message}`;
  }
  if (columns.join() !== graph.columns.join()) {
    return `the graph adds back columns [${
      graph.columns.join(", ")
    }], metadata "aqlab.add_back" names columns [${columns.join(", ")}] (${
      meta.features.join(", ")
    })`;
  }
  if (Math.fround(meta.fallback) !== graph.fallback) {
    return `the graph's add-back fallback ${graph.fallback} differs from metadata "aqlab.add_back" fallback ${meta.fallback}`;
  }
  return meta;
}

/** Walks back from the graph output; every node it accepts goes into `visited`. */
function graphAddBack(
  nodes: readonly Node[],
  trees: Node,
  input: string,
  output: string,
  visited: Set<Node>,
): GraphAddBack | string {
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const take = (name: string | undefined, op: string): Node | string => {
    const n = name === undefined ? undefined : producer.get(name);
    if (!n || n.opType !== op) return `expected ${op} to produce "${name}"`;
    visited.add(n);
    return n;
  };
  if ((trees.input ?? [])[0] !== input) return "the trees do not read the graph input";
  const add = take(output, "Add");
  if (typeof add === "string") return add;
  const [a, b] = add.input ?? [];
  const treesOut = (trees.output ?? [])[0];
  const rest = a === treesOut ? b : b === treesOut ? a : undefined;
  if (rest === undefined) return "the output adds nothing to the trees' sum";

  const columns: number[] = [];
  let at: string | undefined = rest;
  for (;;) {
    const n = producer.get(at ?? "");
    if (n?.opType === "Constant") {
      visited.add(n);
      const v = constantNumbers(n);
      if (v.length !== 1) return `the fallback constant holds ${v.length} values, expected 1`;
      return { columns, fallback: v[0]! };
    }
    const where = take(at, "Where");
    if (typeof where === "string") return where;
    const [cond, fallback, present] = where.input ?? [];
    const isNaN = take(cond, "IsNaN");
    if (typeof isNaN === "string") return isNaN;
    if ((isNaN.input ?? [])[0] !== present) return "a Where tests one column and takes another";
    const gather = take(present, "Gather");
    if (typeof gather === "string") return gather;
    const [data, index] = gather.input ?? [];
    const axis = num(attributeMap(gather).get("axis")?.i);
    if (data !== input || axis !== 1) return "a Gather reads other than the input's columns";
    const idx = take(index, "Constant");
    if (typeof idx === "string") return idx;
    const k = constantNumbers(idx);
    if (k.length !== 1) return `a Gather takes ${k.length} columns, expected 1`;
    columns.push(k[0]!);
    at = fallback;
  }
}

function constantNumbers(n: Node): number[] {
  const t = attributeMap(n).get("value")?.t;
  return t ? tensorNumbers(t, "value") : [];
}
