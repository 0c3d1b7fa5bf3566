/**
 * The risk register (governance/risks.json) and its 5x5 likelihood x impact matrix. The
 * JSON is the one copy of the data: the cards stage renders the matrix from it and the
 * site draws the same file.
 */

export interface Risk {
  id: string;
  title: string;
  /** 1 (rare) .. 5 (almost certain). */
  likelihood: number;
  /** 1 (negligible) .. 5 (severe). */
  impact: number;
  mitigation: string;
  owner: string;
  /** Audit checklist item that checks the mitigation (governance/AUDIT_CHECKLIST.md). */
  audit_item: string;
}

export const LIKELIHOOD = ["rare", "unlikely", "possible", "likely", "almost certain"] as const;
export const IMPACT = ["negligible", "minor", "moderate", "major", "severe"] as const;

/** Parses and checks the risk register. Errors name the risk and the field. */
export function parseRisks(json: unknown, file = "governance/risks.json"): Risk[] {
  const list = (json as { risks?: unknown })?.risks;
  if (!Array.isArray(list)) {
    throw new TypeError(`Cannot read ${file}: expected an object with a "risks" array`);
  }
  const ids = new Set<string>();
  return list.map((r, k) => {
    const where = `${file}: risk ${k + 1}`;
    if (typeof r !== "object" || r === null) throw new TypeError(`${where}: expected an object`);
    const o = r as Record<string, unknown>;
    for (const f of ["id", "title", "mitigation", "owner", "audit_item"]) {
      if (typeof o[f] !== "string" || !(o[f] as string).trim()) {
        throw new TypeError(
          `${where}: field "${f}" must be a non-empty string, got ${JSON.stringify(o[f])}`,
        );
      }
    }
    for (const f of ["likelihood", "impact"]) {
      const v = o[f];
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 5) {
        throw new RangeError(
          `${where} ("${o.id}"): field "${f}" must be an integer in 1..5, got ${JSON.stringify(v)}`,
        );
      }
    }
    if (ids.has(o.id as string)) throw new TypeError(`${where}: duplicate id "${o.id}"`);
    ids.add(o.id as string);
    return o as unknown as Risk;
  });
}

/** Score = likelihood x impact; high from 15, medium from 8. */
export function riskLevel(r: Pick<Risk, "likelihood" | "impact">): "high" | "medium" | "low" {
  const s = r.likelihood * r.impact;
  return s >= 15 ? "high" : s >= 8 ? "medium" : "low";
}

/** The matrix (impact across, likelihood down, most likely first) and the register as Markdown. */
export function riskMatrixMarkdown(
  risks: readonly Risk[],
  source = "governance/risks.json",
): string {
  const lines = [
    "# Risk matrix",
    "",
    `Generated from \`${source}\` by the \`cards\` stage; edit the JSON, not this file.`,
    "",
    `| likelihood \\ impact | ${IMPACT.map((x, k) => `${k + 1} ${x}`).join(" | ")} |`,
    `| --- | ${IMPACT.map(() => "---").join(" | ")} |`,
  ];
  for (let l = 5; l >= 1; l--) {
    const cells = IMPACT.map((_, k) =>
      risks.filter((r) => r.likelihood === l && r.impact === k + 1).map((r) => r.id).join(", ")
    );
    lines.push(`| ${l} ${LIKELIHOOD[l - 1]} | ${cells.join(" | ")} |`);
  }
  lines.push(
    "",
    "| id | risk | likelihood | impact | score | level | mitigation | owner | audit item |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  );
  const sorted = [...risks].sort((a, b) =>
    b.likelihood * b.impact - a.likelihood * a.impact || a.id.localeCompare(b.id)
  );
  for (const r of sorted) {
    lines.push(
      `| ${r.id} | ${r.title} | ${r.likelihood} | ${r.impact} | ${r.likelihood * r.impact} | ${
        riskLevel(r)
      } | ${r.mitigation} | ${r.owner} | ${r.audit_item} |`,
    );
  }
  return lines.join("\n") + "\n";
}
