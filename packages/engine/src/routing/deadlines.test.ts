import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Deadlines, type Scheduled } from "./deadlines.ts";

interface Item extends Scheduled<Item> {
  id: number;
  span: number;
  due: number;
}

const before = (a: Item, b: Item) => a.due < b.due || (a.due === b.due && a.id < b.id);

describe("Deadlines", () => {
  it("gives the earliest item first whatever the spans, adds, removals and clock steps back", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            // Mostly forward, sometimes back (a clock may step back; the structure must still order).
            step: fc.integer({ min: -3, max: 10 }),
            span: fc.constantFrom(5, 10, 30, 31, 45, 60),
            remove: fc.nat(),
            action: fc.constantFrom("add", "add", "remove", "removeFirst"),
          }),
          { maxLength: 200, size: "max" },
        ),
        (ops) => {
          // Six spans and room for three lists: emptied lists are dropped and made again all the time.
          const deadlines = new Deadlines<Item>((item) => item.span, before, 3);
          const live = new Set<Item>();
          let now = 100;
          ops.forEach((op, id) => {
            now += op.step;
            if (op.action === "add") {
              const item: Item = {
                id,
                span: op.span,
                due: now + op.span,
                prevDue: undefined,
                nextDue: undefined,
              };
              deadlines.add(item);
              live.add(item);
            } else {
              const target =
                op.action === "removeFirst"
                  ? deadlines.peek()
                  : [...live][op.remove % Math.max(1, live.size)];
              if (target) {
                deadlines.remove(target);
                live.delete(target);
                deadlines.remove(target); // a second removal is harmless
              }
            }
            const expected = [...live].sort((a, b) => (before(a, b) ? -1 : 1));
            expect(deadlines.peek()).toBe(expected[0]);
          });
          // Draining from the front yields every item still in, in due order: no removed one comes back.
          const drained: Item[] = [];
          // At most one pass more than there are items: a removal that failed must not loop forever.
          for (let first = deadlines.peek(); first && drained.length <= live.size; first = deadlines.peek()) {
            deadlines.remove(first);
            drained.push(first);
          }
          expect(drained).toEqual([...live].sort((a, b) => (before(a, b) ? -1 : 1)));
        },
      ),
    );
  });
});
