/**
 * Entry of the prediction endpoint. Importing it does nothing: the model is loaded and the
 * log opened by `startApp`, which runs on the first request under `deno serve` and Deno
 * Deploy (the default export) or at once with `--listen`.
 *
 *   deno run -A --unstable-kv src/serve/main.ts --listen   our HTTP/1.1 layer with read
 *                                                           deadlines (http1.ts), 127.0.0.1:PORT
 *   deno serve -A --unstable-kv src/serve/main.ts          Deno's server (no read deadlines)
 *
 * SIGTERM and SIGINT stop accepting, let requests in progress finish, flush the prediction
 * log and exit.
 *
 * Environment (all optional):
 *   AQLAB_MODEL_DIR        model package folder (default: registry production alias, else
 *                          models/candidates/gbdt/)
 *   AQLAB_MODEL_NAME       registered model served (default: register.model_name of
 *                          params.yaml, else "pm25")
 *   AQLAB_ADMIN_TOKEN      enables POST /admin/reload and /admin/promote (Bearer token)
 *   AQLAB_KV_PATH          prediction log file (local; default data/serve/predictions.kv;
 *                          Deno Deploy uses its managed KV); "off" disables the log
 *   AQLAB_LOG              "async" (default) or "sync": whether answers wait for the log
 *   AQLAB_LOG_QUEUE        rows queued (async) before answers wait for the log (10,000)
 *   AQLAB_LOG_EXPIRE_DAYS  prediction log retention in days (default 30)
 *   AQLAB_DRIFT_REFRESH_S  seconds between background drift computations (default 60)
 *   PORT                   port for --listen (default 8000)
 */
import { createHandler, type ServeApp } from "./handler.ts";
import { checkModel, type LoadedModel, loadModel, REPO_ROOT, resolveModelDir } from "./model.ts";
import { serveHttp1 } from "./http1.ts";
import { publicMessage } from "./admin.ts";
import type { LogMode } from "./prediction_log.ts";
import { InputError } from "./validate.ts";
import { registryPath } from "../registry/package.ts";
import { promoteVersion } from "../registry/commands.ts";
import { UnknownVersionError } from "../registry/history.ts";
import { configuredModelName } from "../registry/model_name.ts";
import { PREDICTION_LOG } from "../pipeline/catalog.ts";

export interface ServeConfig {
  /** Repository root: params.yaml, models/, data/. */
  root: URL;
  modelDir: string | undefined;
  modelName: string | undefined;
  adminToken: string | undefined;
  /** Prediction log file; "off" disables it; undefined = the default file (or Deploy's KV). */
  kvPath: string | undefined;
  onDeploy: boolean;
  logMode: LogMode;
  logQueue: number;
  logExpireDays: number;
  driftRefreshSeconds: number;
  port: number;
}

type Env = (name: string) => string | undefined;

const positive = (v: string | undefined, fallback: number, name: string): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new RangeError(
      `Cannot start the endpoint: ${name} is "${v}", expected a positive number`,
    );
  }
  return n;
};

/** The configuration from the environment (see the module comment). */
export function configFromEnv(env: Env = (k) => Deno.env.get(k) || undefined): ServeConfig {
  const logMode = env("AQLAB_LOG") ?? "async";
  if (logMode !== "async" && logMode !== "sync") {
    throw new RangeError(
      `Cannot start the endpoint: AQLAB_LOG is "${logMode}", expected "async" or "sync"`,
    );
  }
  return {
    root: REPO_ROOT,
    modelDir: env("AQLAB_MODEL_DIR"),
    modelName: env("AQLAB_MODEL_NAME"),
    adminToken: env("AQLAB_ADMIN_TOKEN"),
    kvPath: env("AQLAB_KV_PATH"),
    onDeploy: env("DENO_DEPLOYMENT_ID") !== undefined,
    logMode,
    logQueue: positive(env("AQLAB_LOG_QUEUE"), 10_000, "AQLAB_LOG_QUEUE"),
    logExpireDays: positive(env("AQLAB_LOG_EXPIRE_DAYS"), 30, "AQLAB_LOG_EXPIRE_DAYS"),
    driftRefreshSeconds: positive(env("AQLAB_DRIFT_REFRESH_S"), 60, "AQLAB_DRIFT_REFRESH_S"),
    port: positive(env("PORT"), 8000, "PORT"),
  };
}

async function openLog(config: ServeConfig): Promise<Deno.Kv | undefined> {
  if (config.kvPath === "off") return undefined;
  if (config.onDeploy) return await Deno.openKv();
  const file = config.kvPath ?? new URL(PREDICTION_LOG, config.root).pathname;
  await Deno.mkdir(new URL(".", "file://" + file), { recursive: true });
  return await Deno.openKv(file);
}

async function modelName(config: ServeConfig): Promise<string> {
  return config.modelName ?? await configuredModelName(new URL("params.yaml", config.root));
}

/** Loads and checks a model package; a model that fails its check is released. */
async function loadChecked(dir: string | URL): Promise<LoadedModel> {
  const m = await loadModel(dir);
  try {
    await checkModel(m);
  } catch (e) {
    await m.scorer.release().catch(() => {});
    throw e;
  }
  return m;
}

/** The model the configuration names (AQLAB_MODEL_DIR, else the registry's rule). */
async function loadConfigured(config: ServeConfig): Promise<LoadedModel> {
  return await loadChecked(
    await resolveModelDir({
      root: config.root,
      env: config.modelDir,
      model: await modelName(config),
    }),
  );
}

/**
 * Promotes `version` with the registry's own promote: under the registry lock, the version's
 * model is loaded and checked first, and only then does the alias move. Any failure leaves
 * the registry and the served model as they were, and says what failed without paths.
 */
export async function promoteAndLoad(
  config: ServeConfig,
  version: number,
  reason: string,
): Promise<LoadedModel> {
  const name = await modelName(config);
  let loaded: LoadedModel | null = null;
  try {
    await promoteVersion(
      config.root.pathname,
      name,
      String(version),
      reason,
      new Date(),
      async (v) => {
        try {
          loaded = await loadChecked(new URL(registryPath(name, v) + "/", config.root));
        } catch (e) {
          throw new InputError(
            `Cannot promote v${v} of "${name}": its model does not load (${publicMessage(e)})`,
            "version",
            "a registered version whose package loads and scores",
            409,
          );
        }
      },
    );
  } catch (e) {
    const m = loaded as LoadedModel | null;
    if (m) await m.scorer.release().catch(() => {});
    if (e instanceof InputError) throw e;
    const unknown = e instanceof UnknownVersionError;
    throw new InputError(
      `Cannot promote: ${publicMessage(e)}`,
      unknown ? "version" : null,
      unknown ? "a registered version" : "a writable local registry (not on Deno Deploy)",
      unknown ? 404 : 409,
    );
  }
  return loaded!;
}

/** Loads the model (serving without one if that fails), opens the log, builds the handler. */
export async function startApp(config: ServeConfig): Promise<ServeApp> {
  let model: LoadedModel | null = null;
  try {
    model = await loadConfigured(config);
  } catch (e) {
    // Serve anyway: /ready says 503 and aqlab_model_ready is 0, which the alert watches.
    console.error(`aqlab serve: no model loaded: ${(e as Error).message}`);
  }
  const kv = await openLog(config);
  const app = createHandler({
    model,
    ...(kv ? { kv } : {}),
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    logMode: config.logMode,
    logQueue: config.logQueue,
    logExpireIn: config.logExpireDays * 24 * 3600 * 1000,
    driftMaxAgeMs: 2 * config.driftRefreshSeconds * 1000,
    reload: () => loadConfigured(config),
    promote: (version, reason) => promoteAndLoad(config, version, reason),
  });
  app.startDriftSchedule(config.driftRefreshSeconds * 1000);
  return app;
}

/** On SIGTERM or SIGINT: `stop` (stop accepting, finish requests), flush, exit 0. */
function exitOnSignals(app: ServeApp, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await stop();
      await app.close();
    } finally {
      Deno.exit(0);
    }
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, onSignal);
}

/** `--listen`: the endpoint on our HTTP/1.1 layer, stopped cleanly by a signal. */
export async function listen(config: ServeConfig = configFromEnv()): Promise<void> {
  const app = await startApp(config);
  const server = serveHttp1(app.handle, {
    hostname: "127.0.0.1",
    port: config.port,
    maxBodyBytes: app.limits.maxBytes,
    bodyTimeoutMs: app.limits.bodyTimeoutMs,
    onListen: (a) => console.error(`aqlab serve: listening on http://${a.hostname}:${a.port}/`),
  });
  exitOnSignals(app, () => server.shutdown());
  await server.finished;
}

let started: Promise<ServeApp> | null = null;
const app = (): Promise<ServeApp> => started ??= startApp(configFromEnv());

export default {
  fetch: async (req) => (await app()).fetch(req),
  // `deno serve`: load while the first client is still on its way; flush on a signal.
  onListen: () => {
    app().then((a) => exitOnSignals(a, () => Promise.resolve()), (e) => {
      console.error(`aqlab serve: cannot start: ${(e as Error).message}`);
    });
  },
} satisfies Deno.ServeDefaultExport;

if (import.meta.main && Deno.args.includes("--listen")) await listen();
