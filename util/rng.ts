/**
 * Seeded random numbers: one generator per app so a run is repeatable from one seed.
 * sfc32 is a few lines, fast and well studied; a dependency would add nothing here.
 */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** normal draw (Box-Muller) */
  normal(mean: number, sd: number): number;
  /** integer in [0, n) */
  int(n: number): number;
}

export function createRng(seed: number): Rng {
  // spread the seed over four 32-bit words (splitmix32)
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  let spare: number | undefined;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal(mean, sd) {
      if (sd === 0) return mean;
      if (spare !== undefined) {
        const z = spare;
        spare = undefined;
        return mean + sd * z;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return mean + sd * r * Math.cos(2 * Math.PI * v);
    },
  };
}

/**
 * A generator seeded from the next draw of `parent`: one app's seed gives several independent
 * streams (arrivals, latency draws, choices), so how many draws one purpose takes (a local read
 * draws no latency) never shifts the draws of another.
 */
export function forkRng(parent: Rng): Rng {
  return createRng(Math.floor(parent.next() * 4294967296));
}

/** Derives a per-app seed from the scenario seed. */
export function appSeed(scenarioSeed: number, appId: number): number {
  return (Math.imul(scenarioSeed ^ 0x5bd1e995, 2654435761) + appId * 0x27d4eb2f) >>> 0;
}
