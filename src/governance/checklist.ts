/**
 * The audit checklist lives in one place, governance/AUDIT_CHECKLIST.md, as a Markdown
 * table (id | item | check). This parser is what makes it machine-readable: the cards stage
 * evaluates each item whose check column names an automated check, and marks the rest
 * manual. No second copy of the list exists.
 */

export interface ChecklistItem {
  id: string;
  title: string;
  /** Name of an automated check (see AUDIT_CHECKS), or "manual". */
  check: string;
}

const ROW = /^\|\s*(A\d{2,})\s*\|\s*(.+?)\s*\|\s*`?([a-z_]+)`?\s*\|\s*$/;

/** Items of the checklist table, in order. Throws on a duplicate id or an empty list. */
export function parseChecklist(
  markdown: string,
  file = "governance/AUDIT_CHECKLIST.md",
): ChecklistItem[] {
  const items: ChecklistItem[] = [];
  const seen = new Set<string>();
  markdown.split(/\r?\n/).forEach((line, k) => {
    const m = ROW.exec(line.trim());
    if (!m) return;
    const [, id, title, check] = m as unknown as [string, string, string, string];
    if (seen.has(id)) {
      throw new SyntaxError(`Cannot parse ${file}: duplicate item "${id}" on line ${k + 1}`);
    }
    seen.add(id);
    items.push({ id, title, check });
  });
  if (items.length === 0) {
    throw new SyntaxError(
      `Cannot parse ${file}: expected a table of rows "| A01 | item | check |", found none`,
    );
  }
  return items;
}
