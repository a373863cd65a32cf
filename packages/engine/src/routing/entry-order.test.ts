import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EntryOrder, type Entered } from "./entry-order.ts";

interface Item extends Entered<Item> {
  id: number;
}

describe("EntryOrder", () => {
  it("keeps what a Set keeps, in the same order, whatever the adds and deletes between two lists", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ item: fc.nat({ max: 15 }), list: fc.nat({ max: 1 }) }), {
          maxLength: 80,
          size: "max",
        }),
        (ops) => {
          const items: Item[] = Array.from({ length: 16 }, (_, id) => ({
            id,
            prevEntered: undefined,
            nextEntered: undefined,
          }));
          const lists = [new EntryOrder<Item>(), new EntryOrder<Item>()];
          const sets = [new Set<Item>(), new Set<Item>()];
          for (const op of ops) {
            const item = items[op.item]!;
            // An item in a list leaves it; an item in none joins the list the step names. Deleting an
            // item of no list changes nothing.
            const holder = sets.findIndex((set) => set.has(item));
            if (holder >= 0) {
              lists[holder]!.delete(item);
              sets[holder]!.delete(item);
            } else {
              lists[op.list]!.delete(item);
              lists[op.list]!.add(item);
              sets[op.list]!.add(item);
            }
            lists.forEach((list, i) => {
              expect([...list].map((x) => x.id)).toEqual([...sets[i]!].map((x) => x.id));
              expect(list.size).toBe(sets[i]!.size);
              expect(list.first()).toBe(sets[i]!.values().next().value);
            });
          }
        },
      ),
    );
  });

  it("lets an iteration delete the item it stands on", () => {
    const list = new EntryOrder<Item>();
    const items = Array.from({ length: 5 }, (_, id) => ({
      id,
      prevEntered: undefined,
      nextEntered: undefined,
    }));
    for (const item of items) list.add(item);
    const seen: number[] = [];
    for (const item of list) {
      seen.push(item.id);
      if (item.id % 2 === 0) list.delete(item);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect([...list].map((x) => x.id)).toEqual([1, 3]);
  });
});
