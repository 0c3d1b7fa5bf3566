import MarkdownIt from "markdown-it";
import { html } from "htl";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

/**
 * A generated Markdown file (the cards) as HTML; wide tables scroll inside their own box
 * (see .md in style.css) instead of widening the page on a phone.
 */
export function Markdown(text) {
  const div = html`<div class="md">`;
  div.innerHTML = md.render(text ?? "");
  for (const t of div.querySelectorAll("table")) {
    const wrap = document.createElement("div");
    wrap.className = "md-table";
    t.replaceWith(wrap);
    wrap.append(t);
  }
  return div;
}
