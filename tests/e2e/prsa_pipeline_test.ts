/**
 * The whole study on the real PRSA files, end to end, in a scratch copy of the workspace:
 * every stage runs, the artifacts hold what they claim, and a second run skips everything.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../pipeline/main.ts";
import { prsaDir, prsaSkip } from "../_prsa.ts";

const PRSA = prsaDir();
if (!PRSA) prsaSkip("the end-to-end run on the nine PRSA files");
const PROJECT = fileURLToPath(new URL("../../", import.meta.url));

async function scratchRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "aqlab-e2e-" });
  for (const dir of ["governance"]) {
    await Deno.mkdir(join(root, dir));
    for await (const e of Deno.readDir(join(PROJECT, dir))) {
      if (e.isFile) await Deno.copyFile(join(PROJECT, dir, e.name), join(root, dir, e.name));
    }
  }
  await Deno.copyFile(join(PROJECT, "params.yaml"), join(root, "params.yaml"));
  return root;
}

const json = async (root: string, p: string) => JSON.parse(await Deno.readTextFile(join(root, p)));

Deno.test({
  name: "the pipeline runs end to end on the real PRSA files, then skips every stage",
  ignore: !PRSA,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await scratchRoot();
    try {
      const args = [
        "--source",
        "prsa",
        "--data",
        PRSA!,
        "--set",
        "tune.enabled=false",
        "--set",
        "train.n_estimators=120",
        "--set",
        "train.learning_rate=0.1",
        "--set",
        "explain.rows=500",
        "--set",
        "explain.interaction_rows=50",
      ];
      assert.equal(await main(args, root), 0, "first run succeeds");

      const ingest = await json(root, "reports/data/ingest.json");
      assert.equal(ingest.lines, 315_576, "the nine PRSA files hold 315,576 hourly rows");
      assert.equal(ingest.kept + ingest.rejected, ingest.lines);
      const split = await json(root, "reports/data/split.json");
      assert.equal(
        split.test.rows,
        76_928,
        "the test period from 2016-03-01 matches the reference script's rows",
      );

      const summary = await json(root, "reports/evaluation/summary.json");
      const rmse = (name: string) => Number(summary.candidates[name].test.rmse);
      assert.ok(
        Math.abs(rmse("persistence") - 20.46) < 0.01,
        `persistence RMSE is the reference's 20.46: ${rmse("persistence")}`,
      );
      assert.ok(
        rmse("gbdt") < rmse("persistence"),
        `GBDT ${rmse("gbdt")} beats persistence ${rmse("persistence")}`,
      );

      const registry = await json(root, "models/registry.json");
      assert.equal(registry.models.pm25.aliases.production, 1, "the first version is promoted");
      for (
        const f of [
          "reports/drift/latest.json",
          "reports/explain/summary.json",
          "reports/cards/model_card.md",
          "reports/cards/data_card.md",
          "reports/cards/audit.json",
        ]
      ) {
        await Deno.stat(join(root, f));
      }
      const lockBefore = await Deno.readTextFile(join(root, "aqlab.lock"));
      assert.equal(await main(args, root), 0, "second run succeeds");
      assert.equal(
        await Deno.readTextFile(join(root, "aqlab.lock")),
        lockBefore,
        "nothing re-ran, so the lock file is unchanged",
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
