export { isSid, sequentialSids, assertPrefix } from "./ids.ts";
export type { SidGenerator, SidPrefix } from "./ids.ts";
export { ManualClock } from "./clock.ts";
export type { Clock } from "./clock.ts";
