import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SidTable } from "./sid-table.ts";

interface Row {
  sid: string;
  seq: number;
}

describe("SidTable", () => {
  it("agrees with a Map under any sequence of adds, replacements and deletes, through growth and shrinking", () => {
    fc.assert(
      fc.property(
        // Few distinct SIDs, so operations meet: replacing, deleting what is there and what is not.
        fc.array(fc.tuple(fc.constantFrom("set", "delete", "get"), fc.integer({ min: 0, max: 300 })), {
          maxLength: 600,
        }),
        (operations) => {
          const table = new SidTable<Row>((row) => row.seq);
          const map = new Map<string, Row>();
          operations.forEach(([operation, n], seq) => {
            const sid = `WT${n.toString(16).padStart(32, "0")}`;
            if (operation === "set") {
              const row = { sid, seq };
              table.set(row);
              if (!map.has(sid)) map.set(sid, row);
              else {
                map.delete(sid); // a replaced row is newer: it moves to the end of creation order
                map.set(sid, row);
              }
            } else if (operation === "delete") expect(table.delete(sid)).toBe(map.delete(sid));
            else expect(table.get(sid)).toBe(map.get(sid));
            expect(table.size).toBe(map.size);
          });
          expect(table.values()).toEqual([...map.values()]);
          expect(table.values((row) => row.seq % 2 === 0)).toEqual(
            [...map.values()].filter((row) => row.seq % 2 === 0),
          );
          for (const [sid, row] of map) expect(table.get(sid)).toBe(row);
        },
      ),
    );
  });

  it("holds a hundred thousand SIDs and finds each by an equal string made apart from it", () => {
    const table = new SidTable<Row>((row) => row.seq);
    const sids = Array.from({ length: 100_000 }, (_, i) => `WR${(i * 7919).toString(16).padStart(32, "0")}`);
    sids.forEach((sid, seq) => table.set({ sid, seq }));
    for (let i = 0; i < sids.length; i += 3) table.delete(sids[i]!);
    sids.forEach((sid, seq) => {
      const copy = `WR${sid.slice(2)}`;
      expect(table.get(copy)?.seq).toBe(seq % 3 === 0 ? undefined : seq);
    });
    expect(table.size).toBe(sids.length - Math.ceil(sids.length / 3));
  });
});
