/**
 * A checked pretrained model as a candidate: a tree ensemble becomes our TreeEnsemble over
 * the full feature schema (its features matched by name), re-exported to ONNX with covers,
 * so it scores, explains and serves like a GBDT trained here; any other ONNX model keeps
 * its bytes and has no model.json (permutation importance explains it).
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import { recomputeCovers } from "../onnx/import.ts";
import { exportTreeEnsemble } from "../onnx/export.ts";
import { modelToJSON } from "../gbdt/serialize.ts";
import { PRETRAINED } from "../pipeline/catalog.ts";
import type { CandidateModel } from "../registry/candidate.ts";
import type { InputMatch } from "./match_inputs.ts";
import type { PretrainedModel } from "./read_model.ts";
import { remapFeatures } from "./remap_features.ts";

/**
 * `background`: training rows in schema order, which give a tree ensemble without covers
 * (exporters other than ours store none) the covers TreeSHAP needs.
 */
export async function pretrainedCandidate(
  m: PretrainedModel,
  match: InputMatch,
  schemaNames: readonly string[],
  background: FeatureMatrix,
  source: { file: string; target: string },
): Promise<CandidateModel> {
  const params: Record<string, unknown> = {
    source_file: source.file,
    source_format: m.format,
    source_bytes: m.bytes.length,
    source_sha256: await sha256(m.bytes),
    features_used: match.names.length,
    subset: match.subset,
  };
  const imported = m.imported;
  if (imported.kind !== "tree_ensemble") {
    return { name: PRETRAINED, kind: "pretrained_other", onnx: m.bytes, model: null, params };
  }
  let tree = remapFeatures(imported.model, match.columns, schemaNames);
  if (!imported.hasCovers) tree = recomputeCovers(tree, background);
  return {
    name: PRETRAINED,
    kind: "pretrained_tree",
    onnx: exportTreeEnsemble(tree, { "aqlab.candidate": PRETRAINED, target: source.target }),
    model: modelToJSON(tree, { source: PRETRAINED }),
    params: {
      ...params,
      trees: tree.trees.length,
      covers: imported.hasCovers ? "from file" : "recomputed on training rows",
    },
  };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const h = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, "0")).join("");
}
