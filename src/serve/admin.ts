/**
 * The admin routes, present only when a bearer token is configured: reload the model from
 * where it was found, or promote a registered version. Either way the new model is loaded
 * and checked before it is served (and, for promote, before the registry alias moves), and
 * a failure leaves the model being served as it was, answered with what failed, never with
 * a file path of the server.
 */
import { bearerMatches } from "./bearer.ts";
import type { Call, ServeContext } from "./context.ts";
import { type Answer, json } from "./exchange.ts";
import { readObject } from "./predict.ts";
import { InputError, onlyKeys } from "./validate.ts";

/** An error's message for a client: absolute paths and file URLs replaced by "<path>". */
export function publicMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text
    .replace(/file:\/\/[^\s"']+/g, "<path>")
    .replace(/(^|[\s"'(=])\/(?:[\w.@+-]+\/)*[\w.@+-]+\/?/g, "$1<path>")
    .slice(0, 500);
}

async function authorized(ctx: ServeContext, call: Call): Promise<void> {
  if (!(await bearerMatches(call.req.header("authorization"), ctx.admin.token!))) {
    await call.req.body.discard();
    throw new InputError(
      "Cannot run admin action: missing or wrong bearer token",
      "authorization",
      "Authorization: Bearer <AQLAB_ADMIN_TOKEN>",
      401,
      { "www-authenticate": "Bearer" },
    );
  }
}

/** A failed reload or promote: 409 with what failed, the current model unchanged. */
function failed(action: string, e: unknown, ctx: ServeContext): InputError {
  if (e instanceof InputError) return e;
  const serving = ctx.slot.model?.version ?? "no model";
  return new InputError(
    `Cannot ${action}: ${publicMessage(e)}; still serving ${serving}`,
    null,
    action === "reload"
      ? "a loadable model package"
      : "a registered version with a loadable package",
    409,
  );
}

/** POST /admin/reload */
export async function reload(ctx: ServeContext, call: Call): Promise<Answer> {
  await authorized(ctx, call);
  await call.req.body.discard();
  if (!ctx.admin.reload) {
    throw new InputError("Cannot reload: no model source configured", null, "a reload", 409);
  }
  const previous = ctx.slot.model?.version ?? null;
  let m;
  try {
    m = await ctx.admin.reload();
  } catch (e) {
    throw failed("reload", e, ctx);
  }
  ctx.slot.set(m);
  return json(200, { reloaded: true, previous, version: m.version });
}

/** POST /admin/promote {"version": N, "reason": "..."} */
export async function promote(ctx: ServeContext, call: Call): Promise<Answer> {
  await authorized(ctx, call);
  const body = await readObject(ctx, call, "promote request");
  onlyKeys(body, ["version", "reason"], "promote request");
  const v = body.version;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new InputError(
      `Cannot promote: expected "version" a positive integer`,
      "version",
      "a positive integer",
      422,
    );
  }
  const reason = typeof body.reason === "string" ? body.reason.slice(0, 500) : "admin promote";
  if (!ctx.admin.promote) {
    throw new InputError("Cannot promote: no registry configured", null, "a registry", 409);
  }
  const previous = ctx.slot.model?.version ?? null;
  let m;
  try {
    m = await ctx.admin.promote(v, reason);
  } catch (e) {
    throw failed("promote", e, ctx);
  }
  ctx.slot.set(m);
  return json(200, { promoted: true, previous, version: m.version });
}
