import type { Clock } from "@switchboard/engine";
import { z } from "zod";
import { META_WEBHOOK, PROVIDER_WEBHOOKS } from "../../messaging/provider-urls.ts";
import type { ProviderWithSecrets } from "../../messaging/providers.ts";
import { serviceWindowMs } from "../../messaging/service-window.ts";
import { SendFailure, UNKNOWN_ERROR, type SendRequest, type Transport } from "../../messaging/transport.ts";
import type { ChannelFactory } from "../channel.ts";
import { addressedProvider, graphBase, graphPost, graphWebhookRoutes } from "../meta/graph.ts";
import { providerInbound } from "../provider-inbound.ts";

const messagingEvent = z.looseObject({
  sender: z.looseObject({ id: z.string() }),
  recipient: z.looseObject({ id: z.string() }),
  timestamp: z.number().optional(),
  message: z
    .looseObject({
      mid: z.string(),
      text: z.string().optional(),
      is_echo: z.boolean().optional(),
      quick_reply: z.looseObject({ payload: z.string() }).optional(),
      reply_to: z.looseObject({ mid: z.string() }).optional(),
      attachments: z
        .array(
          z.looseObject({
            type: z.string(),
            payload: z.looseObject({ url: z.string().optional() }).nullish(),
          }),
        )
        .optional(),
    })
    .optional(),
  postback: z
    .looseObject({ mid: z.string().optional(), title: z.string(), payload: z.string().optional() })
    .optional(),
  delivery: z.looseObject({ mids: z.array(z.string()).optional(), watermark: z.number() }).optional(),
  read: z.looseObject({ watermark: z.number() }).optional(),
});

const payloadSchema = z.looseObject({
  object: z.literal("page"),
  entry: z.array(z.looseObject({ id: z.string(), messaging: z.array(messagingEvent).optional() })),
});

const addressOf = (id: string) => `messenger:${id}`;

/**
 * Facebook Messenger through Meta's Messenger Platform, one provider of type `messenger` per page
 * (`Username` = the page ID, `Password` = a page access token, `AppSecret` = the Meta app's secret;
 * addresses are `messenger:{page ID}` for the page and `messenger:{PSID}` for a customer). Meta's
 * webhook for the page is `/switchboard/v1/Messaging/Providers/{XP}/Messenger`, with the
 * provider's `verify_token`: customers' messages and postbacks go into conversations on the
 * `messenger` address type; delivery and read watermarks move our messages on.
 *
 * Replies go out within 24 hours of the customer's last message; with the provider's `HumanAgent`
 * setting, up to 7 days, tagged HUMAN_AGENT once past 24 hours. Later ones fail with 63016.
 */
export const messenger: ChannelFactory = ({ config, inbound, messages, providers, clock, logger }) => {
  const take = providerInbound(messages, inbound);

  const receive = async ({ provider: via }: ProviderWithSecrets, body: unknown): Promise<void> => {
    const parsed = payloadSchema.safeParse(body);
    if (!parsed.success) {
      logger.debug({ provider: via.sid }, "Messenger webhook without page events ignored");
      return;
    }
    for (const entry of parsed.data.entry) {
      const provider = await addressedProvider(providers, via, entry.id);
      if (!provider) {
        logger.warn({ provider: via.sid, page: entry.id }, "Messenger event for a page no provider serves");
        continue;
      }
      const page = addressOf(entry.id);
      for (const event of entry.messaging ?? []) {
        const customer = addressOf(event.sender.id);
        const { message, postback, delivery, read } = event;
        // Echoes are the page's own messages (ours among them) coming back.
        if (message && !message.is_echo) {
          const mediaUrls = (message.attachments ?? []).flatMap((a) =>
            a.payload?.url ? [a.payload.url] : [],
          );
          await take(provider, {
            from: customer,
            to: page,
            body: message.text ?? "",
            mediaUrls,
            providerMessageId: message.mid,
            attributes: {
              ...(message.quick_reply && { quick_reply_payload: message.quick_reply.payload }),
              ...(message.reply_to && { in_reply_to: message.reply_to.mid }),
              ...(message.attachments?.length && {
                attachment_types: message.attachments.map((a) => a.type),
              }),
            },
          });
        }
        if (postback)
          await take(provider, {
            from: customer,
            to: page,
            body: postback.title,
            providerMessageId: postback.mid ?? `postback:${event.sender.id}:${event.timestamp ?? 0}`,
            attributes: { postback_payload: postback.payload },
          });
        if (delivery) {
          for (const mid of delivery.mids ?? []) await messages.report(provider.sid, mid, "delivered");
          await messages.reportThrough(provider.account_sid, page, customer, "delivered", delivery.watermark);
        }
        if (read) await messages.reportThrough(provider.account_sid, page, customer, "read", read.watermark);
      }
    }
  };

  return {
    type: "messenger",
    transports: [messengerTransport(config.messaging.timeoutMs, clock)],
    openRoutes: (open) =>
      graphWebhookRoutes(open, {
        path: `${PROVIDER_WEBHOOKS}/${META_WEBHOOK.messenger}`,
        type: "messenger",
        providers,
        summary: "A Messenger Platform webhook",
        receive,
      }),
  };
};

/** Messenger's attachment type for a file. */
function messengerMediaType(contentType: string): "image" | "video" | "audio" | "file" {
  const kind = contentType.split("/")[0];
  return kind === "image" || kind === "video" || kind === "audio" ? kind : "file";
}

/**
 * Sends from the provider's page to a customer's PSID: `POST {base}/{page ID}/messages`, the text
 * first, then each file by a link Meta fetches; as a response within the standard 24 hours, else
 * (the sender let it through, so the page answers as a human agent) with the HUMAN_AGENT tag.
 */
function messengerTransport(timeoutMs: number, clock: Clock): Transport {
  const standardWindow = serviceWindowMs("messenger", false)!;
  return {
    providerType: "messenger",
    async send({ message, provider, password, lastInbound, attachments }: SendRequest) {
      const standard = lastInbound !== undefined && clock.now() - lastInbound < standardWindow;
      const parts: object[] = [];
      if (message.body) parts.push({ text: message.body });
      for (const { media, url } of attachments)
        parts.push({
          attachment: { type: messengerMediaType(media.content_type), payload: { url, is_reusable: false } },
        });
      const ids: string[] = [];
      for (const part of parts) {
        const answer = await graphPost(
          `${graphBase(provider)}/${encodeURIComponent(provider.settings.username)}/messages`,
          password,
          {
            recipient: { id: message.to_address.replace(/^messenger:/, "") },
            ...(standard
              ? { messaging_type: "RESPONSE" }
              : { messaging_type: "MESSAGE_TAG", tag: "HUMAN_AGENT" }),
            message: part,
          },
          timeoutMs,
        );
        if (typeof answer.message_id !== "string")
          throw new SendFailure(UNKNOWN_ERROR, "Meta's answer named no message ID", true);
        ids.push(answer.message_id);
      }
      if (ids.length === 0)
        throw new SendFailure(UNKNOWN_ERROR, "The message has no text and no files", true);
      return { providerMessageId: ids[0]! };
    },
  };
}
