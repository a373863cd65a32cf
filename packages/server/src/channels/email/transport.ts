import nodemailer, { type Transporter } from "nodemailer";
import type { ConversationStore } from "../../conversations/store.ts";
import type { Provider } from "../../messaging/providers.ts";
import type { MessageStore } from "../../messaging/store.ts";
import { SendFailure, UNKNOWN_ERROR, type SendRequest, type Transport } from "../../messaging/transport.ts";
import { messageIdOf, ourMessageId, replySubject } from "./threading.ts";

/**
 * Sends conversation messages by email through an SMTP relay (providers of type `smtp`), threaded
 * into the customer's mail: `Subject` is the conversation's first subject with one "Re: ",
 * `In-Reply-To` the latest message the customer sent, `References` every Message-ID of the thread.
 * The relay's 5xx answers are refusals; 4xx and lost connections are retried.
 */
export function smtpTransport(
  conversations: ConversationStore,
  messages: MessageStore,
  timeoutMs: number,
): Transport & { close(): void } {
  /** One pooled connection per provider version, so a changed setting takes effect at once. */
  const relays = new Map<string, { version: string; transporter: Transporter }>();
  const relayFor = (provider: Provider, password: string): Transporter => {
    const version = `${provider.date_updated} ${JSON.stringify(provider.settings)}`;
    const current = relays.get(provider.sid);
    if (current?.version === version) return current.transporter;
    current?.transporter.close();
    const transporter = nodemailer.createTransport({
      host: provider.settings.host,
      port: provider.settings.port,
      secure: provider.settings.secure ?? false,
      auth: provider.settings.username ? { user: provider.settings.username, pass: password } : undefined,
      pool: true,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    relays.set(provider.sid, { version, transporter });
    return transporter;
  };

  return {
    providerType: "smtp",
    close() {
      for (const { transporter } of relays.values()) transporter.close();
      relays.clear();
    },
    async send({ message, provider, password, attachments }: SendRequest) {
      if (!message.conversation_sid || !message.message_sid)
        throw new SendFailure(UNKNOWN_ERROR, "Email is sent for conversation messages only", true);
      const thread = await conversations.thread(message.account_sid, message.conversation_sid);
      const theirs = thread.flatMap((m) => messageIdOf(m.external_id) ?? []);
      const ours = (
        await messages.providerIdsOf(
          message.account_sid,
          thread.map((m) => m.sid),
        )
      ).filter((id) => id.startsWith("<"));
      const messageId = ourMessageId(message.message_sid, message.sid, message.from_address);
      try {
        await relayFor(provider, password).sendMail({
          from: message.from_address,
          to: message.to_address,
          subject: replySubject(thread.find((m) => m.subject)?.subject),
          text: message.body ?? "",
          attachments: await Promise.all(
            attachments.map(async ({ media, content }) => ({
              filename: media.filename ?? media.sid,
              contentType: media.content_type,
              content: await content(),
            })),
          ),
          messageId,
          ...(theirs.length > 0 && { inReplyTo: theirs.at(-1) }),
          ...(theirs.length + ours.length > 0 && { references: [...theirs, ...ours] }),
        });
      } catch (error) {
        const responseCode = (error as { responseCode?: number }).responseCode;
        const reason = `The mail relay refused it: ${(error as Error).message}`;
        if (responseCode !== undefined && responseCode >= 500)
          throw new SendFailure(UNKNOWN_ERROR, reason, true);
        throw new Error(
          responseCode === undefined
            ? `The mail relay could not be reached: ${(error as Error).message}`
            : reason,
        );
      }
      return { providerMessageId: messageId };
    },
  };
}
