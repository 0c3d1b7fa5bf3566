/** The Data page's whole-dataset tables: missing share per column and station, correlations. */
import { Out } from "./_artifacts.ts";
import { CANONICAL_NUMERIC } from "../../src/data/ingest/canonical.ts";

const COLUMNS = [...CANONICAL_NUMERIC];
const out = new Out();
const src = "data/processed/clean.parquet";
out.data.columns = COLUMNS;
out.data.missing_share = await out.parquet(
  src,
  `UNPIVOT (SELECT station, ${
    COLUMNS.map((c) => `avg((${c} IS NULL)::INT) AS ${c}`).join(", ")
  } FROM t GROUP BY station) ON ${COLUMNS.join(", ")} INTO NAME col VALUE share
   ORDER BY station`,
);
const pairs = COLUMNS.flatMap((a, i) => COLUMNS.slice(i).map((b) => [a, b] as const));
const corr = await out.parquet(
  src,
  `SELECT ${pairs.map(([a, b]) => `corr(${a}, ${b}) AS "${a}|${b}"`).join(", ")} FROM t`,
);
out.data.correlations = corr?.[0]
  ? Object.entries(corr[0]).flatMap(([k, r]) => {
    const [a, b] = k.split("|") as [string, string];
    return a === b ? [{ a, b, r }] : [{ a, b, r }, { a: b, b: a, r }];
  })
  : null;
out.data.split = await out.json("reports/data/split.json");
out.data.quality = await out.json("reports/data/quality.json");
await out.emit();
