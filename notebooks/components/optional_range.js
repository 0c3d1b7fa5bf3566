import * as Inputs from "@observablehq/inputs";
import { html } from "htl";

/**
 * Inputs.range for a value that may be missing: its value is a number, or null when the
 * "missing" box is ticked or the number box is emptied. A missing value must stay missing
 * (NaN into the model, the trees' learnt default branch): a plain range would turn it into
 * the middle of its extent, and the model would predict from a value nobody measured.
 * Moving the slider or typing a number sets the value again.
 */
export function OptionalRange(extent, { value = null, label, ...options } = {}) {
  const range = Inputs.range(extent, { ...options, label, value: value ?? undefined });
  const number = range.querySelector("input[type=number]");
  const slider = range.querySelector("input[type=range]");
  const box = html`<input type=checkbox aria-label=${`${label} missing`}>`;
  number.placeholder = "–";
  range.querySelector("div").append(html`<label class="optional-missing">${box} missing</label>`);
  // Inputs.range's own value cannot be redefined: the wrapper carries the optional value.
  const root = html`<div class="optional-range">${range}</div>`;
  let last = value ?? range.value;

  /** Shows the state; `restore` puts the last present value back in the boxes. */
  function show(missing, restore = true) {
    box.checked = missing;
    root.classList.toggle("is-missing", missing);
    root.dataset.missing = String(missing);
    number.required = !missing;
    if (missing) number.value = "";
    else if (restore) range.value = last;
  }
  Object.defineProperty(root, "value", {
    get: () => box.checked ? null : range.value,
    set(v) {
      if (v == null || !Number.isFinite(+v)) show(true);
      else {
        last = +v;
        show(false);
      }
    },
  });
  box.addEventListener("input", () => show(box.checked));
  // Editing the number or the slider makes the value present again.
  for (const input of [number, slider]) {
    input.addEventListener("input", () => {
      if (input === number && number.value === "") {
        show(true);
        // Inputs.range stops the event of an empty (invalid) number box: send one on.
        root.dispatchEvent(new Event("input", { bubbles: true }));
        return;
      }
      last = range.value;
      if (box.checked) show(false, false);
    });
  }
  show(value == null);
  return root;
}
