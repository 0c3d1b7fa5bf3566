/**
 * The registered model's name as configured (`register.model_name` in params.yaml), for the
 * consumers outside the pipeline run: the endpoint, the site's loaders, the registry CLI.
 */
import { parse as parseYaml } from "yaml";
import { DEFAULT_MODEL_NAME } from "../pipeline/catalog.ts";
import { fileUrl, readBytes } from "./read_package.ts";

/**
 * `register.model_name` of the parameters file at `paramsFile` (a path or URL), else the
 * declared default. A file that cannot be parsed is an error naming it.
 */
export async function configuredModelName(paramsFile: string | URL): Promise<string> {
  const url = fileUrl(paramsFile);
  const bytes = await readBytes(url);
  if (bytes === null) return DEFAULT_MODEL_NAME;
  let doc: unknown;
  try {
    doc = parseYaml(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SyntaxError(`Cannot parse "${url.href}": ${(e as Error).message}`);
  }
  const name = (doc as { register?: { model_name?: unknown } } | null)?.register?.model_name;
  if (name === undefined || name === null) return DEFAULT_MODEL_NAME;
  if (typeof name !== "string" || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new TypeError(
      `Cannot read "register.model_name" in "${url.href}": expected a name of letters, digits, "_", "." or "-", got ${
        JSON.stringify(name)
      }`,
    );
  }
  return name;
}
