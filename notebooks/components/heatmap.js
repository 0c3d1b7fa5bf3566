import * as Plot from "@observablehq/plot";
import { utcFormat } from "d3";

/**
 * A cell heatmap with a labelled colour legend: `data` rows with x, y and a value.
 * `percent`: values are shares in [0, 1] shown as % (`domain` stays in shares).
 * `xFormat`: a d3 time format for x values that are dates (months, days).
 */
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
    xFormat,
  } = {},
) {
  const format = xFormat ? utcFormat(xFormat) : (d) => d;
  return Plot.plot({
    width,
    marginLeft: 90,
    marginBottom: 50,
    x: {
      label: xLabel,
      tickRotate: -45,
      tickFormat: (d, i) => (xEvery > 1 && i % xEvery ? "" : format(d)),
    },
    y: { label: yLabel },
    color: {
      scheme,
      domain: percent && domain ? domain.map((v) => v * 100) : domain,
      legend: true,
      label,
      percent,
    },
    marks: [
      Plot.cell(data, {
        x,
        y,
        fill,
        tip: {
          format: {
            x: format,
            fill: (v) => (v == null ? "–" : percent ? `${v.toFixed(1)}%` : v.toFixed(2)),
          },
        },
      }),
    ],
  });
}
