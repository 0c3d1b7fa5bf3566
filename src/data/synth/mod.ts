/** Synthetic PRSA-layout dataset generator: the public API. */
export { generateSynth, type SynthOptions, type SynthResult, writeStationsCsv } from "./write.ts";
export { synthStations } from "./stations.ts";
export { PRSA_COLUMNS, PRSA_HEADER, prsaFileName, WIND_SECTORS } from "./format.ts";
export { createPrng, type Prng } from "./prng.ts";
