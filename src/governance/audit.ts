/**
 * Automated audit checks: each takes the artifacts already read by the cards stage and
 * returns pass or fail with the numbers it compared and the files they came from.
 * A checklist item whose check is "manual" is reported as such, for a person to sign.
 */
import type { RegressionMetrics } from "../metrics/regression.ts";
import type { ChecklistItem } from "./checklist.ts";

export type AuditStatus = "pass" | "fail" | "manual";
type Value = number | string | boolean | null;

export interface AuditEvidence {
  summary: string;
  values: Record<string, Value>;
  artifacts: string[];
}

export interface AuditResult {
  id: string;
  title: string;
  check: string;
  status: AuditStatus;
  evidence: AuditEvidence;
}

export interface AuditThresholds {
  /** Lowest acceptable test R². */
  min_r2: number;
  /** Lowest acceptable skill against persistence (0 = at least as good). */
  min_skill: number;
  /** Largest |empirical - nominal| interval coverage. */
  coverage_tolerance: number;
  /** Largest RMSE gap of a station or station type above the overall RMSE, in %. */
  max_gap_pct: number;
  /** Lowest exceedance recall of any station with episodes. */
  min_recall: number;
  /** Largest share of raw lines rejected at ingest. */
  max_reject_share: number;
}

/** The artifacts the checks read; null where the run has no such artifact. */
export interface AuditInputs {
  test: {
    path: string;
    metrics: RegressionMetrics;
    interval: { coverage: number; nominal: number } | null;
  } | null;
  /**
   * onnxruntime against our predict() of the same trees; or, for a model served from the
   * very file it came in (a pretrained model that is not a tree ensemble), whether the
   * deployed bytes are that file's (their SHA-256 against the one recorded at packaging).
   */
  parity:
    | { path: string; max_rel_diff: number; tolerance: number }
    | { path: string; identical: boolean; sha256: string }
    | null;
  drift: {
    path: string;
    dataset_drift: boolean | null;
    drift_share: number | null;
    retrain: boolean | null;
  } | null;
  subgroups: {
    path: string;
    largestGap: { dimension: string; group: string; rmse_gap_pct: number } | null;
    lowestRecall: { group: string; recall: number; episodes: number } | null;
  } | null;
  lineage: {
    path: string;
    run_id: string | null;
    data_hash: string | null;
    stages: Record<string, { code: string; inputs: Record<string, string | null> }>;
    required: readonly string[];
  } | null;
  cards: { path: string; problems: string[] }[];
  ingest: { path: string; lines: number; rejected: number } | null;
}

type Check = (i: AuditInputs, t: AuditThresholds) => Omit<AuditResult, "id" | "title" | "check">;

const missing = (what: string): Omit<AuditResult, "id" | "title" | "check"> => ({
  status: "fail",
  evidence: {
    summary: `No ${what} in this run: the check cannot pass without it`,
    values: {},
    artifacts: [],
  },
});
const verdict = (ok: boolean) => (ok ? "pass" : "fail") as AuditStatus;

/** Every automated check by the name the checklist uses. */
export const AUDIT_CHECKS: Record<string, Check> = {
  metrics_above_threshold(i, t) {
    if (!i.test) return missing("test metrics");
    const { r2, skill, rmse } = i.test.metrics;
    const ok = r2 >= t.min_r2 && (skill === null || skill >= t.min_skill);
    return {
      status: verdict(ok),
      evidence: {
        summary: `test R² ${r2.toFixed(3)} (min ${t.min_r2}), skill vs persistence ${
          skill?.toFixed(3) ?? "n/a"
        } (min ${t.min_skill})`,
        values: { r2, skill, rmse, min_r2: t.min_r2, min_skill: t.min_skill },
        artifacts: [i.test.path],
      },
    };
  },
  interval_coverage(i, t) {
    if (!i.test?.interval) return missing("prediction interval");
    const { coverage, nominal } = i.test.interval;
    return {
      status: verdict(Math.abs(coverage - nominal) <= t.coverage_tolerance),
      evidence: {
        summary: `empirical coverage ${
          coverage.toFixed(4)
        } vs nominal ${nominal} (tolerance ${t.coverage_tolerance})`,
        values: { coverage, nominal, tolerance: t.coverage_tolerance },
        artifacts: [i.test.path],
      },
    };
  },
  onnx_parity(i) {
    if (!i.parity) return missing("ONNX parity figure");
    if ("identical" in i.parity) {
      const { identical, sha256 } = i.parity;
      return {
        status: verdict(identical),
        evidence: {
          summary: `the deployed model.onnx ${
            identical ? "is" : "is not"
          } the pretrained file itself (SHA-256 ${sha256.slice(0, 12)}…)`,
          values: { identical, sha256 },
          artifacts: [i.parity.path],
        },
      };
    }
    const { max_rel_diff, tolerance } = i.parity;
    return {
      status: verdict(max_rel_diff <= tolerance),
      evidence: {
        summary: `onnxruntime vs predict() max relative difference ${
          max_rel_diff.toExponential(2)
        } (tolerance ${tolerance})`,
        values: { max_rel_diff, tolerance },
        artifacts: [i.parity.path],
      },
    };
  },
  no_dataset_drift(i) {
    if (!i.drift || i.drift.dataset_drift === null) return missing("drift verdict");
    return {
      status: verdict(i.drift.dataset_drift === false),
      evidence: {
        summary: `seasonal dataset drift: ${i.drift.dataset_drift} (drifted share ${
          i.drift.drift_share?.toFixed(3) ?? "n/a"
        })`,
        values: { dataset_drift: i.drift.dataset_drift, drift_share: i.drift.drift_share },
        artifacts: [i.drift.path],
      },
    };
  },
  retraining_not_due(i) {
    if (!i.drift || i.drift.retrain === null) return missing("retraining recommendation");
    return {
      status: verdict(i.drift.retrain === false),
      evidence: {
        summary: `retraining recommended: ${i.drift.retrain}`,
        values: { retrain: i.drift.retrain },
        artifacts: [i.drift.path],
      },
    };
  },
  subgroup_gap_under_threshold(i, t) {
    if (!i.subgroups?.largestGap) return missing("subgroup analysis");
    const g = i.subgroups.largestGap;
    return {
      status: verdict(g.rmse_gap_pct <= t.max_gap_pct),
      evidence: {
        summary: `largest RMSE gap ${
          g.rmse_gap_pct.toFixed(1)
        }% at ${g.dimension} "${g.group}" (max ${t.max_gap_pct}%)`,
        values: {
          dimension: g.dimension,
          group: g.group,
          rmse_gap_pct: g.rmse_gap_pct,
          max_gap_pct: t.max_gap_pct,
        },
        artifacts: [i.subgroups.path],
      },
    };
  },
  exceedance_recall(i, t) {
    if (!i.subgroups?.lowestRecall) return missing("station with PM2.5 exceedance episodes");
    const r = i.subgroups.lowestRecall;
    return {
      status: verdict(r.recall >= t.min_recall),
      evidence: {
        summary: `lowest station recall of exceedance hours ${
          r.recall.toFixed(3)
        } at "${r.group}" (${r.episodes} episodes; min ${t.min_recall})`,
        values: {
          station: r.group,
          recall: r.recall,
          episodes: r.episodes,
          min_recall: t.min_recall,
        },
        artifacts: [i.subgroups.path],
      },
    };
  },
  lineage_complete(i) {
    if (!i.lineage) return missing("model lineage");
    const l = i.lineage;
    const gaps: string[] = [];
    if (!l.run_id) gaps.push("run_id");
    if (!l.data_hash) gaps.push("data_hash");
    for (const s of l.required) {
      const st = l.stages[s];
      if (!st) gaps.push(`stage ${s}`);
      else {
        if (!st.code) gaps.push(`${s}.code`);
        for (const [k, h] of Object.entries(st.inputs)) if (!h) gaps.push(`${s}.inputs[${k}]`);
      }
    }
    return {
      status: verdict(gaps.length === 0),
      evidence: {
        summary: gaps.length
          ? `missing: ${gaps.join(", ")}`
          : `run ${l.run_id}, data ${l.data_hash}, stages ${l.required.join(", ")} hashed`,
        values: {
          run_id: l.run_id,
          data_hash: l.data_hash,
          stages: Object.keys(l.stages).length,
          missing: gaps.length,
        },
        artifacts: [l.path],
      },
    };
  },
  card_complete(i) {
    if (!i.cards.length) return missing("card");
    const problems = i.cards.flatMap((c) => c.problems.map((p) => `${c.path}: ${p}`));
    return {
      status: verdict(problems.length === 0),
      evidence: {
        summary: problems.length
          ? problems.join("; ")
          : "every required section present and every figure sourced",
        values: { problems: problems.length },
        artifacts: i.cards.map((c) => c.path),
      },
    };
  },
  data_quality(i, t) {
    if (!i.ingest) return missing("ingest report");
    const share = i.ingest.lines > 0 ? i.ingest.rejected / i.ingest.lines : 0;
    return {
      status: verdict(share <= t.max_reject_share),
      evidence: {
        summary: `${i.ingest.rejected} of ${i.ingest.lines} raw lines rejected (share ${
          share.toFixed(4)
        }, max ${t.max_reject_share})`,
        values: {
          rejected: i.ingest.rejected,
          lines: i.ingest.lines,
          share,
          max_reject_share: t.max_reject_share,
        },
        artifacts: [i.ingest.path],
      },
    };
  },
};

/** Evaluates the checklist. Throws when an item names a check that does not exist. */
export function runAudit(
  items: readonly ChecklistItem[],
  inputs: AuditInputs,
  t: AuditThresholds,
): AuditResult[] {
  return items.map((item) => {
    if (item.check === "manual") {
      return {
        ...item,
        status: "manual",
        evidence: { summary: "reviewed by a person (GOVERNANCE.md)", values: {}, artifacts: [] },
      };
    }
    const check = AUDIT_CHECKS[item.check];
    if (!check) {
      throw new TypeError(
        `Cannot evaluate audit item "${item.id}": unknown check "${item.check}" (known: ${
          Object.keys(AUDIT_CHECKS).join(", ")
        }, manual)`,
      );
    }
    return { ...item, ...check(inputs, t) };
  });
}
