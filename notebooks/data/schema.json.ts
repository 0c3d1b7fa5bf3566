/** The feature schema (names, units, observed ranges, stations) for the browser pages. */
import { Out } from "./_artifacts.ts";

const out = new Out();
out.data.schema = await out.json("data/processed/features.schema.json");
await out.emit();
