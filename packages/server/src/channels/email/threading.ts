/**
 * Email threading (RFC 5322 §3.6.4). Our own Message-IDs name the conversation message and the
 * channel message they carry (`<IM….SM…@domain>`), so a reply quoting one in In-Reply-To or
 * References leads straight back to its conversation; a customer's own Message-IDs are kept as the
 * external IDs of the messages they sent.
 */

const OURS = /^<(IM[0-9a-f]{32})\.(SM[0-9a-f]{32})@[^>]+>$/;

/** The Message-ID of a conversation message sent by email from `from`. */
export function ourMessageId(messageSid: string, channelMessageSid: string, from: string): string {
  const domain = from.split("@")[1] || "switchboard.invalid";
  return `<${messageSid}.${channelMessageSid}@${domain}>`;
}

/** The external ID a customer's email is stored under: its Message-ID. */
export const externalIdOf = (messageId: string) => `email:${messageId}`;

/** The Message-ID behind an external ID, for messages that came by email. */
export function messageIdOf(externalId: string | null): string | undefined {
  return externalId?.startsWith("email:") ? externalId.slice("email:".length) : undefined;
}

/** What a message's In-Reply-To and References point at: our messages' SIDs, and other Message-IDs. */
export function referencedBy(ids: string[]): { messageSids: string[]; externalIds: string[] } {
  const messageSids: string[] = [];
  const externalIds: string[] = [];
  for (const id of ids) {
    const ours = OURS.exec(id);
    if (ours) messageSids.push(ours[1]!);
    else externalIds.push(externalIdOf(id));
  }
  return { messageSids, externalIds };
}

/** "Re: " once, as mail clients expect. */
export function replySubject(subject: string | null | undefined): string {
  const base = (subject ?? "").trim() || "Your conversation with us";
  return /^re:/i.test(base) ? base : `Re: ${base}`;
}
