import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SidTable } from "./sid-table.ts";

interface Row {
  sid: string;
  seq: number;
}

describe("SidTable", () => {
  it("agrees with a Map under any sequence of adds, replacements and deletes, through growth and shrinking", () => {
    // deleteExact deletes the record given, found by the hash set returned for it: the current record
    // for its SID goes; one since replaced under the same SID is not in, and leaves the current one be.
    fc.assert(
      fc.property(
        // Few distinct SIDs, so operations meet: replacing, deleting what is there and what is not.
        // Sequences of any length up to the maximum (fast-check's default keeps them to a few), so the
        // table grows past its first size and shrinks back.
        fc.array(
          fc.tuple(fc.constantFrom("set", "delete", "deleteExact", "get"), fc.integer({ min: 0, max: 300 })),
          {
            maxLength: 600,
            size: "max",
          },
        ),
        (operations) => {
          const table = new SidTable<Row>((row) => row.seq);
          const map = new Map<string, Row>();
          const hashes = new Map<Row, number>();
          const replaced = new Map<string, Row>();
          operations.forEach(([operation, n], seq) => {
            const sid = `WT${n.toString(16).padStart(32, "0")}`;
            if (operation === "set") {
              const row = { sid, seq };
              hashes.set(row, table.set(row));
              const old = map.get(sid);
              if (!old) map.set(sid, row);
              else {
                replaced.set(sid, old);
                map.delete(sid); // a replaced row is newer: it moves to the end of creation order
                map.set(sid, row);
              }
            } else if (operation === "delete") expect(table.delete(sid)).toBe(map.delete(sid));
            else if (operation === "deleteExact") {
              const old = replaced.get(sid);
              if (old) expect(table.deleteExact(old, hashes.get(old)!)).toBe(false);
              const row = map.get(sid);
              if (row) expect(table.deleteExact(row, hashes.get(row)!)).toBe(map.delete(sid));
            } else expect(table.get(sid)).toBe(map.get(sid));
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
