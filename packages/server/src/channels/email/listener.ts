import type { AddressInfo } from "node:net";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import type { Logger } from "pino";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";
import { NoConversationError } from "../../conversations/errors.ts";
import type { InboundRouter } from "../../conversations/inbound.ts";
import type { ConversationStore } from "../../conversations/store.ts";
import { MAX_MEDIA_PER_MESSAGE, type MediaStore } from "../../media/store.ts";
import { externalIdOf, referencedBy } from "./threading.ts";

/** The largest message taken, as advertised in EHLO (SIZE). */
const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** An SMTP reply code and text, as smtp-server sends an error back to the client. */
function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * Receives customers' mail over SMTP (point the MX, or a forwarding rule, at it). A recipient is
 * taken only if some account configured it as an `email` address; the message is parsed, threaded —
 * into the conversation its In-Reply-To / References name, else the sender's open conversation with
 * that address, else a new one as the address's configuration says — and stored before the server
 * answers 250. Anything that could not be stored gets 451, so the sending server tries again; its
 * Message-ID makes the retry harmless.
 */
export class MailListener {
  private readonly server: SMTPServer;

  constructor(
    private readonly inbound: InboundRouter,
    private readonly conversations: ConversationStore,
    private readonly media: MediaStore,
    /** Attachments larger than this are described but not kept. */
    private readonly mediaMaxBytes: number,
    private readonly logger: Logger,
  ) {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["AUTH"],
      hideSTARTTLS: true,
      size: MAX_MESSAGE_BYTES,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        this.inbound.configurationsOf("email", address.address).then(
          (found) =>
            callback(found.length > 0 ? undefined : smtpError(550, `No mailbox here for ${address.address}`)),
          (error: unknown) => {
            this.logger.error({ err: error }, "recipient lookup failed");
            callback(smtpError(451, "Try again later"));
          },
        );
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => this.take(mail, session.envelope.rcptTo))
          .then(
            () => callback(),
            (error: unknown) => {
              if (error instanceof Error && "responseCode" in error) return callback(error);
              this.logger.error({ err: error }, "inbound mail not stored");
              callback(smtpError(451, "Not stored: try again later"));
            },
          );
      },
    });
    this.server.on("error", (error) => this.logger.warn({ err: error }, "SMTP listener error"));
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    return (this.server.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async take(mail: ParsedMail, recipients: SMTPServerAddress[]): Promise<void> {
    const from = firstAddress(mail.from);
    if (!from) throw smtpError(550, "The message has no From address");
    const messageId = mail.messageId ?? `<${mail.date?.toISOString() ?? "undated"}.${from}>`;
    const references = [
      ...(typeof mail.references === "string" ? [mail.references] : (mail.references ?? [])),
      ...(mail.inReplyTo ? [mail.inReplyTo] : []),
    ];
    const referenced = referencedBy(references);
    const attributes = JSON.stringify({
      subject: mail.subject ?? "",
      from_name: mail.from?.value[0]?.name ?? "",
      ...(mail.cc && { cc: addressList(mail.cc) }),
      attachments: mail.attachments.map((a) => ({
        filename: a.filename ?? null,
        content_type: a.contentType,
        size: a.size,
      })),
    });
    // Kept as the message's media: the first ten that fit the media limit.
    const kept = mail.attachments
      .filter((a) => a.content.length > 0 && a.content.length <= this.mediaMaxBytes)
      .slice(0, MAX_MEDIA_PER_MESSAGE);
    let stored = 0;
    for (const recipient of recipients) {
      for (const configuration of await this.inbound.configurationsOf("email", recipient.address)) {
        const accountSid = configuration.account_sid;
        const threadSid = await this.conversations.conversationOfMessages(
          accountSid,
          referenced.messageSids,
          referenced.externalIds,
        );
        // Stored before the message that carries them; a redelivered mail's copies are never
        // attached and are swept.
        const media = [];
        for (const attachment of kept)
          media.push(
            (
              await this.media.upload(accountSid, {
                contentType: attachment.contentType,
                filename: attachment.filename,
                content: attachment.content,
                uploadedBy: from,
              })
            ).sid,
          );
        try {
          await this.inbound.receive(accountSid, {
            channel: "email",
            from,
            to: configuration.address,
            body: mail.text ?? "",
            subject: mail.subject,
            attributes,
            externalId: externalIdOf(messageId),
            ...(media.length > 0 && { media }),
            ...(threadSid && { threadSid }),
          });
          stored++;
        } catch (error) {
          if (!(error instanceof NoConversationError)) throw error;
        }
      }
    }
    if (stored === 0) throw smtpError(550, "No conversation takes mail for these recipients");
  }
}

function firstAddress(field: AddressObject | AddressObject[] | undefined): string | undefined {
  return addressList(field)[0];
}

function addressList(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((o) => o.value.flatMap((v) => (v.address ? [v.address.toLowerCase()] : [])));
}
