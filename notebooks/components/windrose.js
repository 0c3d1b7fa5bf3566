import * as d3 from "d3";

/**
 * A wind rose: one wedge per compass sector, its length the mean PM2.5 when the wind
 * blows from that sector (d3: Plot has no polar bars). `data`: [{sector, deg, pm25, n}].
 */
export function WindRose(data, { width = 320, unit = "µg/m³" } = {}) {
  const size = Math.min(width, 360), r = size / 2 - 28;
  const max = d3.max(data, (d) => d.pm25) || 1;
  const y = d3.scaleLinear([0, max], [0, r]);
  const svg = d3.create("svg").attr("width", size).attr("height", size)
    .attr("viewBox", [-size / 2, -size / 2, size, size])
    .attr("style", "max-width: 100%; height: auto; font: 10px sans-serif;");
  const ticks = y.ticks(3).filter((t) => t > 0);
  svg.append("g").attr("fill", "none").attr("stroke", "currentColor").attr("stroke-opacity", 0.2)
    .selectAll("circle").data(ticks).join("circle").attr("r", y);
  const arc = d3.arc().innerRadius(0).padAngle(0.02);
  const w = Math.PI / 16;
  svg.append("g").attr("fill", "var(--theme-foreground-focus, steelblue)")
    .selectAll("path").data(data).join("path")
    .attr(
      "d",
      (d) =>
        arc({
          startAngle: (d.deg * Math.PI) / 180 - w,
          endAngle: (d.deg * Math.PI) / 180 + w,
          outerRadius: y(d.pm25),
        }),
    )
    .append("title").text((d) => `${d.sector}: ${d.pm25.toFixed(1)} ${unit} (${d.n} h)`);
  // Ring labels above the wedges, with a halo so that they read on top of them.
  svg.append("g").attr("fill", "currentColor").attr("stroke", "var(--theme-background, white)")
    .attr("stroke-width", 3).attr("paint-order", "stroke")
    .selectAll("text").data(ticks).join("text").attr("y", (t) => -y(t)).attr("dy", "-0.2em")
    .attr("text-anchor", "middle").text((t, i) => i === ticks.length - 1 ? `${t} ${unit}` : t);
  svg.append("g").attr("fill", "currentColor").selectAll("text")
    .data(["N", "E", "S", "W"]).join("text")
    .attr("x", (_, i) => Math.sin((i * Math.PI) / 2) * (r + 14))
    .attr("y", (_, i) => -Math.cos((i * Math.PI) / 2) * (r + 14))
    .attr("dy", "0.35em").attr("text-anchor", "middle").attr("font-weight", "bold").text((d) => d);
  return svg.node();
}
