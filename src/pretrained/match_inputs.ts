/**
 * Checks a pretrained ONNX model's inputs against the feature schema and says which schema
 * column feeds each model input. A tree ensemble that names its features may use a subset
 * of the schema, in any order (it is matched by name); any other model must take exactly
 * the schema's features in schema order, because its graph cannot be rewired safely.
 */
import type { ImportedOnnx } from "../onnx/import.ts";

export class InputMismatchError extends TypeError {
  override name = "InputMismatchError";
}

export interface InputMatch {
  /** Schema column index of each model input column, in model order. */
  columns: number[];
  /** Model feature names as matched (schema names). */
  names: string[];
  /** True when the model uses fewer features than the schema has. */
  subset: boolean;
}

const GENERIC = /^f\d+$/;

/** Throws InputMismatchError naming the count, the names or the type that do not match. */
export function matchInputs(
  model: ImportedOnnx,
  schemaNames: readonly string[],
  file = "the model",
): InputMatch {
  const fail = (why: string): never => {
    throw new InputMismatchError(`Cannot use ${file} with the feature schema: ${why}`);
  };
  if (model.inputs.length !== 1) {
    fail(
      `it has ${model.inputs.length} inputs (${
        model.inputs.map((i) => `"${i.name}"`).join(", ")
      }), expected 1 float tensor [N, ${schemaNames.length}]`,
    );
  }
  const input = model.inputs[0]!;
  if (input.type !== "float") {
    fail(`input "${input.name}" has element type ${input.type || "unknown"}, expected float`);
  }
  const width = input.shape[1];
  const names = model.kind === "tree_ensemble" ? model.model.featureNames : model.featureNames;
  const count = typeof width === "number" ? width : names?.length;
  const named = names && names.length > 0 && !names.every((n) => GENERIC.test(n));
  if (!named) {
    if (count !== schemaNames.length) {
      fail(
        `it takes ${
          count ?? "an unknown number of"
        } features, the schema has ${schemaNames.length}, and the file names none, so they cannot be matched by name`,
      );
    }
    return { columns: schemaNames.map((_, j) => j), names: [...schemaNames], subset: false };
  }
  const unknown = names!.filter((n) => !schemaNames.includes(n));
  if (unknown.length) {
    fail(
      `feature(s) ${unknown.map((n) => `"${n}"`).join(", ")} are not in the schema (${
        schemaNames.join(", ")
      })`,
    );
  }
  const columns = names!.map((n) => schemaNames.indexOf(n));
  const exact = columns.length === schemaNames.length && columns.every((c, j) => c === j);
  if (!exact && model.kind !== "tree_ensemble") {
    fail(
      `it is not a tree ensemble, so it must take the schema's ${schemaNames.length} features in schema order; it takes ${
        names!.length
      }: ${names!.join(", ")}`,
    );
  }
  return { columns, names: [...names!], subset: columns.length < schemaNames.length };
}
