/**
 * Where the noise comes from: pieces of the reference as long as the window being judged,
 * each compared with the rest of the reference exactly as the window is. Hourly air-quality
 * data are autocorrelated for days and vary from one year's January to the next, so the
 * spread of these distances is the honest yardstick: it holds the sampling noise, the
 * autocorrelation and the year-to-year variation at once, at the window's own length.
 *
 * - A window of a month or more is matched by each whole month of the reference ("months").
 * - A shorter window of D days by the D-day chunks of each reference month ("chunks").
 * - A reference too short to give `minDraws` such pieces (a calendar month seen in one year
 *   only) falls back to draws of blocks of a few consecutive days of one month, at most half
 *   of it ("blocks"); autocorrelation longer than a block and year-to-year variation are then
 *   not in the noise, and the verdict says so.
 * @module
 */

import { Pcg32 } from "../gbdt/random.ts";
import { daysInMonth } from "./sample.ts";
import type { ReferenceIndex } from "./reference_index.ts";

/**
 * One piece of the reference: its rows in group-then-time order, its season keys, and the
 * rows left out of the reference it is compared with: the whole calendar month(s) it lies
 * in, so that a week is never compared with the rest of its own month (the current rows
 * never have their own month in the reference either).
 */
export interface NullDraw {
  rows: Int32Array;
  keys: number[];
  exclude: Int32Array;
}

/** How the pieces were cut. */
export interface NullPlan {
  method: "months" | "chunks" | "blocks";
  /** Length of each piece in days. */
  drawDays: number;
  /** For "blocks": days per block. */
  blockDays: number;
  draws: NullDraw[];
}

/** Options of {@link nullPlan}. */
export interface NullPlanOptions {
  /** Fewest pieces for a noise estimate (default 12). */
  minDraws: number;
  /** Most pieces used (evenly spaced beyond that; default 60). */
  maxDraws: number;
  seed: number;
}

/** Pieces of the reference for a window spanning `spanDays` days (memoized per index). */
export function nullPlan(idx: ReferenceIndex, spanDays: number, o: NullPlanOptions): NullPlan {
  const days = Math.max(1, Math.min(31, Math.round(spanDays)));
  const memoKey = `plan|${days}|${o.minDraws}|${o.maxDraws}|${o.seed}`;
  const hit = idx.memo.get(memoKey) as NullPlan | undefined;
  if (hit) return hit;
  let plan = calendarPieces(idx, days, o);
  if (plan.draws.length < o.minDraws) plan = blockPieces(idx, days, o);
  idx.memo.set(memoKey, plan);
  return plan;
}

function calendarPieces(idx: ReferenceIndex, days: number, o: NullPlanOptions): NullPlan {
  const whole = days >= 28;
  // Piece id per row: (month, chunk of the month), -1 outside any full chunk.
  const ids = new Map<number, number>();
  const pieceOf = new Int32Array(idx.rows).fill(-1);
  for (let i = 0; i < idx.rows; i++) {
    const m = idx.month[i]!;
    let chunk = 0;
    if (!whole) {
      const dom = new Date(idx.times[i]!).getUTCDate();
      chunk = Math.floor((dom - 1) / days);
      if ((chunk + 1) * days > daysInMonth(m)) continue;
    }
    const key = m * 32 + chunk;
    let id = ids.get(key);
    if (id === undefined) ids.set(key, id = ids.size);
    pieceOf[i] = id;
  }
  let pieces = collect(idx, pieceOf, ids.size);
  if (!whole) {
    const months = monthRows(idx);
    pieces = pieces.map((p) => ({
      ...p,
      exclude: p.rows.length ? months.get(idx.month[p.rows[0]!]!)! : p.rows,
    }));
  }
  // A piece is compared with the other months of its season: one without any (a calendar
  // month seen in one year only) has nothing to be compared with.
  const monthsOfKey = new Map<number, Set<number>>();
  for (let i = 0; i < idx.rows; i++) {
    const k = idx.seasonKey[i]!;
    let set = monthsOfKey.get(k);
    if (!set) monthsOfKey.set(k, set = new Set());
    set.add(idx.month[i]!);
  }
  const comparable = pieces.filter((p) =>
    p.rows.length > 0 && p.keys.some((k) => monthsOfKey.get(k)!.size > 1)
  );
  return {
    method: whole ? "months" : "chunks",
    drawDays: days,
    blockDays: days,
    draws: spaced(keepFull(comparable), o.maxDraws),
  };
}

function blockPieces(idx: ReferenceIndex, days: number, o: NullPlanOptions): NullPlan {
  // Blocks of a few consecutive days, grouped by the calendar month they lie in; a piece is
  // made of blocks of one month, so that it keeps its season, and covers at most half of
  // that month's blocks, so that the rest of its season stays a sample to compare with.
  const blockDays = Math.max(1, Math.min(7, Math.floor(days / 4)));
  const ids = new Map<number, number>();
  const blockOf = new Int32Array(idx.rows);
  const monthOfBlock: number[] = [];
  for (let i = 0; i < idx.rows; i++) {
    const key = idx.day[i]! - (idx.day[i]! % blockDays);
    const m = idx.month[i]!;
    const k = key * 4096 + (m % 4096);
    let id = ids.get(k);
    if (id === undefined) {
      ids.set(k, id = ids.size);
      monthOfBlock.push(m);
    }
    blockOf[i] = id;
  }
  const blocks = collect(idx, blockOf, ids.size);
  const byMonth = new Map<number, number[]>();
  blocks.forEach((_, b) => {
    const m = monthOfBlock[b]!;
    let list = byMonth.get(m);
    if (!list) byMonth.set(m, list = []);
    list.push(b);
  });
  const months = [...byMonth.values()].filter((bs) => bs.length >= 2);
  const perDraw = Math.ceil(days / blockDays);
  if (months.length === 0) return { method: "blocks", drawDays: 0, blockDays, draws: [] };
  const rank = new Int32Array(idx.rows);
  idx.order.forEach((row, k) => (rank[row] = k));
  const rng = new Pcg32(o.seed, 0x5eed);
  const draws: NullDraw[] = [];
  const n = Math.max(o.minDraws, Math.min(o.maxDraws, 2 * o.minDraws));
  let drawDays = 0;
  for (let d = 0; d < n; d++) {
    const bs = months[rng.nextInt(months.length)]!;
    const k = Math.min(perDraw, Math.floor(bs.length / 2));
    const chosen = pick(bs.length, k, rng).map((j) => blocks[bs[j]!]!);
    const rows = Int32Array.from(chosen.flatMap((b) => [...b.rows])).sort((a, b) =>
      rank[a]! - rank[b]!
    );
    const keys = [...new Set(chosen.flatMap((b) => b.keys))].sort((a, b) => a - b);
    draws.push({ rows, keys, exclude: rows });
    drawDays = Math.max(drawDays, k * blockDays);
  }
  return { method: "blocks", drawDays, blockDays, draws };
}

/** Rows of each piece in group-then-time order, with its season keys. */
function collect(idx: ReferenceIndex, pieceOf: Int32Array, n: number): NullDraw[] {
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (const row of idx.order) {
    const p = pieceOf[row]!;
    if (p >= 0) lists[p]!.push(row);
  }
  return lists.map((list) => {
    const rows = Int32Array.from(list);
    return {
      rows,
      keys: [...new Set(list.map((r) => idx.seasonKey[r]!))].sort((a, b) => a - b),
      exclude: rows,
    };
  });
}

/** Rows of each calendar month of the reference (month ordinal -> rows, group-then-time). */
export function monthRows(idx: ReferenceIndex): Map<number, Int32Array> {
  const hit = idx.memo.get("monthRows") as Map<number, Int32Array> | undefined;
  if (hit) return hit;
  const lists = new Map<number, number[]>();
  for (const row of idx.order) {
    const m = idx.month[row]!;
    let l = lists.get(m);
    if (!l) lists.set(m, l = []);
    l.push(row);
  }
  const out = new Map([...lists].map(([m, l]) => [m, Int32Array.from(l)]));
  idx.memo.set("monthRows", out);
  return out;
}

/** Pieces holding at least half the rows of a typical piece (partial months left out). */
function keepFull(pieces: NullDraw[]): NullDraw[] {
  const sizes = pieces.map((p) => p.rows.length).sort((a, b) => a - b);
  const median = sizes[Math.floor(sizes.length / 2)] ?? 0;
  return pieces.filter((p) => p.rows.length > 0 && p.rows.length >= median / 2);
}

function spaced<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  return Array.from({ length: max }, (_, k) => xs[Math.floor((k * xs.length) / max)]!);
}

/** `k` distinct numbers below `n`. */
function pick(n: number, k: number, rng: Pcg32): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(n - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k);
}

/** A piece thinned to a window's row count, with what it is compared with. */
export interface ThinnedPiece {
  /** Its rows thinned to the window's count (all of them when it has no more). */
  picked: Int32Array;
  /** All its rows (runs of repeated values are counted on these). */
  rows: Int32Array;
  /** Season keys of its comparison rows, and the reference rows left out of them. */
  keys: readonly number[];
  exclude: Int32Array;
}

/** The pieces of a plan thinned for one window size (memoized on the index). */
export interface ThinnedPieces {
  /** Identifies plan, size, comparison and seed, for memos of statistics on the pieces. */
  key: string;
  pieces: ThinnedPiece[];
}

/**
 * The pieces of `plan`, each thinned to a window of `rows` rows, compared with the rest of
 * their season (`whole`: with the whole reference). Row counts within 10% share one set:
 * the noise barely changes over that range.
 */
export function thinnedPieces(
  idx: ReferenceIndex,
  plan: NullPlan,
  rows: number,
  whole: boolean,
  seed: number,
): ThinnedPieces {
  const size = Math.round(Math.log(Math.max(1, rows)) / Math.log(1.1));
  const key = `${plan.method}|${plan.drawDays}|${plan.blockDays}|${size}|${whole}|${seed}`;
  const memoKey = `thinned|${key}`;
  const hit = idx.memo.get(memoKey) as ThinnedPieces | undefined;
  if (hit) return hit;
  const target = Math.round(1.1 ** size);
  const pieces = plan.draws.map((draw, d) => ({
    picked: draw.rows.length > 1.1 * target
      ? thin(draw.rows, target, new Pcg32(seed + d, 0x7417))
      : draw.rows,
    rows: draw.rows,
    keys: whole ? idx.keys : draw.keys,
    exclude: draw.exclude,
  }));
  const out = { key, pieces };
  idx.memo.set(memoKey, out);
  return out;
}

/**
 * `k` of `rows` drawn without replacement, order kept (selection sampling, Knuth's
 * algorithm S): a piece with more rows than the window is thinned to the window's size, so
 * that both carry the same sampling noise.
 */
export function thin(rows: Int32Array, k: number, rng: Pcg32): Int32Array {
  if (k >= rows.length) return rows;
  const out = new Int32Array(k);
  let m = 0;
  for (let t = 0; t < rows.length && m < k; t++) {
    if ((rows.length - t) * rng.nextFloat() < k - m) out[m++] = rows[t]!;
  }
  return out;
}
