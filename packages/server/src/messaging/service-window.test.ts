import { describe, expect, it } from "vitest";
import { outsideWindow } from "./service-window.ts";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const US = "whatsapp:+15550001111";
const THEM = "whatsapp:+15557654321";

describe("the customer service window", () => {
  it("lets WhatsApp messages out for 24 hours after the customer last wrote, and not a moment longer", () => {
    const whatsapp = { channel: "whatsapp" as const, humanAgent: false };
    expect(outsideWindow(whatsapp, US, THEM, NOW - 24 * HOUR + 1, NOW)).toBeUndefined();
    expect(outsideWindow(whatsapp, US, THEM, NOW - 24 * HOUR, NOW)).toBe(
      `Outside the 24-hour customer service window: ${THEM} last wrote to ${US} at 2026-11-20T12:00:00.000Z; ` +
        "WhatsApp takes only approved templates until the customer writes again",
    );
    expect(outsideWindow(whatsapp, US, THEM, undefined, NOW)).toContain(`${THEM} has never written to ${US}`);
  });

  it("gives a Messenger page answering as a human agent 7 days", () => {
    const page = "messenger:1029384756";
    const customer = "messenger:6543210987654321";
    const lastWrote = NOW - 3 * 24 * HOUR;
    expect(
      outsideWindow({ channel: "messenger", humanAgent: false }, page, customer, lastWrote, NOW),
    ).toMatch(/^Outside the 24-hour customer service window/);
    expect(
      outsideWindow({ channel: "messenger", humanAgent: true }, page, customer, lastWrote, NOW),
    ).toBeUndefined();
    expect(
      outsideWindow({ channel: "messenger", humanAgent: true }, page, customer, NOW - 7 * 24 * HOUR, NOW),
    ).toMatch(/^Outside the 7-day customer service window/);
  });

  it("never closes SMS or email", () => {
    expect(
      outsideWindow({ channel: "sms", humanAgent: false }, "+15550001111", "+15557654321", undefined, NOW),
    ).toBeUndefined();
    expect(
      outsideWindow({ channel: "email", humanAgent: false }, "a@b.test", "c@d.test", undefined, NOW),
    ).toBeUndefined();
  });
});
