/**
 * Invented stations for the synthetic dataset: plausible pinyin-like district names, a type
 * and coordinates, stable for a seed. Station k is the same whatever the count, so a 12- and
 * a 120-station run share their first 12 stations.
 */
import type { StationMeta, StationType } from "../station_meta.ts";
import { createPrng, type Prng } from "./prng.ts";

const HEADS = [
  "Bei",
  "Nan",
  "Dong",
  "Xi",
  "Long",
  "Feng",
  "Yong",
  "Qing",
  "Hua",
  "Jin",
  "Liu",
  "Chang",
  "Gao",
  "Tai",
  "Ping",
  "Shi",
  "Yu",
  "He",
  "Lian",
  "Xin",
  "Bai",
  "Hong",
  "Song",
  "Yang",
  "Guang",
  "Lu",
  "Ma",
  "Qi",
  "Sha",
  "Tong",
];
const TAILS = [
  "qiao",
  "yuan",
  "zhuang",
  "men",
  "dian",
  "ying",
  "tun",
  "cun",
  "kou",
  "ling",
  "he",
  "hu",
  "shan",
  "tai",
  "fang",
  "gou",
  "wan",
  "tang",
  "po",
  "zhai",
  "ji",
  "pu",
  "lin",
  "du",
];
const REAL = new Set([
  "Aotizhongxin",
  "Changping",
  "Dingling",
  "Dongsi",
  "Guanyuan",
  "Gucheng",
  "Huairou",
  "Nongzhanguan",
  "Shunyi",
  "Tiantan",
  "Wanliu",
  "Wanshouxigong",
]);

function pick<T>(prng: Prng, xs: readonly T[]): T {
  return xs[Math.floor(prng.next() * xs.length)]!;
}

/** The type mix of the PRSA network: about 2/3 urban, 1/4 suburban, the rest rural. */
function typeOf(u: number): StationType {
  return u < 0.6 ? "urban" : u < 0.85 ? "suburban" : "rural";
}

/** `count` synthetic stations for `seed`: unique names, types, lat/lon around Beijing. */
export function synthStations(count: number, seed: number): StationMeta[] {
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new RangeError(`Cannot make ${count} synthetic stations: expected an integer 1..10000`);
  }
  const used = new Set(REAL);
  const out: StationMeta[] = [];
  for (let k = 0; k < count; k++) {
    const prng = createPrng(seed, 7919, k);
    let name = "";
    for (let tries = 0; name === "" || used.has(name); tries++) {
      // Two syllables give 720 names; a third syllable keeps large networks unique.
      name = pick(prng, HEADS) + pick(prng, TAILS) + (tries > 20 ? pick(prng, TAILS) : "");
    }
    used.add(name);
    const type = typeOf(prng.next());
    // Urban sites sit within ~15 km of the centre, the others farther out; stations past the
    // first 40 spread over the wider plain, as a regional network does (by index, not by
    // count, so station k stays put whatever the network size).
    const spread = k < 40 ? 1 : 2.5;
    const r = (type === "urban" ? 0.12 : type === "suburban" ? 0.3 : 0.45) * spread *
      Math.sqrt(prng.next());
    const a = 2 * Math.PI * prng.next();
    out.push({
      station: name,
      type,
      lat: Math.round((39.93 + r * Math.cos(a) * 0.8) * 1e4) / 1e4,
      lon: Math.round((116.4 + r * Math.sin(a)) * 1e4) / 1e4,
    });
  }
  return out;
}
