/**
 * Entry of the prediction endpoint. `deno serve` (and Deno Deploy) use the default export;
 * `deno run -A --unstable-kv src/serve/main.ts --listen` serves it with `Deno.serve` on
 * 127.0.0.1 and the port in PORT (default 8000), which `deno serve` cannot read itself.
 *
 * Environment (all optional):
 *   AQLAB_MODEL_DIR        model package folder (default: registry production alias, else
 *                          models/candidates/gbdt/)
 *   AQLAB_MODEL_NAME       registered model served (default: register.model_name of
 *                          params.yaml, else "pm25")
 *   AQLAB_ADMIN_TOKEN      enables POST /admin/reload and /admin/promote (Bearer token)
 *   AQLAB_KV_PATH          prediction log file (local; default data/serve/predictions.kv;
 *                          Deno Deploy uses its managed KV); "off" disables the log
 *   AQLAB_LOG_EXPIRE_DAYS  prediction log retention in days (default 30)
 *   PORT                   port for --listen (default 8000)
 */
import { createHandler, type ServeApp } from "./handler.ts";
import { type LoadedModel, loadModel, REPO_ROOT, resolveModelDir } from "./model.ts";
import { InputError } from "./validate.ts";
import { registryPath } from "../registry/package.ts";
import { promoteVersion } from "../registry/commands.ts";
import { UnknownVersionError } from "../registry/history.ts";
import { configuredModelName } from "../registry/model_name.ts";

const env = (k: string): string | undefined => Deno.env.get(k) || undefined;

async function openLog(): Promise<Deno.Kv | undefined> {
  const path = env("AQLAB_KV_PATH");
  if (path === "off") return undefined;
  if (env("DENO_DEPLOYMENT_ID")) return await Deno.openKv();
  const file = path ?? new URL("data/serve/predictions.kv", REPO_ROOT).pathname;
  await Deno.mkdir(new URL(".", "file://" + file), { recursive: true });
  return await Deno.openKv(file);
}

async function modelName(): Promise<string> {
  return env("AQLAB_MODEL_NAME") ?? await configuredModelName(new URL("params.yaml", REPO_ROOT));
}

async function load(): Promise<LoadedModel> {
  return await loadModel(
    await resolveModelDir({ env: env("AQLAB_MODEL_DIR"), model: await modelName() }),
  );
}

/** Moves the production alias (the registry's own promote, local registry only) and loads it. */
async function promote(version: number, reason: string): Promise<LoadedModel> {
  const root = REPO_ROOT.pathname;
  const name = await modelName();
  let change;
  try {
    change = await promoteVersion(root, name, String(version), reason);
  } catch (e) {
    const message = (e as Error).message;
    const unknown = e instanceof UnknownVersionError;
    throw new InputError(
      `Cannot promote: ${message}`,
      unknown ? "version" : null,
      unknown ? "a registered version" : "a writable local registry (not on Deno Deploy)",
      unknown ? 404 : 409,
    );
  }
  return await loadModel(new URL(registryPath(name, change.version) + "/", REPO_ROOT));
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
