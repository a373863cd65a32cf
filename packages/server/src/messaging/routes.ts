import type { Clock } from "@switchboard/engine";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { bindingTypeOf } from "../conversations/store.ts";
import { ApiError, notFound } from "../platform/errors.ts";
import { pageRequest, pagingQuery, v2010List } from "../platform/http/paging.ts";
import { httpUrl } from "../platform/http/parameters.ts";
import type { HttpServer } from "../platform/http/server.ts";
import { isoAt, rfc2822 } from "../platform/time.ts";
import { list } from "../conversations/parameters.ts";
import { carriesMedia, providerFor, type ProviderStore } from "./providers.ts";
import { OUTSIDE_WINDOW, outsideWindow } from "./service-window.ts";
import type { ChannelMessage, MessageStore } from "./store.ts";

const BASE = "/2010-04-01/Accounts/:AccountSid/Messages";
const tags = ["Messages"];
const accountParams = z.object({ AccountSid: z.string() });
const messageParams = z.object({ AccountSid: z.string(), Sid: z.string() });

/** Twilio caps a message body at 1,600 characters (error 21617). */
const MAX_BODY = 1_600;
/** Scheduled sends may be at most 35 days ahead, as on Twilio. */
const MAX_SCHEDULE_MS = 35 * 86_400_000;

/** Twilio's Programmable Messaging errors for what a send request gets wrong. */
const messagingError = (code: number, message: string) => new ApiError(400, code, message);

/** E.164 for SMS; `whatsapp:` / `messenger:` prefixed addresses for those channels. */
const E164 = /^\+[1-9]\d{1,14}$/;
/** A sender may also be a short code or an alphanumeric sender ID (up to 11 characters, one letter at least). */
const SENDER = /^(\+[1-9]\d{1,14}|\d{3,8}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$/;

const sendBody = z.object({
  To: z.string().optional(),
  From: z.string().optional(),
  MessagingServiceSid: z.string().optional(),
  Body: z.string().optional(),
  MediaUrl: list.pipe(z.array(httpUrl).max(10)).optional(),
  StatusCallback: httpUrl.optional(),
  ScheduleType: z.literal("fixed", { message: "expected fixed" }).optional(),
  SendAt: z
    .string()
    .refine((text) => !Number.isNaN(Date.parse(text)), "expected an ISO 8601 date")
    .optional(),
});

const listQuery = pagingQuery.extend({
  To: z.string().optional(),
  From: z.string().optional(),
  DateSent: z.string().optional(),
  "DateSent<": z.string().optional(),
  "DateSent>": z.string().optional(),
});

/**
 * The 2010-04-01 Messages resource: send a text (what an IVR does to deflect a caller to SMS) through
 * the account's messaging provider for the `From` address, then follow it — status, segments, the
 * provider's error code and reason — by fetch, list or StatusCallback.
 */
export function messageRoutes(
  app: HttpServer,
  messages: MessageStore,
  providers: ProviderStore,
  clock: Clock,
): void {
  const missing = (request: FastifyRequest) =>
    notFound(`The requested resource ${request.url.split("?")[0]} was not found`);

  app.post(
    `${BASE}.json`,
    {
      schema: {
        tags,
        summary: "Send a message through the provider that serves its From address",
        params: accountParams,
        body: sendBody.default({}),
      },
    },
    async (request, reply) => {
      const accountSid = request.principal.accountSid;
      const body = request.body;
      if (!body.To) throw messagingError(21604, "A 'To' phone number is required.");
      if (body.MessagingServiceSid && !body.From)
        throw messagingError(21701, "Messaging services are not available: send with a From address.");
      if (!body.From) throw messagingError(21603, "A 'From' phone number is required.");
      const channel = bindingTypeOf(body.To);
      if (!["sms", "whatsapp", "messenger"].includes(channel) || (channel === "sms" && !E164.test(body.To)))
        throw messagingError(21211, `Invalid 'To' Phone Number: ${body.To}`);
      if (bindingTypeOf(body.From) !== channel || (channel === "sms" && !SENDER.test(body.From)))
        throw messagingError(21212, `Invalid 'From' Phone Number: ${body.From}`);
      if (!body.Body && !body.MediaUrl?.length) throw messagingError(21602, "Message body is required.");
      if ((body.Body ?? "").length > MAX_BODY)
        throw messagingError(21617, "The concatenated message body exceeds the 1600 character limit.");
      const sendAt = scheduled(body.SendAt, body.ScheduleType, clock.now());
      const provider = providerFor(await providers.ofAccounts([accountSid]), accountSid, channel, body.From);
      if (!provider)
        throw messagingError(
          21606,
          `The 'From' phone number provided (${body.From}) is not a valid message-capable phone number for this account: no messaging provider sends from it.`,
        );
      if (body.MediaUrl?.length && !carriesMedia(provider))
        throw messagingError(
          21620,
          `The provider for ${body.From} (${provider.type}) carries no media: send the MediaUrl through a twilio-type provider or as a link in the Body.`,
        );
      // A send due now is refused at once outside the window; a scheduled one is checked when due.
      if (sendAt === undefined) {
        const refusal = outsideWindow(
          { channel, humanAgent: provider.settings.human_agent === true },
          body.From,
          body.To,
          await messages.lastInbound(accountSid, body.To, body.From),
          clock.now(),
        );
        if (refusal) throw messagingError(OUTSIDE_WINDOW, refusal);
      }
      const message = await messages.send(accountSid, {
        providerSid: provider.sid,
        channel,
        direction: "outbound-api",
        from: body.From,
        to: body.To,
        body: body.Body ?? null,
        mediaUrls: body.MediaUrl,
        statusCallback: body.StatusCallback,
        sendAt,
      });
      return reply.code(201).send(messageJson(message));
    },
  );

  app.get(
    `${BASE}.json`,
    {
      schema: {
        tags,
        summary: "List messages, newest first",
        params: accountParams,
        querystring: listQuery,
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const q = request.query;
      const day = q.DateSent === undefined ? undefined : dayBounds(q.DateSent, "DateSent");
      const result = await messages.list(
        request.principal.accountSid,
        {
          to: q.To,
          from: q.From,
          sentAfter: day?.[0] ?? (q["DateSent>"] && dayBounds(q["DateSent>"], "DateSent>")[0]),
          sentBefore: day?.[1] ?? (q["DateSent<"] && dayBounds(q["DateSent<"], "DateSent<")[1]),
        },
        page,
      );
      return v2010List(request, "messages", page, { ...result, items: result.items.map(messageJson) });
    },
  );

  app.get(
    `${BASE}/:Sid.json`,
    { schema: { tags, summary: "Fetch a message", params: messageParams } },
    async (request) => {
      const message = await messages.get(request.principal.accountSid, request.params.Sid);
      if (!message) throw missing(request);
      return messageJson(message);
    },
  );

  app.post(
    `${BASE}/:Sid.json`,
    {
      schema: {
        tags,
        summary: 'Cancel a message not sent yet (Status=canceled), or erase a message\'s body (Body="")',
        params: messageParams,
        body: z
          .object({
            Status: z.literal("canceled", { message: "expected canceled" }).optional(),
            Body: z.string().optional(),
          })
          .default({}),
      },
    },
    async (request) => {
      const accountSid = request.principal.accountSid;
      const { Sid } = request.params;
      const current = await messages.get(accountSid, Sid);
      if (!current) throw missing(request);
      if (request.body.Status === "canceled") {
        const canceled = await messages.cancel(accountSid, Sid);
        if (!canceled)
          throw messagingError(
            30409,
            `Message ${Sid} is ${current.status}: only a message not sent yet can be canceled.`,
          );
        return messageJson(canceled);
      }
      if (request.body.Body !== undefined) {
        if (request.body.Body !== "")
          throw messagingError(20001, "Body may only be set to an empty string, which erases it.");
        const erased = await messages.erase(accountSid, Sid);
        if (!erased)
          throw messagingError(
            30410,
            `Message ${Sid} is ${current.status}: its body can be erased once it is sent or received.`,
          );
        return messageJson(erased);
      }
      return messageJson(current);
    },
  );

  app.delete(
    `${BASE}/:Sid.json`,
    {
      schema: {
        tags,
        summary: "Delete a message that is sent, received, failed or canceled",
        params: messageParams,
      },
    },
    async (request, reply) => {
      const result = await messages.remove(request.principal.accountSid, request.params.Sid);
      if (result === "missing") throw missing(request);
      if (result === "pending")
        throw new ApiError(409, 20009, `Message ${request.params.Sid} is still being sent: cancel it first.`);
      return reply.code(204).send();
    },
  );
}

/** The send time of a scheduled message, checked as Twilio checks it. */
function scheduled(
  sendAt: string | undefined,
  scheduleType: string | undefined,
  now: number,
): number | undefined {
  if (sendAt === undefined && scheduleType === undefined) return undefined;
  if (sendAt === undefined || scheduleType === undefined)
    throw messagingError(35111, "SendAt and ScheduleType=fixed go together.");
  const at = Date.parse(sendAt);
  if (at <= now || at > now + MAX_SCHEDULE_MS)
    throw messagingError(35114, "SendAt must be in the future and at most 35 days ahead.");
  return at;
}

/** A day's inclusive ISO bounds from `YYYY-MM-DD`, or one instant's from a full timestamp. */
function dayBounds(text: string, name: string): [string, string] {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return [`${text}T00:00:00.000Z`, `${text}T23:59:59.999Z`];
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw messagingError(20001, `Invalid parameter ${name}: expected YYYY-MM-DD or an ISO 8601 date`);
  return [isoAt(at), isoAt(at)];
}

export function messageJson(m: ChannelMessage) {
  const uri = `/2010-04-01/Accounts/${m.account_sid}/Messages/${m.sid}`;
  return {
    account_sid: m.account_sid,
    api_version: "2010-04-01",
    body: m.body ?? "",
    date_created: rfc2822(m.date_created),
    date_sent: m.date_sent && rfc2822(m.date_sent),
    date_updated: rfc2822(m.date_updated),
    direction: m.direction,
    error_code: m.error_code,
    error_message: m.error_message,
    from: m.from_address,
    messaging_service_sid: null,
    num_media: String((JSON.parse(m.media_urls) as string[]).length),
    num_segments: String(m.num_segments),
    price: null,
    price_unit: "USD",
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${uri}/Media.json` },
    to: m.to_address,
    uri: `${uri}.json`,
  };
}
