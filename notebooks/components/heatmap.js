import * as Plot from "@observablehq/plot";

/** A cell heatmap with a labelled colour legend: `data` rows with x, y and a value. */
export function Heatmap(
  data,
  {
    width,
    x,
    y,
    fill,
    label,
    scheme = "viridis",
    domain,
    percent = false,
    xLabel = null,
    yLabel = null,
    xEvery = 1,
  } = {},
) {
  return Plot.plot({
    width,
    marginLeft: 90,
    marginBottom: 50,
    x: {
      label: xLabel,
      tickRotate: -45,
      tickFormat: (d, i) => (xEvery > 1 && i % xEvery ? "" : d),
    },
    y: { label: yLabel },
    color: { scheme, domain, legend: true, label, percent },
    marks: [
      Plot.cell(data, { x, y, fill, tip: true }),
    ],
  });
}
