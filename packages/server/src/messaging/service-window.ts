import type { BindingType } from "../platform/db/schema.ts";
import { isoAt } from "../platform/time.ts";

/** Twilio's code for a free-form message sent after the channel's window closed. */
export const OUTSIDE_WINDOW = 63016;

const HOUR_MS = 3_600_000;

/**
 * WhatsApp and Messenger let a business send free-form messages only for a while after the
 * customer last wrote: 24 hours (the customer service window), or 7 days for a Messenger page
 * answering as a human agent (the HUMAN_AGENT tag). SMS and email have no window.
 */
export function serviceWindowMs(channel: BindingType, humanAgent: boolean): number | undefined {
  if (channel === "whatsapp") return 24 * HOUR_MS;
  if (channel === "messenger") return (humanAgent ? 7 * 24 : 24) * HOUR_MS;
  return undefined;
}

/**
 * Why a free-form message from `from` to `to` may not be sent at `now`, or undefined when it may.
 * `lastInbound` is when `to` last wrote to `from` (epoch ms), undefined if never.
 */
export function outsideWindow(
  window: { channel: BindingType; humanAgent: boolean },
  from: string,
  to: string,
  lastInbound: number | undefined,
  now: number,
): string | undefined {
  const length = serviceWindowMs(window.channel, window.humanAgent);
  if (length === undefined || (lastInbound !== undefined && now - lastInbound < length)) return undefined;
  const hours = length / HOUR_MS;
  const span = hours > 24 ? `${hours / 24}-day` : `${hours}-hour`;
  const since =
    lastInbound === undefined
      ? `${to} has never written to ${from}`
      : `${to} last wrote to ${from} at ${isoAt(lastInbound)}`;
  const remedy =
    window.channel === "whatsapp"
      ? "WhatsApp takes only approved templates until the customer writes again"
      : "Messenger takes nothing more until the customer writes again";
  return `Outside the ${span} customer service window: ${since}; ${remedy}`;
}
