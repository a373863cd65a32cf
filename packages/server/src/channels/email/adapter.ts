import type { ChannelFactory } from "../channel.ts";
import { MailListener } from "./listener.ts";
import { smtpTransport } from "./transport.ts";

/**
 * Email: customers' mail arrives on an SMTP listener (SWITCHBOARD_SMTP_PORT; off when unset) and is
 * threaded into conversations; agents' replies leave through the account's `smtp` provider (a mail
 * relay) with the threading headers mail clients need. See docs/CHANNELS.md.
 */
export const email: ChannelFactory = ({ config, inbound, conversations, messages, media, logger }) => {
  const transport = smtpTransport(conversations, messages, config.messaging.timeoutMs);
  const listener =
    config.email.smtpPort === undefined
      ? undefined
      : new MailListener(
          inbound,
          conversations,
          media,
          config.mediaMaxBytes,
          logger.child({ protocol: "smtp" }),
        );
  return {
    type: "email",
    transports: [transport],
    async start() {
      if (!listener) return;
      const port = await listener.listen(config.email.smtpPort!, config.host);
      logger.info({ port }, "receiving mail over SMTP");
    },
    async stop() {
      transport.close();
      await listener?.close();
    },
  };
};
