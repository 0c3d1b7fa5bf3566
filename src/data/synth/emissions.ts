/**
 * Emission activity by hour: traffic with morning and evening rush hours (lower and later on
 * weekends), residential heating in Beijing's heating season, and the station type's level.
 * Values are relative (1 = an average urban weekday hour outside the heating season).
 */
import type { StationType } from "../stations.ts";
import { isHeatingSeason } from "./calendar.ts";

// Hourly traffic shape, weekday and weekend (mean about 1). Heavy trucks may only enter the
// city at night, which keeps night-time NOx high.
const WEEKDAY = [
  0.55,
  0.45,
  0.4,
  0.4,
  0.45,
  0.6,
  0.95,
  1.45,
  1.6,
  1.3,
  1.1,
  1.05,
  1.05,
  1.05,
  1.1,
  1.2,
  1.35,
  1.55,
  1.5,
  1.25,
  1.0,
  0.85,
  0.75,
  0.65,
];
const WEEKEND = [
  0.6,
  0.5,
  0.45,
  0.4,
  0.4,
  0.45,
  0.6,
  0.8,
  1.0,
  1.1,
  1.15,
  1.15,
  1.1,
  1.1,
  1.1,
  1.15,
  1.2,
  1.3,
  1.3,
  1.15,
  1.0,
  0.9,
  0.8,
  0.7,
];
// Coal and gas heating: stoves are fed in the morning and the evening.
const HEATING = [
  0.9,
  0.8,
  0.75,
  0.75,
  0.8,
  0.95,
  1.2,
  1.35,
  1.2,
  1.0,
  0.9,
  0.85,
  0.85,
  0.85,
  0.9,
  0.95,
  1.05,
  1.2,
  1.35,
  1.3,
  1.2,
  1.1,
  1.0,
  0.95,
];

/** Relative traffic activity at `hour` (0-23); `weekend` lowers and delays the peaks. */
export function traffic(hour: number, weekend: boolean): number {
  return (weekend ? WEEKEND : WEEKDAY)[hour] ?? 1;
}

/** Heating activity in [0, ~1.35]: 0 outside the heating season, ramping in its first week. */
export function heating(month: number, day: number, hour: number): number {
  if (!isHeatingSeason(month, day)) return 0;
  const ramp = month === 11
    ? Math.min(1, (day - 14) / 7)
    : month === 3
    ? Math.min(1, (16 - day) / 5)
    : 1;
  return ramp * (HEATING[hour] ?? 1);
}

/** Local emission level of a station type (urban sources close by, rural sites far away). */
export function typeLevel(type: StationType): number {
  return type === "urban" ? 1 : type === "suburban" ? 0.7 : 0.35;
}

/** Traffic is lower during the Spring Festival week, when millions leave the city. */
export function holidayFactor(hoursFromNewYear: number): number {
  return hoursFromNewYear > -48 && hoursFromNewYear < 24 * 7 ? 0.65 : 1;
}

/** Cooking, evening traffic and small sources: a bump from late afternoon to midnight. */
export function evening(hour: number): number {
  return Math.exp(-(((hour - 19.5) / 2.5) ** 2));
}
