import { describe, expect, it } from "vitest";
import type { StoredEvent } from "./event-log.ts";
import { RecentEvents } from "./recent-events.ts";

/** Events at positions `from` to `to`, as one append commits them. */
function events(from: number, to: number): StoredEvent[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    sid: `EV${from + i}`,
    accountSid: "AC1",
    eventType: "conversation.message.added",
    resourceType: "message",
    resourceSid: `IM${from + i}`,
    description: "Message added",
    data: {},
    scopeSid: null,
    dateCreated: "2026-11-22T00:00:00.000Z",
  }));
}

const positions = (read: StoredEvent[] | undefined) => read?.map((event) => event.seq);

describe("RecentEvents", () => {
  it("serves a contiguous run, and nothing from before it or past its end", () => {
    const recent = new RecentEvents(100);
    recent.add(events(11, 20), 1);
    expect(positions(recent.after(10, 5))).toEqual([11, 12, 13, 14, 15]);
    expect(positions(recent.after(18, 5))).toEqual([19, 20]);
    expect(recent.after(9, 5)).toBeUndefined();
    expect(recent.after(20, 5)).toBeUndefined();
    expect(recent.last()).toBe(20);
  });

  it("holds events acknowledged before an earlier append's, and serves them once the gap is filled", () => {
    const recent = new RecentEvents(100);
    recent.add(events(1, 10), 1);
    // Appends 2 (positions 11-20) and 3 (21-30) are under way; 3 is acknowledged first.
    recent.add(events(21, 30), 3);
    recent.settle(2);
    expect(recent.after(10, 100)).toBeUndefined();
    expect(recent.last()).toBe(10);
    recent.add(events(11, 20), 3);
    recent.settle(Infinity);
    expect(positions(recent.after(10, 100))).toEqual(positions(events(11, 30)));
    expect(recent.last()).toBe(30);
  });

  it("starts after a gap no append under way can fill, such as another process's events", () => {
    const recent = new RecentEvents(100);
    recent.add(events(1, 10), 4);
    // Positions 11-15 went to another process; append 5 is acknowledged with 16-20 while 4 and 6 run.
    recent.add(events(16, 20), 6);
    expect(recent.settle(4)).toBe(false);
    expect(recent.last()).toBe(10);
    // Append 7 started after 16-20 were acknowledged: it cannot fill 11-15, and does not hold them back.
    expect(recent.settle(7)).toBe(true);
    expect(recent.last()).toBe(20);
    expect(recent.after(10, 100)).toBeUndefined(); // 11-15: the database answers
    expect(positions(recent.after(15, 100))).toEqual([16, 17, 18, 19, 20]);
  });

  it("resolves each gap by the appends that could fill it, under continuous appends", () => {
    const recent = new RecentEvents(100);
    recent.add(events(1, 10), 1);
    recent.add(events(16, 20), 3); // 11-15 may come from appends 1-3
    recent.add(events(26, 30), 9); // 21-25 may come from appends 1-9
    recent.settle(4);
    expect(recent.last()).toBe(20);
    recent.add(events(21, 25), 9);
    expect(recent.last()).toBe(30);
  });

  it("keeps at most twice its capacity, trimming the oldest", () => {
    const recent = new RecentEvents(10);
    recent.add(events(1, 21), 1);
    expect(recent.after(0, 100)).toBeUndefined();
    expect(positions(recent.after(11, 100))).toEqual(positions(events(12, 21)));
  });
});
