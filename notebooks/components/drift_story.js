/**
 * The Drift page's one story: the headline, one verdict per month and one per feature, all
 * read from the drift report's verdict objects (src/drift/verdict.ts): the page decides
 * nothing itself, so its headline, timeline and grid cannot disagree.
 *
 * A report written before those objects existed (a pooled `verdict.seasonal` beside a
 * monthly timeline) is read into the same shape from its monthly objects: the headline then
 * sums up the very months the timeline shows, not the pooled test.
 *
 * Shape: { headline: {state, text, n_tested, n_drift, n_within_noise, drift_share, drifted,
 * windows: {n, drift, within_noise}}, months: [{month, state, rows, n_tested, n_drift,
 * drift_share, drifted}], cells: [{month, feature, role, state, check, statistic, value, z,
 * threshold}], features: [{feature, role, state, reason, check, value, z, threshold,
 * drift_months}], explanation, rule, retraining, notes }.
 */
export function driftStory(report, timeline = []) {
  if (!report) return null;
  return report.verdict?.kind === "aqlab.drift_verdict"
    ? fromVerdict(report)
    : fromMonthly(report, timeline ?? []);
}

/** Verdict states in the order of the legend, with their colours and words. */
export const STATES = [
  { state: "drift", label: "drift", color: "#b2182b" },
  { state: "within_noise", label: "within noise", color: "#f4a582" },
  { state: "ok", label: "no drift", color: "#d9ead3" },
  { state: "not_run", label: "not tested", color: "#bdbdbd" },
];

/** A month's dataset-level state in the words of the feature states (one legend for both). */
export const MONTH_STATE = { no_drift: "ok", unavailable: "not_run" };

function fromVerdict(report) {
  const v = report.verdict;
  const months = v.windows.map((w) => ({
    month: w.window,
    state: MONTH_STATE[w.state] ?? w.state,
    rows: w.rows,
    n_tested: w.n_tested,
    n_drift: w.n_drift,
    drift_share: w.drift_share,
    drifted: w.drifted,
  }));
  const cells = v.windows.flatMap((w) =>
    [...w.features, ...(w.prediction ? [w.prediction] : []), ...(w.target ? [w.target] : [])]
      .map((f) => {
        const c = f.checks.find((x) => x.check === f.decided_by);
        return {
          month: w.window,
          feature: f.feature,
          role: f.role,
          state: f.state === "skipped" ? "not_run" : f.state,
          check: c?.check ?? null,
          statistic: c?.statistic ?? null,
          value: c?.value ?? null,
          z: c?.z ?? null,
          threshold: c ? Math.max(c.threshold ?? 0, c.min_effect) : null,
        };
      })
  );
  const features = [
    ...v.features,
    ...(v.prediction ? [v.prediction] : []),
    ...(v.target ? [v.target] : []),
  ]
    .map((f) => {
      const c = f.checks.find((x) => x.check === f.decided_by) ?? null;
      return {
        feature: f.feature,
        role: f.role,
        state: f.state,
        reason: f.reason,
        check: c?.check ?? null,
        value: c?.value ?? null,
        z: c?.z ?? null,
        threshold: c?.threshold ?? null,
        drift_months: c?.drift_windows ?? [],
      };
    });
  return {
    headline: v.headline,
    months,
    cells,
    features,
    explanation: v.explanations?.verdict ?? "",
    rule: v.rule?.text ?? "",
    retraining: report.retraining ?? null,
    notes: report.notes ?? [],
  };
}

function fromMonthly(report, timeline) {
  const share = report.settings?.drift_share ?? 0.5;
  const months = (report.timeline ?? []).map((m) => ({
    month: m.month,
    state: m.datasetDrift ? "drift" : "ok",
    rows: m.nRows,
    n_tested: m.nTested,
    n_drift: m.nDrifted,
    drift_share: m.driftShare,
    drifted: timeline.filter((r) => r.month === m.month && r.drifted).map((r) => r.feature),
  }));
  const cells = timeline.map((r) => ({
    month: r.month,
    feature: r.feature,
    role: "feature",
    state: r.statistic == null ? "not_run" : r.drifted ? "drift" : "ok",
    check: "distribution",
    statistic: r.test,
    value: r.statistic,
    z: null,
    threshold: report.settings?.distance ?? null,
  }));
  const names = [...new Set(timeline.map((r) => r.feature))];
  const features = names.map((feature) => {
    const driftMonths = months.filter((m) => m.drifted.includes(feature)).map((m) => m.month);
    return {
      feature,
      role: "feature",
      state: driftMonths.length ? "drift" : "ok",
      reason: driftMonths.length
        ? `drifted in ${driftMonths.length} of ${months.length} months`
        : "no month drifted",
      check: "distribution",
      value: null,
      z: null,
      threshold: report.settings?.distance ?? null,
      drift_months: driftMonths,
    };
  });
  const driftMonths = months.filter((m) => m.state === "drift").map((m) => m.month);
  const drifted = features.filter((f) => f.state === "drift").map((f) => f.feature);
  const tested = features.length;
  return {
    headline: {
      state: driftMonths.length ? "drift" : "no_drift",
      text: driftMonths.length
        ? `Drift in ${driftMonths.length} of ${months.length} months: in each, at least ${
          Math.round(share * 100)
        }% of the features drifted against the training rows of that month`
        : `No drift: in no month did ${Math.round(share * 100)}% of the features drift`,
      n_tested: tested,
      n_drift: drifted.length,
      n_within_noise: 0,
      drift_share: tested ? drifted.length / tested : null,
      drifted,
      windows: { n: months.length, drift: driftMonths, within_noise: [] },
    },
    months,
    cells,
    features,
    explanation:
      "Each month of the current rows is compared with the training rows of the same calendar month; a month is in drift when at least half of its features drifted.",
    rule: "",
    retraining: report.retraining ?? null,
    notes: [
      "This report predates the drift verdict objects: its retraining trigger was computed on the whole test period at once, not on these months.",
      ...(report.notes ?? []),
    ],
  };
}
