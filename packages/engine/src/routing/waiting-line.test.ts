import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WaitingLine, type Band, type Linked } from "./waiting-line.ts";

interface Item extends Linked<Item> {
  id: number;
  age: number;
  priority: number;
}

const older = (a: Item, b: Item) => a.age < b.age || (a.age === b.age && a.id < b.id);

/** The order a line must offer its items in: higher priority first, then oldest (or newest) first. */
function offerOrder(items: Iterable<Item>, newestFirst: boolean): number[] {
  return [...items]
    .sort((a, b) => b.priority - a.priority || (older(a, b) === newestFirst ? 1 : -1))
    .map((item) => item.id);
}

describe("WaitingLine", () => {
  it("offers by priority then age, FIFO or LIFO, whatever the adds and removals", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(
          fc.record({
            age: fc.integer({ min: 0, max: 20 }),
            priority: fc.integer({ min: 0, max: 3 }),
            remove: fc.nat(),
            removeFirst: fc.boolean(),
          }),
          { maxLength: 60, size: "max" },
        ),
        (newestFirst, ops) => {
          const line = new WaitingLine<Item>(older, newestFirst);
          const live = new Set<Item>();
          ops.forEach((op, id) => {
            const item: Item = {
              id,
              age: op.age,
              priority: op.priority,
              band: undefined,
              prevInLine: undefined,
              nextInLine: undefined,
            };
            line.add(item, item.priority);
            live.add(item);
            if (op.removeFirst) {
              const victim = [...live][op.remove % live.size]!;
              line.remove(victim);
              live.delete(victim);
              expect(victim.band).toBeUndefined();
            }
            const expected = offerOrder(live, newestFirst);
            expect([...line.values()].map((i) => i.id)).toEqual(expected);
            expect(line.first()?.id).toBe(expected[0]);
            expect(line.size).toBe(live.size);
          });
          const odd = (item: Item) => item.age % 2 === 1;
          const byId = new Map([...live].map((item) => [item.id, item]));
          const firstOdd = offerOrder(live, newestFirst).find((id) => odd(byId.get(id)!));
          expect(line.find(odd)?.id).toBe(firstOdd);
          for (const item of live) expect((item.band as Band<Item>).priority).toBe(item.priority);
        },
      ),
    );
  });
});
