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

/** A sentence from the pipeline with its long decimals as figures ("0.13636363" -> "0.136"). */
export function tidyNumbers(text, digits = 3) {
  return String(text ?? "").replace(/\d+\.\d{4,}/g, (v) => fmt(+v, digits));
}

/**
 * Inputs.table options for a table of `data`: a short one (up to `rows` rows) shows every
 * row at its own height (wrapped headers and cells included) instead of scrolling.
 */
export function fitRows(data, rows = 5) {
  return (data?.length ?? 0) <= rows ? { maxHeight: "none" } : {};
}
