import { z } from "zod";
import type { Provider, ProviderWithSecrets } from "../../messaging/providers.ts";
import { META_WEBHOOK, PROVIDER_WEBHOOKS } from "../../messaging/provider-urls.ts";
import type { ReportedStatus } from "../../messaging/store.ts";
import { SendFailure, UNKNOWN_ERROR, type SendRequest, type Transport } from "../../messaging/transport.ts";
import type { ChannelFactory } from "../channel.ts";
import {
  addressedProvider,
  graphBase,
  graphDownload,
  graphFailure,
  graphPost,
  graphWebhookRoutes,
} from "../meta/graph.ts";
import { providerInbound, type ProviderInbound } from "../provider-inbound.ts";

const media = z.looseObject({
  id: z.string().optional(),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
});
const MEDIA_TYPES = ["image", "video", "audio", "document", "sticker"] as const;

const customerMessage = z.looseObject({
  from: z.string().min(1),
  id: z.string().min(1),
  type: z.string(),
  text: z.looseObject({ body: z.string() }).optional(),
  image: media.optional(),
  video: media.optional(),
  audio: media.optional(),
  document: media.optional(),
  sticker: media.optional(),
  interactive: z
    .looseObject({
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
    })
    .optional(),
  button: z.looseObject({ text: z.string(), payload: z.string().optional() }).optional(),
  location: z
    .looseObject({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .optional(),
  reaction: z.looseObject({ message_id: z.string(), emoji: z.string().optional() }).optional(),
  context: z.looseObject({ id: z.string().optional() }).optional(),
});
type CustomerMessage = z.infer<typeof customerMessage>;

const statusReport = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  errors: z.array(z.unknown()).optional(),
});

const payloadSchema = z.looseObject({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(
    z.looseObject({
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z.looseObject({
            metadata: z.looseObject({ display_phone_number: z.string(), phone_number_id: z.string() }),
            contacts: z
              .array(
                z.looseObject({
                  wa_id: z.string().optional(),
                  profile: z.looseObject({ name: z.string().optional() }).optional(),
                }),
              )
              .optional(),
            messages: z.array(customerMessage).optional(),
            statuses: z.array(statusReport).optional(),
          }),
        }),
      ),
    }),
  ),
});

const REPORTED: ReadonlySet<string> = new Set<ReportedStatus>(["sent", "delivered", "read", "failed"]);

/** `whatsapp:+15551234567`, from the digits Meta writes a number with. */
const addressOf = (number: string) => `whatsapp:+${number.replace(/\D/g, "")}`;

/**
 * WhatsApp through Meta's Cloud API, one provider of type `whatsapp` per business number
 * (`Username` = its phone number ID, `Password` = an access token, `AppSecret` = the Meta app's
 * secret). Meta's webhook for the app is `/switchboard/v1/Messaging/Providers/{XP}/WhatsApp`, with
 * the provider's `verify_token`; it brings customers' messages (into conversations on the
 * `whatsapp` address type, with the customer's profile name as the conversation's `name`) and the
 * progress of ours (sent, delivered, read, failed with Meta's reason).
 *
 * Free-form messages go out only within 24 hours of the customer's last message: the sender
 * refuses later ones with 63016 before Meta is asked (messaging/service-window.ts).
 */
export const whatsapp: ChannelFactory = ({ config, inbound, messages, providers, media, logger }) => {
  const take = providerInbound(messages, inbound);

  /**
   * The customer's file, fetched from Meta into the media store. A file that cannot be had (too
   * large, gone) leaves the message with Meta's media ID only: the words still reach the agent.
   */
  const keep = async (provider: Provider, from: string, message: CustomerMessage): Promise<string[]> => {
    const kind = MEDIA_TYPES.find((type) => type === message.type);
    const file = kind && message[kind];
    if (!file?.id) return [];
    const found = await providers.withSecrets(provider.sid);
    if (!found) return [];
    try {
      const { content, contentType } = await graphDownload(
        provider,
        found.password,
        file.id,
        config.mediaMaxBytes,
        config.messaging.timeoutMs,
      );
      const stored = await media.upload(provider.account_sid, {
        contentType,
        filename: file.filename,
        content,
        uploadedBy: from,
      });
      return [stored.sid];
    } catch (error) {
      logger.warn({ err: error, provider: provider.sid, media: file.id }, "WhatsApp media not kept");
      return [];
    }
  };

  const receive = async ({ provider: via }: ProviderWithSecrets, body: unknown): Promise<void> => {
    const parsed = payloadSchema.safeParse(body);
    if (!parsed.success) {
      // Meta sends other objects and fields to an app's webhook; none of them is a message.
      logger.debug({ provider: via.sid }, "WhatsApp webhook without messages ignored");
      return;
    }
    for (const entry of parsed.data.entry)
      for (const change of entry.changes) {
        if (change.field !== "messages") continue;
        const value = change.value;
        const provider = await addressedProvider(providers, via, value.metadata.phone_number_id);
        if (!provider) {
          logger.warn(
            { provider: via.sid, phoneNumberId: value.metadata.phone_number_id },
            "WhatsApp event for a number no provider of the account serves",
          );
          continue;
        }
        const ours = addressOf(value.metadata.display_phone_number);
        for (const message of value.messages ?? []) {
          const name = value.contacts?.find((c) => c.wa_id === message.from)?.profile?.name;
          const from = addressOf(message.from);
          await take(provider, {
            ...contentOf(message),
            media: await keep(provider, from, message),
            from,
            to: ours,
            providerMessageId: message.id,
            ...(name && { customer: { name } }),
          });
        }
        for (const status of value.statuses ?? []) {
          if (!REPORTED.has(status.status)) continue;
          const failure =
            status.status === "failed" ? graphFailure(undefined, status.errors?.[0]) : undefined;
          await messages.report(
            provider.sid,
            status.id,
            status.status as ReportedStatus,
            failure && { code: failure.code, reason: failure.message },
          );
        }
      }
  };

  return {
    type: "whatsapp",
    transports: [whatsappTransport(config.messaging.timeoutMs)],
    openRoutes: (open) =>
      graphWebhookRoutes(open, {
        path: `${PROVIDER_WEBHOOKS}/${META_WEBHOOK.whatsapp}`,
        type: "whatsapp",
        providers,
        summary: "A WhatsApp Cloud API webhook",
        receive,
      }),
  };
};

/**
 * What a customer's WhatsApp message says, as a body an agent reads, and what it carries beyond
 * words as attributes. Free text (captions, place names) goes only in the body, where card numbers
 * are masked.
 */
function contentOf(message: CustomerMessage): Pick<ProviderInbound, "body" | "attributes"> {
  const replyTo = message.context?.id && { in_reply_to: message.context.id };
  const kind = MEDIA_TYPES.find((type) => type === message.type);
  if (message.type === "text" && message.text) return { body: message.text.body, attributes: { ...replyTo } };
  if (kind && message[kind]) {
    const { id, mime_type, caption, filename } = message[kind];
    return {
      body: caption ?? "",
      attributes: { ...replyTo, whatsapp_media: { type: kind, id, mime_type, filename } },
    };
  }
  const choice = message.interactive?.button_reply ?? message.interactive?.list_reply;
  if (choice) return { body: choice.title, attributes: { ...replyTo, reply_id: choice.id } };
  if (message.button)
    return { body: message.button.text, attributes: { ...replyTo, button_payload: message.button.payload } };
  if (message.location) {
    const { latitude, longitude, name, address } = message.location;
    const place = [name, address].filter(Boolean).join(", ");
    return {
      body: `${place ? `${place} ` : ""}(${latitude}, ${longitude})`,
      attributes: { ...replyTo, location: { latitude, longitude } },
    };
  }
  if (message.reaction)
    return { body: message.reaction.emoji ?? "", attributes: { reaction_to: message.reaction.message_id } };
  // Contacts, orders and types Meta adds later: the agent sees that something came.
  return { body: `[${message.type}]`, attributes: { ...replyTo, whatsapp_type: message.type } };
}

/** WhatsApp's message type for a file: the kinds it shows in place, else a document. */
function whatsappMediaType(contentType: string): "image" | "video" | "audio" | "document" {
  if (/^image\/(jpeg|png)$/.test(contentType)) return "image";
  if (/^video\/(mp4|3gpp)$/.test(contentType)) return "video";
  if (/^audio\/(aac|mp4|mpeg|amr|ogg)$/.test(contentType)) return "audio";
  return "document";
}

/**
 * Sends from the provider's number: `POST {base}/{phone number ID}/messages`, the text first, then
 * each file by a link Meta fetches. The message's provider ID is the first part's `wamid`, which
 * Meta's status webhooks name.
 */
function whatsappTransport(timeoutMs: number): Transport {
  return {
    providerType: "whatsapp",
    async send({ message, provider, password, attachments }: SendRequest) {
      const parts: object[] = [];
      if (message.body) parts.push({ type: "text", text: { body: message.body, preview_url: true } });
      for (const { media, url } of attachments) {
        const type = whatsappMediaType(media.content_type);
        parts.push({
          type,
          [type]: { link: url, ...(type === "document" && media.filename && { filename: media.filename }) },
        });
      }
      const ids: string[] = [];
      for (const part of parts) {
        const answer = await graphPost(
          `${graphBase(provider)}/${encodeURIComponent(provider.settings.username)}/messages`,
          password,
          {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            to: message.to_address.replace(/^whatsapp:\+?/, ""),
            ...part,
          },
          timeoutMs,
        );
        const [sent] = (answer.messages as Array<{ id?: unknown }> | undefined) ?? [];
        if (typeof sent?.id !== "string")
          throw new SendFailure(UNKNOWN_ERROR, "Meta's answer named no message ID", true);
        ids.push(sent.id);
      }
      if (ids.length === 0)
        throw new SendFailure(UNKNOWN_ERROR, "The message has no text and no files", true);
      return { providerMessageId: ids[0]! };
    },
  };
}
