/**
 * `deno task registry <command>`: the model registry from the command line.
 *
 *   list                      versions, aliases and the history of a model
 *   show VERSION              one version's metadata (VERSION: N, vN, production, staging, latest)
 *   diff A B                  metrics, per-station RMSE, parameters and lineage side by side
 *   promote VERSION           point production at VERSION (--reason "...")
 *   rollback                  point production back at the previous production (--reason "...")
 */
import { parseArgs } from "node:util";
import {
  diffVersions,
  promoteVersion,
  readRegistryIndex,
  readVersionMetadata,
  resolveVersion,
  rollbackProduction,
  rollbackTarget,
  UnknownVersionError,
} from "../src/registry/mod.ts";

const HELP = `usage: deno task registry <command> [--model NAME] [--reason TEXT] [--json]

  list               versions, aliases and history
  show VERSION       metadata of one version (N, vN, production, staging, latest)
  diff A B           two versions side by side: metrics, per-station RMSE, parameters, lineage
  promote VERSION    make VERSION production (recorded with --reason)
  rollback           production back to the previous production (recorded with --reason)

  --model NAME       registered model (default pm25)
  --json             machine-readable output (list, show, diff)`;

const fmtNum = (v: unknown) =>
  typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : v === null ||
      v === undefined
    ? "-"
    : clip(typeof v === "string" ? v : JSON.stringify(v));

/** Hashes and long lists cut to keep the side-by-side columns readable. */
const clip = (s: string) => (s.length > 28 ? `${s.slice(0, 27)}…` : s);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? "").length)));
  return rows.map((r) => r.map((c, j) => c.padEnd(widths[j]!)).join("  ").trimEnd()).join("\n");
}

export async function main(args: string[], root = Deno.cwd()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        model: { type: "string", default: "pm25" },
        reason: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values: flags, positionals } = parsed;
  const [command, ...rest] = positionals;
  const model = flags.model!;
  if (flags.help || !command) {
    console.log(HELP);
    return flags.help ? 0 : 2;
  }
  const need = (n: number, what: string) => {
    if (rest.length !== n) {
      throw new UsageError(`"${command}" expects ${what}: got ${rest.length} argument(s)`);
    }
  };
  try {
    switch (command) {
      case "list": {
        need(0, "no argument");
        const index = await readRegistryIndex(root);
        const entry = index.models[model];
        if (flags.json) {
          console.log(JSON.stringify(entry ?? null, null, 2));
          return 0;
        }
        if (!entry || entry.versions.length === 0) {
          console.log(`no versions of "${model}" registered yet (run deno task pipeline)`);
          return 0;
        }
        const alias = (v: number) =>
          Object.entries(entry.aliases).filter(([, x]) => x === v).map(([k]) => k).join(",");
        console.log(table([
          ["version", "aliases", "kind", "created", "test rmse", "test mae", "test r2"],
          ...entry.versions.map((v) => [
            `v${v.version}`,
            alias(v.version) || "-",
            v.kind,
            v.created,
            fmtNum(v.metrics?.rmse),
            fmtNum(v.metrics?.mae),
            fmtNum(v.metrics?.r2),
          ]),
        ]));
        console.log("\nhistory:");
        for (const h of entry.history) {
          console.log(
            `  ${h.time}  ${h.action.padEnd(8)} v${h.version}${h.alias ? ` -> ${h.alias}` : ""}${
              h.previous !== null ? ` (was v${h.previous})` : ""
            }: ${h.reason}`,
          );
        }
        const back = rollbackTarget(entry);
        if (back !== null) console.log(`\nrollback would restore v${back}`);
        return 0;
      }
      case "show": {
        need(1, "VERSION");
        const index = await readRegistryIndex(root);
        const v = resolveVersion(index, model, rest[0]!);
        const meta = await readVersionMetadata(root, model, v);
        if (flags.json) {
          console.log(JSON.stringify(meta, null, 2));
          return 0;
        }
        const entry = index.models[model]!;
        const aliases = Object.entries(entry.aliases).filter(([, x]) => x === v).map(([k]) => k);
        console.log(`${model} v${v}${aliases.length ? ` (${aliases.join(", ")})` : ""}`);
        console.log(table([
          ["kind", meta.kind],
          ["created", meta.created],
          ["git commit", meta.git_commit ?? "-"],
          ["parent version", meta.parent_version === null ? "-" : `v${meta.parent_version}`],
          ["run", meta.lineage?.run_id ?? "-"],
          ["data hash", meta.lineage?.data_hash ?? "-"],
          ["features", String(meta.schema?.features?.length ?? "-")],
          ["stations", String(meta.schema?.stations?.length ?? "-")],
        ]));
        for (const split of ["valid", "test"] as const) {
          const m = meta.metrics[split];
          if (m) {
            console.log(
              `${split}: ${Object.entries(m).map(([k, x]) => `${k} ${fmtNum(x)}`).join(", ")}`,
            );
          }
        }
        console.log(
          `params: ${Object.entries(meta.params).map(([k, x]) => `${k}=${fmtNum(x)}`).join(", ")}`,
        );
        const history = entry.history.filter((h) => h.version === v);
        for (const h of history) console.log(`  ${h.time}  ${h.action}: ${h.reason}`);
        return 0;
      }
      case "diff": {
        need(2, "two versions A B");
        const d = await diffVersions(root, model, rest[0]!, rest[1]!);
        if (flags.json) {
          console.log(JSON.stringify(d, null, 2));
          return 0;
        }
        console.log(table([
          ["", "", `v${d.a}`, `v${d.b}`, ""],
          ...d.rows.map((r) => [
            r.section,
            r.key,
            fmtNum(r.a),
            fmtNum(r.b),
            r.same ? "" : "*",
          ]),
        ]));
        return 0;
      }
      case "promote": {
        need(1, "VERSION");
        const c = await promoteVersion(root, model, rest[0]!, flags.reason ?? "manual promotion");
        console.log(
          `${model}: production is v${c.version}${
            c.previous === null ? "" : ` (was v${c.previous})`
          }: ${c.entry.reason}`,
        );
        return 0;
      }
      case "rollback": {
        need(0, "no argument");
        const c = await rollbackProduction(root, model, flags.reason ?? "manual rollback");
        console.log(
          `${model}: production rolled back to v${c.version} (was v${c.previous}): ${c.entry.reason}`,
        );
        return 0;
      }
      default:
        throw new UsageError(
          `Unknown command "${command}": expected list, show, diff, promote or rollback`,
        );
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${HELP}`);
      return 2;
    }
    if (e instanceof UnknownVersionError || e instanceof RangeError) {
      console.error(e.message);
      return 2;
    }
    console.error(`registry ${command} failed: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
}

class UsageError extends Error {
  override name = "UsageError";
}

if (import.meta.main) Deno.exit(await main(Deno.args));
