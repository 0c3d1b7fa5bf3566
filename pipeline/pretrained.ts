import { defineStage } from "../src/pipeline/stage.ts";
import { int } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { FEATURE_NAMES, type FeatureSchema, TARGET } from "../src/features/schema.ts";
import { loadSplit } from "../src/tuning/load_split.ts";
import { gitCommit } from "../src/pipeline/runs.ts";
import { candidatePackage, referenceRows } from "../src/registry/candidate.ts";
import { writePackage } from "../src/registry/write_package.ts";
import { readPretrained } from "../src/pretrained/read_model.ts";
import { matchInputs } from "../src/pretrained/match_inputs.ts";
import { pretrainedCandidate } from "../src/pretrained/candidate_model.ts";
import { isPretrained, PRETRAINED_DIR, SCHEMA_PATH, SPLITS } from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "pretrained",
  description:
    "pretrained mode (--model FILE.onnx or XGBoost FILE.json): check the model's inputs against the feature schema and package it as a candidate",
  after: ["split"],
  params: {
    reference_rows: int(
      5000,
      "training rows sampled into the package's reference.json (and TreeSHAP covers when the file has none)",
      { min: 10 },
    ),
  },
  enabled: isPretrained,
  uses: { "pipeline.seed": "number", "train.alpha": "number" },
  inputs: (p) => [p.model_path, SPLITS.train, SPLITS.valid, SCHEMA_PATH],
  outputs: () => [PRETRAINED_DIR],
  module: import.meta.url,
  async run(ctx) {
    const g = ctx.globals, seed = g.seed;
    const model = await readPretrained(ctx.path(g.model_path), g.model_path);
    const match = matchInputs(model.imported, FEATURE_NAMES, g.model_path);
    const schema = JSON.parse(await Deno.readTextFile(ctx.path(SCHEMA_PATH))) as FeatureSchema;
    const c = await openDuck();
    let tr, va;
    try {
      const opts = { features: FEATURE_NAMES, target: TARGET };
      tr = await loadSplit(c, ctx.path(SPLITS.train), { ...opts, label: "training" });
      va = await loadSplit(c, ctx.path(SPLITS.valid), { ...opts, label: "validation" });
    } finally {
      c.closeSync();
    }
    ctx.rows("train", tr.X.nRows);
    ctx.rows("valid", va.X.nRows);
    const reference = referenceRows(tr, ctx.params.reference_rows, seed);
    const candidate = await pretrainedCandidate(model, match, FEATURE_NAMES, reference.X, {
      file: g.model_path,
      target: TARGET,
    });
    const contents = await candidatePackage(candidate, {
      schema,
      valid: va,
      reference,
      alpha: ctx.used["train.alpha"],
      seed,
      target: TARGET,
      lineage: await ctx.lineage("pretrained"),
      gitCommit: await gitCommit(ctx.path(".")),
      created: new Date().toISOString(),
    });
    await writePackage(ctx.out(PRETRAINED_DIR), contents);
    const valid = contents.metadata.metrics.valid!;
    ctx.metric("valid_rmse_pretrained", valid.rmse);
    ctx.log(
      `${g.model_path} (${model.format}, ${candidate.kind}, ${match.names.length} of ${FEATURE_NAMES.length} features${
        match.subset ? ", matched by name" : ""
      }): valid RMSE ${valid.rmse.toFixed(3)}; packaged as ${PRETRAINED_DIR}`,
    );
  },
});
