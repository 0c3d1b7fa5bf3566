import { parse as parseYaml } from "yaml";
import {
  checkParam,
  defaults,
  int,
  type ParamDecl,
  ParamError,
  type ParamSpec,
  parseParamText,
  str,
} from "./params.ts";
import type { Globals, Stage } from "./stage.ts";

/** Settings every stage may read; `--source`, `--data`, `--model`, `--current` set them. */
export const GLOBAL_PARAMS = {
  source: str(
    "synth",
    "raw data layout: synthetic default, PRSA, CPCB/Kaggle India or a generic long table",
    [
      "synth",
      "prsa",
      "cpcb",
      "long",
    ],
  ),
  data_dir: str(
    "",
    "folder of raw CSV files (default: data/raw/synth for synth, data/raw otherwise)",
  ),
  seed: int(20170301, "seed for every random choice of the pipeline"),
  model_path: str(
    "",
    "a pretrained model (.onnx, or XGBoost .json): packaged as the candidate instead of training",
  ),
  current_dir: str("", "a folder of raw files to check for drift against the training data"),
} satisfies ParamSpec;

export type Resolved = { pipeline: Globals } & Record<string, Record<string, unknown>>;

/**
 * Resolves parameters: declared defaults, then params.yaml, then `--set` overrides, each
 * checked against the declarations. Errors name the file and the key. Every parameter a
 * stage `uses` must be declared, with the kind the stage reads it as.
 */
export function resolveStageParams(
  stages: readonly Stage[],
  yamlText: string | null,
  sets: readonly string[],
  file = "params.yaml",
): Resolved {
  const specs = specsOf(stages);
  checkUses(stages, specs);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, spec] of Object.entries(specs)) out[section] = defaults(spec);

  let doc: unknown = null;
  if (yamlText !== null) {
    try {
      doc = parseYaml(yamlText);
    } catch (e) {
      throw new ParamError(`Cannot parse ${file}: ${(e as Error).message}`);
    }
  }
  if (doc !== null && doc !== undefined) {
    if (typeof doc !== "object" || Array.isArray(doc)) {
      throw new ParamError(`Cannot read ${file}: expected a mapping of stage names to parameters`);
    }
    for (const [section, values] of Object.entries(doc as Record<string, unknown>)) {
      const spec = specs[section];
      if (!spec) {
        throw new ParamError(
          `${file}: unknown section "${section}" (known: ${Object.keys(specs).join(", ")})`,
        );
      }
      if (values === null) continue;
      if (typeof values !== "object" || Array.isArray(values)) {
        throw new ParamError(
          `${file}: section "${section}" must be a mapping of parameter names to values`,
        );
      }
      for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        const decl = lookup(spec, section, key, file);
        out[section]![key] = checkParam(decl, value, `${file}: ${section}.${key}`);
      }
    }
  }
  for (const s of sets) {
    const eq = s.indexOf("=");
    const dot = s.indexOf(".");
    if (eq < 0 || dot < 0 || dot > eq) {
      throw new ParamError(`--set ${s}: expected stage.param=value`);
    }
    const section = s.slice(0, dot);
    const key = s.slice(dot + 1, eq);
    const spec = specs[section];
    if (!spec) {
      throw new ParamError(
        `--set ${s}: unknown stage "${section}" (known: ${Object.keys(specs).join(", ")})`,
      );
    }
    const decl = lookup(spec, section, key, "--set");
    out[section]![key] = parseParamText(decl, s.slice(eq + 1), `--set ${section}.${key}`);
  }
  return out as Resolved;
}

function lookup(spec: ParamSpec, section: string, key: string, where: string): ParamDecl {
  const decl = spec[key];
  if (!decl) {
    throw new ParamError(
      `${where}: unknown parameter "${section}.${key}" (known: ${
        Object.keys(spec).map((k) => `${section}.${k}`).join(", ")
      })`,
    );
  }
  return decl;
}

function specsOf(stages: readonly Stage[]): Record<string, ParamSpec> {
  const specs: Record<string, ParamSpec> = { pipeline: GLOBAL_PARAMS };
  for (const s of stages) specs[s.name] = s.params;
  return specs;
}

/** Each `uses` entry names a declared parameter of the kind the stage reads. */
function checkUses(stages: readonly Stage[], specs: Record<string, ParamSpec>): void {
  for (const s of stages) {
    for (const [key, kind] of Object.entries(s.uses ?? {})) {
      const [section, name] = key.split(".") as [string, string | undefined];
      const decl = name === undefined ? undefined : specs[section]?.[name];
      if (!decl) {
        throw new ParamError(
          `Stage "${s.name}" uses "${key}", which no stage among ${
            Object.keys(specs).join(", ")
          } declares`,
        );
      }
      if (decl.kind !== kind) {
        throw new ParamError(
          `Stage "${s.name}" uses "${key}" as a ${kind}, but it is declared as a ${decl.kind}`,
        );
      }
    }
  }
}

/**
 * The params.yaml text of `stages`: every parameter with its default and its doc line, in
 * declaration order. `deno task params` writes it; a test holds the committed file equal.
 */
export function paramsYaml(stages: readonly Stage[]): string {
  const lines: string[] = [
    "# aqlab parameters: edit, then `deno task pipeline` re-runs what they affect.",
    "# Written by `deno task params` from the stages' declarations (defaults and docs).",
  ];
  for (const [name, spec] of Object.entries(specsOf(stages))) {
    if (Object.keys(spec).length === 0) continue;
    lines.push("", `${name}:`);
    for (const [k, d] of Object.entries(spec)) {
      for (const doc of d.doc.split("\n")) lines.push(`  # ${doc}`);
      lines.push(`  ${k}: ${yamlValue(d.default)}`);
    }
  }
  return lines.join("\n") + "\n";
}

function yamlValue(v: string | number | boolean | readonly string[]): string {
  if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
  return JSON.stringify(v);
}
