/**
 * The champion/challenger rule of registration: a new version replaces production only when
 * its test RMSE beats production's by a margin and no station gets worse than a tolerance.
 * Pure: the registry, the CLI and the site all read the same decision.
 * @module
 */
import type { RegressionMetrics } from "../metrics/regression.ts";

/** Thresholds of the rule (params.yaml `register.*`). */
export interface ChampionRule {
  /** Required RMSE improvement over production, in % of production's RMSE. */
  minImprovementPct: number;
  /** Largest accepted RMSE increase at any one station, in % of production's station RMSE. */
  maxStationDegradationPct: number;
}

/** What the rule needs of a model: its test metrics, overall and per station. */
export interface ChampionEvidence {
  version: number | null;
  test: RegressionMetrics | null | undefined;
  byStation: Record<string, RegressionMetrics> | null | undefined;
  /** Hash of the test split the metrics come from; RMSEs of different splits do not compare. */
  testData?: string | null;
}

/** One station whose RMSE got worse than the tolerance allows. */
export interface StationDegradation {
  station: string;
  championRmse: number;
  challengerRmse: number;
  degradationPct: number;
}

export interface ChampionDecision {
  promote: boolean;
  reason: string;
  /** (production RMSE - new RMSE) / production RMSE × 100; null without a production. */
  improvementPct: number | null;
  /** Stations beyond the tolerance, worst first. */
  degradedStations: StationDegradation[];
  /** Stations compared (present in both models' per-station metrics). */
  stationsCompared: number;
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

/** Decides whether `challenger` replaces `champion` (null: there is no production yet). */
export function championChallenger(
  challenger: ChampionEvidence,
  champion: ChampionEvidence | null,
  rule: ChampionRule,
): ChampionDecision {
  if (!(rule.minImprovementPct >= 0) || !(rule.maxStationDegradationPct >= 0)) {
    throw new RangeError(
      `Cannot apply the champion/challenger rule: expected margins >= 0, got min_improvement_pct ${rule.minImprovementPct} and max_station_degradation_pct ${rule.maxStationDegradationPct}`,
    );
  }
  const none = { improvementPct: null, degradedStations: [], stationsCompared: 0 };
  if (champion === null) {
    return { promote: true, reason: "no production version yet: promoted", ...none };
  }
  const newRmse = challenger.test?.rmse;
  const oldRmse = champion.test?.rmse;
  const cv = `v${champion.version ?? "?"}`;
  if (newRmse === undefined || !Number.isFinite(newRmse)) {
    return {
      promote: false,
      reason: `kept as staging: the new version has no test RMSE to compare with production ${cv}`,
      ...none,
    };
  }
  if (oldRmse === undefined || !Number.isFinite(oldRmse) || oldRmse <= 0) {
    return {
      promote: true,
      reason: `production ${cv} has no test RMSE to defend: promoted (test RMSE ${fmt(newRmse)})`,
      ...none,
    };
  }
  if (challenger.testData && champion.testData && challenger.testData !== champion.testData) {
    return {
      promote: false,
      reason: `kept as staging: evaluated on a different test split than production ${cv} (${
        challenger.testData.slice(0, 12)
      } vs ${
        champion.testData.slice(0, 12)
      }), so the RMSEs do not compare; promote by hand if the new data is meant to replace the old`,
      ...none,
    };
  }
  const improvementPct = ((oldRmse - newRmse) / oldRmse) * 100;
  const degraded: StationDegradation[] = [];
  let stationsCompared = 0;
  const oldBy = champion.byStation ?? {};
  for (const [station, m] of Object.entries(challenger.byStation ?? {})) {
    const o = oldBy[station];
    if (!o || !Number.isFinite(o.rmse) || o.rmse <= 0 || !Number.isFinite(m.rmse)) continue;
    stationsCompared++;
    const pct = ((m.rmse - o.rmse) / o.rmse) * 100;
    if (pct > rule.maxStationDegradationPct) {
      degraded.push({
        station,
        championRmse: o.rmse,
        challengerRmse: m.rmse,
        degradationPct: pct,
      });
    }
  }
  degraded.sort((a, b) => b.degradationPct - a.degradationPct);
  const head = `test RMSE ${fmt(newRmse, 3)} vs production ${cv} ${fmt(oldRmse, 3)} (${
    improvementPct >= 0 ? "" : "+"
  }${fmt(-improvementPct)}%)`;
  const base = { improvementPct, degradedStations: degraded, stationsCompared };
  if (improvementPct < rule.minImprovementPct) {
    return {
      ...base,
      promote: false,
      reason: `kept as staging: ${head}; improvement ${fmt(improvementPct)}% < required ${
        fmt(rule.minImprovementPct)
      }%`,
    };
  }
  if (degraded.length > 0) {
    const list = degraded.slice(0, 5).map((d) =>
      `${d.station} +${fmt(d.degradationPct)}% (${fmt(d.championRmse, 3)} -> ${
        fmt(d.challengerRmse, 3)
      })`
    ).join(", ");
    return {
      ...base,
      promote: false,
      reason: `kept as staging: ${head} beats the ${
        fmt(rule.minImprovementPct)
      }% margin, but ${degraded.length} station(s) worse by more than ${
        fmt(rule.maxStationDegradationPct)
      }%: ${list}${degraded.length > 5 ? ", ..." : ""}`,
    };
  }
  return {
    ...base,
    promote: true,
    reason: `promoted: ${head}; improvement ${fmt(improvementPct)}% >= ${
      fmt(rule.minImprovementPct)
    }% and no station worse by more than ${
      fmt(rule.maxStationDegradationPct)
    }% (${stationsCompared} compared)`,
  };
}
