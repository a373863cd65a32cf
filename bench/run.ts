import { note } from "./figures.ts";

/**
 * `npm run bench` runs every group; `npm run bench -- GROUP` runs one. Each group module lives in
 * bench/<group>.bench.ts and exports `run()`, which emits its figures as JSON lines.
 */
const GROUPS = {
  routing: () => import("./routing.bench.ts"),
  platform: () => import("./platform.bench.ts"),
  api: () => import("./api.bench.ts"),
  webchat: () => import("./webchat.bench.ts"),
  insights: () => import("./insights.bench.ts"),
} satisfies Record<string, () => Promise<{ run(): Promise<void> }>>;

type Group = keyof typeof GROUPS;

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in GROUPS));
if (unknown.length) {
  note(`unknown benchmark group(s): ${unknown.join(", ")}; known: ${Object.keys(GROUPS).join(", ")}`);
  process.exit(2);
}
for (const group of (requested.length ? requested : Object.keys(GROUPS)) as Group[]) {
  note(`== ${group}`);
  const module = await GROUPS[group]();
  await module.run();
}
