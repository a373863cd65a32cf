/**
 * Erlang C: the M/M/c queue (Poisson arrivals, exponential handle times, c agents, infinite
 * patience). Inputs are rates per second and seconds; traffic intensity A = arrivalRate × AHT
 * (in erlangs) must stay below the number of agents for the queue to be stable.
 */

export interface Traffic {
  /** Arrivals per second. */
  arrivalRate: number;
  /** Average handle time in seconds. */
  averageHandleTime: number;
}

/** Offered load in erlangs. */
export function intensity(traffic: Traffic): number {
  return traffic.arrivalRate * traffic.averageHandleTime;
}

/**
 * Erlang B by its recurrence B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)), which stays numerically
 * stable for hundreds of agents where the factorial formula overflows.
 */
export function erlangB(agents: number, erlangs: number): number {
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (erlangs * b) / (n + erlangs * b);
  return b;
}

/** Probability that an arriving contact waits: C = B / (1 − (A/N)(1 − B)); 1 when N ≤ A (unstable). */
export function probabilityOfWaiting(agents: number, traffic: Traffic): number {
  const a = intensity(traffic);
  if (agents <= a) return 1;
  const b = erlangB(agents, a);
  return b / (1 - (a / agents) * (1 - b));
}

/** Share of contacts answered within `seconds`: 1 − C·e^(−(N−A)·t/AHT). */
export function serviceLevel(agents: number, traffic: Traffic, seconds: number): number {
  const a = intensity(traffic);
  if (agents <= a) return 0;
  return (
    1 -
    probabilityOfWaiting(agents, traffic) * Math.exp((-(agents - a) * seconds) / traffic.averageHandleTime)
  );
}

/** Average speed of answer in seconds: C·AHT / (N − A). Infinite when N ≤ A. */
export function averageSpeedOfAnswer(agents: number, traffic: Traffic): number {
  const a = intensity(traffic);
  if (agents <= a) return Infinity;
  return (probabilityOfWaiting(agents, traffic) * traffic.averageHandleTime) / (agents - a);
}

/** Share of agents' time spent handling contacts: A / N. */
export function occupancy(agents: number, traffic: Traffic): number {
  return Math.min(1, intensity(traffic) / agents);
}

/**
 * The fewest agents that meet a service-level target (e.g. 80 % within 20 s), optionally also an
 * occupancy ceiling (e.g. 0.85) so agents are not planned to be busy all the time.
 */
export function agentsNeeded(
  traffic: Traffic,
  target: { serviceLevel: number; withinSeconds: number; maxOccupancy?: number },
): number {
  if (!(target.serviceLevel > 0 && target.serviceLevel < 1))
    throw new RangeError("serviceLevel must be between 0 and 1");
  const a = intensity(traffic);
  let agents = Math.max(1, Math.floor(a) + 1);
  if (target.maxOccupancy !== undefined) agents = Math.max(agents, Math.ceil(a / target.maxOccupancy));
  while (serviceLevel(agents, traffic, target.withinSeconds) < target.serviceLevel) agents++;
  return agents;
}
