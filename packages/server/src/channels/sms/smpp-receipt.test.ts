import { describe, expect, it } from "vitest";
import { parseDeliveryReceipt } from "./smpp-receipt.ts";

describe("SMPP delivery receipts", () => {
  it("reads the Appendix B text format", () => {
    expect(
      parseDeliveryReceipt({
        text: "id:7f3a sub:001 dlvrd:001 submit date:2611210000 done date:2611210001 stat:DELIVRD err:000 text:Hi",
      }),
    ).toEqual({ messageId: "7f3a", status: "delivered" });
    expect(parseDeliveryReceipt({ text: "id:9 stat:UNDELIV err:021" })).toEqual({
      messageId: "9",
      status: "undelivered",
      error: { code: 30003, reason: "Unreachable destination handset (SMSC error 021)" },
    });
    expect(parseDeliveryReceipt({ text: "id:9 stat:REJECTD err:000" })).toMatchObject({
      status: "failed",
      error: { code: 30007, reason: "The SMSC rejected it" },
    });
  });

  it("prefers the receipted_message_id and message_state TLVs", () => {
    expect(
      parseDeliveryReceipt({ text: "id:wrong stat:DELIVRD", receiptedMessageId: "right", messageState: 3 }),
    ).toMatchObject({ messageId: "right", status: "undelivered", error: { code: 30003 } });
  });

  it("records nothing for intermediate states and ignores receipts naming no message", () => {
    expect(parseDeliveryReceipt({ text: "id:1 stat:ENROUTE" })).toEqual({
      messageId: "1",
      status: undefined,
    });
    expect(parseDeliveryReceipt({ text: "stat:DELIVRD" })).toBeUndefined();
  });
});
