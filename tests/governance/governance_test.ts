import assert from "node:assert/strict";
import { bootstrapErrors } from "../../src/governance/bootstrap.ts";
import { exceedanceScores, subgroupAnalysis } from "../../src/governance/subgroups.ts";
import { parseChecklist } from "../../src/governance/checklist.ts";
import { parseRisks, riskLevel, riskMatrixMarkdown } from "../../src/governance/risks.ts";
import { AUDIT_CHECKS, type AuditInputs, runAudit } from "../../src/governance/audit.ts";
import { cardMarkdown, cardProblems, fact, makeCard, section } from "../../src/governance/card.ts";
import { permutationImportance } from "../../src/explain/permutation.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import { buildCards, type CardsOptions } from "../../src/governance/build_cards.ts";
import type { DuckDBConnection } from "@duckdb/node-api";
import { tempDir } from "../_temp.ts";

const read = (f: string) => Deno.readTextFile(new URL(`../../governance/${f}`, import.meta.url));

Deno.test("bootstrap: seeded, the interval brackets the estimate, the estimate is the RMSE", () => {
  const y = Array.from({ length: 400 }, (_, i) => 50 + (i % 17));
  const pred = y.map((v, i) => v + ((i * 7919) % 11) - 5);
  let se = 0;
  for (let i = 0; i < y.length; i++) se += (pred[i]! - y[i]!) ** 2;
  const a = bootstrapErrors(y, pred, { resamples: 200, level: 0.9, seed: 7 });
  const b = bootstrapErrors(y, pred, { resamples: 200, level: 0.9, seed: 7 });
  const c = bootstrapErrors(y, pred, { resamples: 200, level: 0.9, seed: 8 });
  assert.ok(Math.abs(a.rmse.estimate - Math.sqrt(se / y.length)) < 1e-12);
  assert.deepEqual(a, b);
  assert.notEqual(a.rmse.lower, c.rmse.lower);
  assert.ok(a.rmse.lower < a.rmse.estimate && a.rmse.estimate < a.rmse.upper);
  assert.ok(a.mae.lower < a.mae.estimate && a.mae.estimate < a.mae.upper);
  assert.throws(
    () => bootstrapErrors([1], [1, 2], { resamples: 10, level: 0.9, seed: 1 }),
    RangeError,
  );
});

Deno.test("subgroups: exceedance recall and precision, station types, largest gap", () => {
  // True above 75 at rows 0, 1, 3; predicted above at rows 0, 2, 3: hits 0 and 3.
  const ex = exceedanceScores([80, 90, 10, 100], [76, 50, 80, 120], 75);
  assert.deepEqual(ex, { episodes: 3, predicted: 3, hits: 2, recall: 2 / 3, precision: 2 / 3 });
  assert.equal(exceedanceScores([10], [20], 75).recall, null);

  const jan = Date.UTC(2016, 0, 15), jul = Date.UTC(2016, 6, 15);
  const a = subgroupAnalysis({
    station: ["A", "A", "B", "B", "C", "C"],
    time: [jan, jul, jan, jul, jan, jul],
    y: [10, 100, 10, 100, 10, 100],
    pred: [10, 100, 12, 98, 40, 60],
  }, {
    stationTypes: new Map([["A", "urban"], ["B", "rural"]]),
    exceedance: 75,
    gapDimensions: ["station"],
  });
  const types = a.rows.filter((r) => r.dimension === "station_type").map((r) => r.group);
  assert.deepEqual(types, ["rural", "unknown", "urban"]);
  assert.deepEqual(a.rows.filter((r) => r.dimension === "season").map((r) => r.group), [
    "DJF",
    "JJA",
  ]);
  assert.equal(a.largestGap?.group, "C"); // C carries nearly all the error
  assert.equal(a.lowestRecall?.group, "C"); // C predicts 60 when the truth is 100
  assert.equal(a.lowestRecall?.recall, 0);
  const overall = a.rows.find((r) => r.dimension === "overall")!;
  assert.equal(overall.n, 6);
  assert.equal(overall.episodes, 3);
});

Deno.test("governance: every checklist check exists, every risk links to a checklist item", async () => {
  const items = parseChecklist(await read("AUDIT_CHECKLIST.md"));
  assert.ok(items.some((i) => i.check === "manual"));
  for (const i of items) {
    assert.ok(i.check === "manual" || i.check in AUDIT_CHECKS, `${i.id}: unknown check ${i.check}`);
  }
  // Every automated check is used by some item.
  for (const name of Object.keys(AUDIT_CHECKS)) {
    assert.ok(items.some((i) => i.check === name), `check ${name} is in no checklist item`);
  }
  const risks = parseRisks(JSON.parse(await read("risks.json")));
  assert.ok(risks.length >= 5);
  for (const r of risks) {
    assert.ok(items.some((i) => i.id === r.audit_item), `${r.id} -> ${r.audit_item}`);
  }
  // The assessment document does not copy the register by hand.
  const doc = await read("RISK_ASSESSMENT.md");
  for (const r of risks) {
    assert.ok(!doc.includes(r.title), `RISK_ASSESSMENT.md repeats "${r.title}"`);
  }
});

Deno.test("risks: the matrix puts each risk in its likelihood row and impact column", () => {
  const risks = parseRisks({
    risks: [
      {
        id: "X1",
        title: "t",
        likelihood: 5,
        impact: 1,
        mitigation: "m",
        owner: "o",
        audit_item: "A01",
      },
      {
        id: "X2",
        title: "t",
        likelihood: 2,
        impact: 4,
        mitigation: "m",
        owner: "o",
        audit_item: "A02",
      },
    ],
  });
  const lines = riskMatrixMarkdown(risks).split("\n");
  const row = (l: number) =>
    lines.find((x) => x.startsWith(`| ${l} `))!.split("|").map((s) => s.trim());
  assert.equal(row(5)[2], "X1"); // column 1 = impact 1
  assert.equal(row(2)[5], "X2"); // column 4 = impact 4
  assert.equal(riskLevel({ likelihood: 5, impact: 3 }), "high");
  assert.equal(riskLevel({ likelihood: 1, impact: 2 }), "low");
  assert.throws(
    () =>
      parseRisks({
        risks: [{
          id: "X",
          title: "t",
          likelihood: 6,
          impact: 1,
          mitigation: "m",
          owner: "o",
          audit_item: "A",
        }],
      }),
    /field "likelihood" must be an integer in 1\.\.5, got 6/,
  );
});

const THRESHOLDS = {
  min_r2: 0.5,
  min_skill: 0,
  coverage_tolerance: 0.05,
  max_gap_pct: 20,
  min_recall: 0.5,
  max_reject_share: 0.01,
};

Deno.test("audit: thresholds decide pass or fail, evidence cites the artifact, unknown checks throw", () => {
  const inputs: AuditInputs = {
    test: {
      path: "reports/evaluation/summary.json",
      metrics: { n: 10, rmse: 10, mae: 8, r2: 0.8, mape: 20, bias: 0, skill: 0.2 },
      interval: { coverage: 0.88, nominal: 0.9 },
    },
    parity: null,
    drift: null,
    subgroups: null,
    lineage: null,
    cards: [],
    ingest: { path: "reports/data/ingest.json", lines: 1000, rejected: 20 },
  };
  const t = THRESHOLDS;
  const items = [
    { id: "A01", title: "m", check: "metrics_above_threshold" },
    { id: "A02", title: "c", check: "interval_coverage" },
    { id: "A03", title: "d", check: "data_quality" },
    { id: "A04", title: "p", check: "onnx_parity" },
    { id: "A05", title: "x", check: "manual" },
  ];
  const r = runAudit(items, inputs, t);
  assert.deepEqual(r.map((x) => x.status), ["pass", "pass", "fail", "fail", "manual"]);
  assert.deepEqual(r[0]!.evidence.artifacts, ["reports/evaluation/summary.json"]);
  assert.equal(r[2]!.evidence.values.share, 0.02);
  assert.equal(runAudit(items, inputs, { ...t, min_r2: 0.9 })[0]!.status, "fail");
  assert.throws(
    () => runAudit([{ id: "A9", title: "?", check: "no_such" }], inputs, t),
    /unknown check "no_such"/,
  );
});

Deno.test("audit: ONNX parity of a model served from its own file is the identity of the bytes", () => {
  const base: AuditInputs = {
    test: null,
    parity: null,
    drift: null,
    subgroups: null,
    lineage: null,
    cards: [],
    ingest: null,
  };
  const t = THRESHOLDS;
  const item = [{ id: "A03", title: "p", check: "onnx_parity" }];
  const path = "models/candidates/pretrained/model.onnx";
  const same = runAudit(item, {
    ...base,
    parity: { path, identical: true, sha256: "ab".repeat(32) },
  }, t)[0]!;
  assert.equal(same.status, "pass");
  assert.deepEqual(same.evidence.artifacts, [path]);
  assert.match(same.evidence.summary, /is the pretrained file itself/);
  const changed = runAudit(item, {
    ...base,
    parity: { path, identical: false, sha256: "cd".repeat(32) },
  }, t)[0]!;
  assert.equal(changed.status, "fail");
  assert.match(changed.evidence.summary, /is not the pretrained file itself/);
});

Deno.test("cards: completeness names the missing section and the unsourced fact", () => {
  const card = makeCard("model", "T", [
    section("a", "A", {
      facts: [fact("rows", 5, "reports/x.json", "rows"), fact("bad", 1, "", "f")],
    }),
    section("b", "B", {}),
  ], { generated: "g", run_id: "r" });
  const problems = cardProblems(card, ["a", "b", "c"]);
  assert.ok(problems.includes('section "b" is empty'));
  assert.ok(problems.includes('section "c" is missing'));
  assert.ok(problems.some((p) => p.includes('fact "bad"')));
  const md = cardMarkdown(card);
  assert.ok(md.includes("`reports/x.json`"));
  assert.deepEqual(card.sources, ["", "reports/x.json"]);
});

Deno.test("permutation importance: the feature the model uses comes first; seeded", async () => {
  const n = 300;
  const data = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    data[i * 2] = i % 50;
    data[i * 2 + 1] = (i * 37) % 13;
    y[i] = 3 * (i % 50);
  }
  const X: FeatureMatrix = { data, nRows: n, nCols: 2, names: ["x0", "x1"] };
  const score = (M: FeatureMatrix) =>
    Promise.resolve(Float64Array.from({ length: M.nRows }, (_, i) => 3 * M.data[i * 2]!));
  const a = await permutationImportance(score, X, y, { seed: 3, repeats: 2 });
  const b = await permutationImportance(score, X, y, { seed: 3, repeats: 2 });
  assert.deepEqual(a, b);
  assert.equal(a[0]!.feature, "x0");
  assert.ok(a[0]!.importance > 10);
  assert.equal(a[1]!.importance, 0);
});

Deno.test("cards: a missing or broken governance file fails first, naming the file", async () => {
  const dir = await tempDir();
  // A connection that must not be touched: the check comes before any slow work.
  const untouchable = new Proxy({}, {
    get: () => {
      throw new Error("the cards used DuckDB before checking the governance files");
    },
  }) as DuckDBConnection;
  const options: CardsOptions = {
    read: (p) => `${dir}/${p}`,
    candidate: "gbdt",
    producer: "train",
    source: "synth",
    rawDir: "data/raw/synth",
    pretrained: null,
    seed: 1,
    runId: "test",
    generated: new Date(0).toISOString(),
    params: {} as CardsOptions["params"],
    warn: () => {},
  };
  await assert.rejects(
    buildCards(untouchable, options),
    /Cannot build the cards: governance\/risks\.json is missing .*git checkout -- governance\/risks\.json/,
  );
  await Deno.mkdir(`${dir}/governance`);
  await Deno.writeTextFile(`${dir}/governance/risks.json`, "{ not json");
  await assert.rejects(
    buildCards(untouchable, options),
    /Cannot read governance\/risks\.json: expected JSON/,
  );
  await Deno.writeTextFile(`${dir}/governance/risks.json`, await read("risks.json"));
  await assert.rejects(
    buildCards(untouchable, options),
    /Cannot build the cards: governance\/AUDIT_CHECKLIST\.md is missing/,
  );
});
