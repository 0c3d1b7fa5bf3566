/**
 * A linear model -> ONNX `ai.onnx.ml` LinearRegressor, used for the ridge baseline (and
 * as the "non-tree" model in tests of other areas).
 *
 * Graph: input "input" float [N, nFeatures] -> Imputer (NaN -> training mean, when given)
 * -> LinearRegressor -> output "variable" float [N, 1]. LinearRegressor itself propagates
 * NaN, so without an Imputer a missing value gives a NaN prediction.
 *
 * A ridge fitted on standardised inputs z = (x - mean) / scale is folded into raw space:
 * y = b + sum w_j z_j = (b - sum w_j mean_j / scale_j) + sum (w_j / scale_j) x_j, and
 * imputing the training mean is imputing z = 0, as in training.
 */
import { checkMeta, INPUT_NAME, META_KEYS, OUTPUT_NAME } from "./export.ts";
import {
  encodeModel,
  float,
  floatInput,
  floats,
  int,
  ML_DOMAIN,
  type Node,
  string,
} from "./_proto.ts";

export interface LinearExportOptions {
  /** Mean and scale (standard deviation) of each feature: weights apply to standardised inputs. */
  standardize?: { mean: ArrayLike<number>; scale: ArrayLike<number> };
  /** Value that replaces NaN per feature. Default: `standardize.mean`; no Imputer without either. */
  impute?: ArrayLike<number>;
}

/** Serialises y = intercept + sum weights_j * x_j (see options) as an ONNX model. */
export function exportLinear(
  weights: ArrayLike<number>,
  intercept: number,
  featureNames: string[],
  meta: Record<string, string> = {},
  options: LinearExportOptions = {},
): Uint8Array {
  checkMeta(meta);
  const n = featureNames.length;
  const sameLength = (what: string, v: ArrayLike<number> | undefined) => {
    if (v !== undefined && v.length !== n) {
      throw new RangeError(
        `Cannot export linear model: ${what} has ${v.length} values, expected ${n} (one per feature)`,
      );
    }
  };
  if (n === 0) throw new RangeError("Cannot export linear model: it has no features");
  sameLength("weights", weights);
  sameLength("standardize.mean", options.standardize?.mean);
  sameLength("standardize.scale", options.standardize?.scale);
  sameLength("impute", options.impute);

  const coef = Array.from(weights);
  let b = intercept;
  if (options.standardize) {
    const { mean, scale } = options.standardize;
    for (let j = 0; j < n; j++) {
      // A constant feature (scale 0) had z = 0 in training: it contributes nothing.
      const w = scale[j]! > 0 ? coef[j]! / scale[j]! : 0;
      coef[j] = w;
      b -= w * mean[j]!;
    }
  }
  const bad = coef.findIndex((w) => !Number.isFinite(w));
  if (bad >= 0 || !Number.isFinite(b)) {
    throw new RangeError(
      `Cannot export linear model: ${
        bad >= 0 ? `weight of "${featureNames[bad]}"` : "intercept"
      } is not finite`,
    );
  }

  const imputeValues = options.impute ?? options.standardize?.mean;
  const nodes: Node[] = [];
  let linearInput = INPUT_NAME;
  if (imputeValues) {
    linearInput = "imputed";
    nodes.push({
      opType: "Imputer",
      domain: ML_DOMAIN,
      name: "impute_missing",
      input: [INPUT_NAME],
      output: [linearInput],
      attribute: [
        floats("imputed_value_floats", imputeValues),
        float("replaced_value_float", NaN),
      ],
    });
  }
  nodes.push({
    opType: "LinearRegressor",
    domain: ML_DOMAIN,
    name: "linear",
    input: [linearInput],
    output: [OUTPUT_NAME],
    attribute: [
      floats("coefficients", coef),
      floats("intercepts", [b]),
      string("post_transform", "NONE"),
      int("targets", 1),
    ],
  });
  return encodeModel(
    {
      name: "aqlab_linear",
      nodes,
      input: [floatInput(INPUT_NAME, n)],
      output: [floatInput(OUTPUT_NAME, 1)],
    },
    {
      ...meta,
      [META_KEYS.modelKind]: "linear",
      [META_KEYS.featureNames]: JSON.stringify(featureNames),
    },
  );
}
