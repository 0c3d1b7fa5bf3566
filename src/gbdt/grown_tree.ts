import type { Tree } from "./tree.ts";

/** A grown tree, plus what the booster needs to update its training predictions. */
export interface GrownTree {
  tree: Tree;
  /** Split bin per node (bins <= it go left); -1 at leaves. */
  splitBin: Int32Array;
  /**
   * Row segment [leafStart, leafEnd) of `rows` per leaf node, and per split node whose rows
   * were not partitioned (its children are leaves at the depth limit, right = left + 1, with
   * segments -1: its rows go to them by `splitBin`); -1 elsewhere.
   */
  leafStart: Int32Array;
  leafEnd: Int32Array;
}
