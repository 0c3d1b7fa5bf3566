import type { Stage } from "../src/pipeline/stage.ts";
import synth from "./synth.ts";
import ingest from "./ingest.ts";
import clean from "./clean.ts";
import features from "./features.ts";
import split from "./split.ts";
import tune from "./tune.ts";
import train from "./train.ts";
import evaluate from "./evaluate.ts";
import explain from "./explain.ts";
import register from "./register.ts";
import drift from "./drift.ts";
import pretrained from "./pretrained.ts";
import score from "./score.ts";
import cards from "./cards.ts";

/** Every stage of the study, in any order: the runner orders them by `after`. */
export const STAGES: Stage[] = [
  synth,
  ingest,
  clean,
  features,
  split,
  tune,
  train,
  pretrained,
  evaluate,
  explain,
  register,
  drift,
  score,
  cards,
] as unknown as Stage[];
