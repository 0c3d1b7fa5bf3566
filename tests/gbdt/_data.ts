import type { FeatureMatrix } from "../../src/data/matrix.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";

/** n rows of p uniform [0, 10) features and y = f(row) + uniform noise of width `noise`. */
export function synthetic(
  n: number,
  p: number,
  f: (x: Float32Array, o: number) => number,
  seed = 1,
  noise = 1,
): { X: FeatureMatrix; y: Float32Array } {
  const rng = new Pcg32(seed);
  const data = new Float32Array(n * p), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) data[i * p + j] = rng.nextFloat() * 10;
    y[i] = f(data, i * p) + (rng.nextFloat() - 0.5) * noise;
  }
  return {
    X: { data, nRows: n, nCols: p, names: Array.from({ length: p }, (_, j) => `x${j}`) },
    y,
  };
}

export function rmse(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

export function std(y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i]!;
  m /= y.length;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - m) ** 2;
  return Math.sqrt(s / y.length);
}

export const known = (x: Float32Array, o: number) =>
  Math.sin(x[o]!) * 5 + (x[o + 1]! * x[o + 2]!) / 10 + (x[o + 3]! > 5 ? 3 : 0);
