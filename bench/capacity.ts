import { capacityFigures } from "./api.bench.ts";
import { databases } from "./support.ts";

/** The api group's capacity figures, started by it in a fresh process (see `inOwnProcess`). */
const all = await databases();
try {
  await capacityFigures(all.find((db) => db.name === "sqlite")!);
} finally {
  for (const db of all) await db.drop();
}
