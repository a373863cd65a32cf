/** A small seeded PRNG (mulberry32): the same seed gives the same simulation, run after run. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal by Box–Muller. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** How long something takes, in seconds. */
export type Distribution =
  | { kind: "fixed"; value: number }
  | { kind: "exponential"; mean: number }
  /** Log-normal with the given mean and standard deviation (handle times are usually skewed like this). */
  | { kind: "lognormal"; mean: number; sd: number };

export function sample(random: Random, distribution: Distribution): number {
  switch (distribution.kind) {
    case "fixed":
      return distribution.value;
    case "exponential":
      return random.exponential(distribution.mean);
    case "lognormal": {
      const variance = Math.log(1 + (distribution.sd / distribution.mean) ** 2);
      const mu = Math.log(distribution.mean) - variance / 2;
      return Math.exp(mu + Math.sqrt(variance) * random.normal());
    }
  }
}
