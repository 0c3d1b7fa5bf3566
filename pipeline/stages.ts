import type { Stage } from "../src/pipeline/stage.ts";
import synth from "./synth.ts";
import ingest from "./ingest.ts";
import clean from "./clean.ts";
import features from "./features.ts";
import split from "./split.ts";

/** Every stage of the study, in any order: the runner orders them by `after`. */
export const STAGES: Stage[] = [synth, ingest, clean, features, split] as unknown as Stage[];
