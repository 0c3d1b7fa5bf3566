/**
 * The Drift page: the latest drift report (its verdict objects carry the headline, the
 * months and the features), binned distributions, and, for a report written before the
 * verdict objects existed, its monthly timeline table.
 */
import { Out } from "./_artifacts.ts";
import { DRIFT_DISTRIBUTIONS, DRIFT_LATEST, DRIFT_TIMELINE } from "../../src/pipeline/catalog.ts";

const out = new Out();
const latest = await out.json<{ verdict?: { kind?: string } }>(DRIFT_LATEST);
out.data.latest = latest;
out.data.timeline = latest && latest.verdict?.kind !== "aqlab.drift_verdict"
  ? await out.parquet(DRIFT_TIMELINE)
  : null;
out.data.distributions = await out.parquet(
  DRIFT_DISTRIBUTIONS,
  "SELECT feature, source, bin, lo, hi, count FROM t ORDER BY feature, source, bin",
);
await out.emit();
