import type { ReportedStatus } from "../../messaging/store.ts";

/** What an SMSC's delivery receipt says about a message it took. */
export interface DeliveryReceipt {
  /** The message_id the SMSC gave in its submit_sm_resp. */
  messageId: string;
  status: ReportedStatus | undefined;
  error?: { code: number; reason: string };
}

/** SMPP 3.4 message_state values (§5.3.2.35) and the receipt text's `stat:` words. */
const STATES: Record<string, { status: ReportedStatus | undefined; code?: number; reason?: string }> = {
  ENROUTE: { status: undefined },
  ACCEPTD: { status: "sent" },
  DELIVRD: { status: "delivered" },
  EXPIRED: { status: "undelivered", code: 30003, reason: "The SMSC could not deliver it before it expired" },
  UNDELIV: { status: "undelivered", code: 30003, reason: "Unreachable destination handset" },
  DELETED: { status: "failed", code: 30008, reason: "The SMSC deleted it" },
  REJECTD: { status: "failed", code: 30007, reason: "The SMSC rejected it" },
  UNKNOWN: { status: "undelivered", code: 30008, reason: "The SMSC does not know what became of it" },
};
const STATE_NAMES = [
  "SCHEDULED",
  "ENROUTE",
  "DELIVRD",
  "EXPIRED",
  "DELETED",
  "UNDELIV",
  "ACCEPTD",
  "UNKNOWN",
  "REJECTD",
];

/**
 * Reads a delivery receipt: the `receipted_message_id` and `message_state` TLVs when the SMSC sends
 * them, else the de-facto text format of SMPP 3.4 Appendix B
 * (`id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:000 text:…`).
 */
export function parseDeliveryReceipt(fields: {
  text: string;
  receiptedMessageId?: string;
  messageState?: number;
}): DeliveryReceipt | undefined {
  const word = (name: string) => new RegExp(`(?:^|\\s)${name}:(\\S*)`, "i").exec(fields.text)?.[1];
  const messageId = fields.receiptedMessageId || word("id");
  if (!messageId) return undefined;
  const stateName =
    fields.messageState !== undefined ? STATE_NAMES[fields.messageState] : word("stat")?.toUpperCase();
  const state = STATES[stateName ?? "ENROUTE"] ?? STATES.UNKNOWN!;
  const err = word("err");
  return {
    messageId,
    status: state.status,
    ...(state.code !== undefined && {
      error: {
        code: state.code,
        reason: err && !/^0+$/.test(err) ? `${state.reason} (SMSC error ${err})` : state.reason!,
      },
    }),
  };
}
