import { html } from "htl";

/** A plain note for artifacts a page needs that the pipeline has not produced yet. */
export function Missing(paths, { what = "this section" } = {}) {
  if (!paths || paths.length === 0) return html`<span></span>`;
  return html`
    <div class="note missing" data-missing>
      <p>No data yet for ${what}: run <code>deno task pipeline</code> to produce
        ${paths.map((p, i) => html`${i ? ", " : ""}<code>${p}</code>`)}.</p>
    </div>
  `;
}

/** True when none of `paths` is in a loader's `missing` list. */
export function has(data, ...paths) {
  return paths.every((p) => !data.missing.includes(p));
}
