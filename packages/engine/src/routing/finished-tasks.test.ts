import { describe, expect, it } from "vitest";
import { FinishedTasks } from "./finished-tasks.ts";
import { SidTable } from "./sid-table.ts";

interface Task {
  sid: string;
  seq: number;
}
interface Reservation {
  sid: string;
  seq: number;
  hash: number;
}

describe("FinishedTasks", () => {
  it("forgets each task with its own reservations once it is past the horizon, through compaction", () => {
    const tasks = new SidTable<Task>((t) => t.seq);
    const reservations = new SidTable<Reservation>((r) => r.seq);
    const released: number[] = [];
    const finished = new FinishedTasks(tasks, reservations, (row) => released.push(row));
    const mine = new Map<string, Reservation[]>();
    const sid = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(32, "0")}`;
    // 5,000 tasks finishing 1 ms apart, with 0, 1 or 2 reservations; every seventh is deleted before
    // it is forgotten (its records are gone from the tables, its row is still to be freed).
    let reservationSeq = 0;
    for (let i = 0; i < 5000; i++) {
      const task = { sid: sid("WT", i), seq: i };
      const hash = tasks.set(task);
      const own = Array.from({ length: i % 3 }, () => {
        const reservation = { sid: sid("WR", reservationSeq), seq: reservationSeq++, hash: 0 };
        reservation.hash = reservations.set(reservation);
        return reservation;
      });
      mine.set(task.sid, own);
      finished.add(task, hash, 10_000 + i, i, own);
      if (i % 7 === 0) {
        tasks.delete(task.sid);
        for (const reservation of own) reservations.delete(reservation.sid);
      }
    }
    expect(finished.oldestFinishedAt).toBe(0);
    for (const horizon of [-1, 0, 1499, 1500, 3999, 4999]) {
      finished.forget(horizon);
      expect(released).toEqual(Array.from({ length: horizon + 1 }, (_, i) => 10_000 + i));
      expect(finished.oldestFinishedAt).toBe(horizon < 4999 ? horizon + 1 : undefined);
      for (let i = 0; i < 5000; i++) {
        const kept = i > horizon && i % 7 !== 0;
        expect(tasks.get(sid("WT", i))?.seq).toBe(kept ? i : undefined);
        for (const reservation of mine.get(sid("WT", i))!)
          expect(reservations.get(reservation.sid)).toBe(kept ? reservation : undefined);
      }
    }
    expect(tasks.size).toBe(0);
    expect(reservations.size).toBe(0);
  });
});
