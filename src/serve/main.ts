/**
 * Entry of the prediction endpoint. `deno serve` (and Deno Deploy) use the default export;
 * `deno run -A --unstable-kv src/serve/main.ts --listen` serves it with `Deno.serve` on
 * 127.0.0.1 and the port in PORT (default 8000), which `deno serve` cannot read itself.
 *
 * Environment (all optional):
 *   AQLAB_MODEL_DIR        model package folder (default: registry production alias, else
 *                          models/candidates/gbdt/)
 *   AQLAB_ADMIN_TOKEN      enables POST /admin/reload and /admin/promote (Bearer token)
 *   AQLAB_KV_PATH          prediction log file (local; default data/serve/predictions.kv;
 *                          Deno Deploy uses its managed KV); "off" disables the log
 *   AQLAB_LOG_EXPIRE_DAYS  prediction log retention in days (default 30)
 *   PORT                   port for --listen (default 8000)
 */
import { createHandler, type ServeApp } from "./handler.ts";
import { type LoadedModel, loadModel, REPO_ROOT, resolveModelDir } from "./model.ts";
import { InputError } from "./validate.ts";
import { REGISTRY_INDEX, type RegistryIndex, registryPath } from "../registry/package.ts";

const env = (k: string): string | undefined => Deno.env.get(k) || undefined;

async function openLog(): Promise<Deno.Kv | undefined> {
  const path = env("AQLAB_KV_PATH");
  if (path === "off") return undefined;
  if (env("DENO_DEPLOYMENT_ID")) return await Deno.openKv();
  const file = path ?? new URL("data/serve/predictions.kv", REPO_ROOT).pathname;
  await Deno.mkdir(new URL(".", "file://" + file), { recursive: true });
  return await Deno.openKv(file);
}

async function load(): Promise<LoadedModel> {
  return await loadModel(await resolveModelDir({ env: env("AQLAB_MODEL_DIR") }));
}

/** Moves the production alias of the served model's registry entry (local registry only). */
async function promote(version: number, reason: string): Promise<LoadedModel> {
  const file = new URL(REGISTRY_INDEX, REPO_ROOT);
  let index: RegistryIndex;
  try {
    index = JSON.parse(await Deno.readTextFile(file));
  } catch {
    throw new InputError(
      "Cannot promote: no readable models/registry.json",
      null,
      "a registry",
      409,
    );
  }
  const name = "pm25";
  const entry = index.models[name];
  if (!entry?.versions.some((v) => v.version === version)) {
    throw new InputError(
      `Cannot promote: model "${name}" has no version ${version}`,
      "version",
      `one of ${entry?.versions.map((v) => v.version).join(", ") ?? "(none)"}`,
      404,
    );
  }
  const previous = entry.aliases.production ?? null;
  const model = await loadModel(new URL(registryPath(name, version) + "/", REPO_ROOT));
  entry.aliases.production = version;
  entry.history.push({
    time: new Date().toISOString(),
    action: previous !== null && previous > version ? "rollback" : "promote",
    version,
    alias: "production",
    previous,
    reason,
  });
  const tmp = file.pathname + `.tmp-${crypto.randomUUID()}`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(index, null, 2) + "\n");
    await Deno.rename(tmp, file);
  } catch (e) {
    throw new InputError(
      `Cannot promote: cannot write models/registry.json (${(e as Error).message})`,
      null,
      "a writable registry (not on Deno Deploy)",
      409,
    );
  }
  return model;
}

async function start(): Promise<ServeApp> {
  let model: LoadedModel | null = null;
  try {
    model = await load();
  } catch (e) {
    // Serve anyway: /ready says 503 and aqlab_model_ready is 0, which the alert watches.
    console.error(`aqlab serve: no model loaded: ${(e as Error).message}`);
  }
  const days = Number(env("AQLAB_LOG_EXPIRE_DAYS") ?? 30);
  const kv = await openLog();
  const adminToken = env("AQLAB_ADMIN_TOKEN");
  return createHandler({
    model,
    ...(kv ? { kv } : {}),
    ...(adminToken ? { adminToken } : {}),
    logExpireIn: (Number.isFinite(days) && days > 0 ? days : 30) * 24 * 3600 * 1000,
    reload: load,
    promote,
  });
}

const app = await start();

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;

if (import.meta.main && Deno.args.includes("--listen")) {
  Deno.serve({ port: Number(env("PORT") ?? 8000), hostname: "127.0.0.1" }, app.fetch);
}
