import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { PROVIDER_WEBHOOKS } from "../../messaging/provider-urls.ts";
import type { Provider } from "../../messaging/providers.ts";
import type { ReportedStatus } from "../../messaging/store.ts";
import { forbidden, invalidParameter, notFound } from "../../platform/errors.ts";
import { origin } from "../../platform/http/paging.ts";
import { sameSecret } from "../../platform/secrets/secret-box.ts";
import { twilioSignature } from "../../webhooks/signature.ts";
import type { ChannelFactory } from "../channel.ts";
import { providerInbound } from "../provider-inbound.ts";
import { SmppConnections } from "./smpp.ts";
import { twilioTransport } from "./twilio-transport.ts";

const params = z.object({ ProviderSid: z.string() });
const form = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

// A provider's webhook is parsed only once its signature is checked against the raw parameters.
const inboundParams = z.looseObject({
  From: z.string().min(1),
  To: z.string().min(1),
  Body: z.string().default(""),
  MessageSid: z.string().min(1).optional(),
  SmsSid: z.string().min(1).optional(),
  NumMedia: z.coerce.number().int().min(0).max(10).default(0),
});
const statusParams = z.looseObject({
  MessageSid: z.string().min(1).optional(),
  SmsSid: z.string().min(1).optional(),
  MessageStatus: z.string().optional(),
  SmsStatus: z.string().optional(),
  ErrorCode: z.coerce.number().int().optional(),
  ErrorMessage: z.string().optional(),
});

/** An empty TwiML answer: the message is taken, and nothing is said back from here. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

const REPORTED: ReadonlySet<string> = new Set<ReportedStatus>([
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "read",
]);

/**
 * SMS (and the WhatsApp and Messenger addresses an upstream reaches the same way) through providers
 * of type `twilio`: outbound by their Messages API (twilio-transport.ts), inbound and delivery
 * reports by their webhooks, which this adapter serves at
 * `/switchboard/v1/Messaging/Providers/{XP}/Inbound` and `…/Status`. Each webhook must carry a valid
 * `X-Twilio-Signature` made with the provider's password (auth token) over the URL it called.
 *
 * An inbound message is recorded (once per provider message SID, so retried webhooks add nothing)
 * and handed to inbound routing: into the sender's open conversation with our number, or a new one
 * as the number's address configuration says. A number with no configuration still records the
 * message (it shows in the Messages list).
 */
export const sms: ChannelFactory = ({ config, inbound, messages, providers, logger }) => {
  // A customer's text, from either kind of provider.
  const take = providerInbound(messages, inbound);
  const smsc = new SmppConnections(
    providers,
    messages,
    ({ provider, ...text }) => take(provider, text),
    logger.child({ protocol: "smpp" }),
    {
      enquireLinkMs: config.smpp.enquireLinkMs,
      responseTimeoutMs: config.messaging.timeoutMs,
      reconnectBaseMs: config.smpp.reconnectBaseMs,
      reconnectMaxMs: 60_000,
      partsTimeoutMs: 20_000,
    },
  );

  /** The provider named in the URL and the webhook's parameters, once it is proven to come from it. */
  const verified = async <T extends z.ZodType>(
    request: FastifyRequest,
    schema: T,
  ): Promise<{ provider: Provider; body: z.infer<T> }> => {
    const { ProviderSid } = params.parse(request.params);
    const found = await providers.withSecrets(ProviderSid);
    if (!found || found.provider.type !== "twilio")
      throw notFound(`The requested resource ${request.url.split("?")[0]} was not found`);
    const url = (config.publicUrl ?? origin(request)) + request.url;
    const raw = form.safeParse(request.body ?? {});
    if (!raw.success) throw invalidParameter("Expected form-encoded parameters");
    const expected = twilioSignature(found.webhookSecret, url, raw.data);
    const given = request.headers["x-twilio-signature"];
    if (typeof given !== "string" || !sameSecret(given, expected))
      throw forbidden("The request's X-Twilio-Signature does not match: it was not sent by this provider");
    const parsed = schema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalidParameter(`Invalid parameter ${issue.path.join(".")}: ${issue.message}`);
    }
    return { provider: found.provider, body: parsed.data };
  };
  const answerTwiml = (reply: FastifyReply) => reply.code(200).type("text/xml").send(EMPTY_TWIML);

  return {
    type: "sms",
    transports: [twilioTransport(config.messaging.timeoutMs), smsc.transport],
    start: () => smsc.start(),
    stop: () => smsc.stop(),
    openRoutes(open) {
      open.post(
        `${PROVIDER_WEBHOOKS}/Inbound`,
        {
          schema: {
            tags: ["Messaging"],
            summary: "A provider's webhook: a message to one of our numbers",
            params,
          },
        },
        async (request, reply) => {
          const { provider, body } = await verified(request, inboundParams);
          const providerMessageId = body.MessageSid ?? body.SmsSid;
          if (!providerMessageId) throw invalidParameter("Missing parameter MessageSid");
          const mediaUrls = Array.from({ length: body.NumMedia }, (_, i) => body[`MediaUrl${i}`]).filter(
            (url): url is string => typeof url === "string",
          );
          await take(provider, {
            from: body.From,
            to: body.To,
            body: body.Body,
            mediaUrls,
            providerMessageId,
          });
          return answerTwiml(reply);
        },
      );

      open.post(
        `${PROVIDER_WEBHOOKS}/Status`,
        {
          schema: {
            tags: ["Messaging"],
            summary: "A provider's webhook: progress of a message we sent",
            params,
          },
        },
        async (request, reply) => {
          const { provider, body } = await verified(request, statusParams);
          const sid = body.MessageSid ?? body.SmsSid;
          const status = body.MessageStatus ?? body.SmsStatus;
          // Intermediate states (accepted, queued, sending) say nothing we record.
          if (sid && status && REPORTED.has(status)) {
            const code = body.ErrorCode;
            await messages.report(
              provider.sid,
              sid,
              status as ReportedStatus,
              code === undefined
                ? undefined
                : { code, reason: body.ErrorMessage ?? `The provider reported error ${code}` },
            );
          }
          return reply.code(204).send();
        },
      );
    },
  };
};
