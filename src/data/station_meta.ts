/**
 * The shape of a station's metadata, apart from the station lists so that the synthetic
 * generator (which invents stations) and `stations.ts` (which lists them) both import it
 * without importing each other.
 */

/** Urban: city centre, traffic and heating close by; suburban: new towns around the city;
 * rural: background sites far from local sources. */
export type StationType = "urban" | "suburban" | "rural";

export interface StationMeta {
  station: string;
  type: StationType;
  lat: number;
  lon: number;
}
