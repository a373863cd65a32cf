import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IndexedHeap } from "./heap.ts";

interface Item {
  at: number;
  id: number;
  slot: number;
}

describe("IndexedHeap", () => {
  it("pops in order and removes any item, whatever the sequence of operations", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.boolean()), { maxLength: 80, size: "max" }),
        (ops) => {
          const heap = new IndexedHeap<Item>(
            (a, b) => a.at < b.at || (a.at === b.at && a.id < b.id),
            (i) => i.slot,
            (i, slot) => (i.slot = slot),
          );
          const live = new Set<Item>();
          ops.forEach(([at, remove], id) => {
            const item = { at, id, slot: -1 };
            heap.push(item);
            live.add(item);
            if (remove) {
              const victim = [...live][at % live.size]!;
              heap.remove(victim);
              heap.remove(victim); // twice is harmless
              live.delete(victim);
            }
          });
          const popped: Item[] = [];
          for (let item = heap.pop(); item; item = heap.pop()) popped.push(item);
          expect(popped).toEqual([...live].sort((a, b) => a.at - b.at || a.id - b.id));
        },
      ),
    );
  });
});
