/** Rows from a loader's columns (`{name: values[]}`, see `Out.columns`); [] for null. */
export function rows(cols) {
  if (!cols) return [];
  const names = Object.keys(cols);
  const n = names.length ? cols[names[0]].length : 0;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = {};
    for (const k of names) r[k] = cols[k][i];
    out[i] = r;
  }
  return out;
}

/** A number for a table or a headline, "–" when missing. */
export function fmt(v, digits = 1) {
  return v == null || !Number.isFinite(v)
    ? "–"
    : v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
