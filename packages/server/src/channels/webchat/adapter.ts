import { randomBytes } from "node:crypto";
import { z } from "zod";
import { noConversationFor } from "../../conversations/errors.ts";
import { ApiError, invalidParameter, unauthenticated } from "../../platform/errors.ts";
import { sendBatched } from "../../platform/http/batched-send.ts";
import { limitPerClient } from "../../platform/http/client-limits.ts";
import { origin } from "../../platform/http/paging.ts";
import { API_PREFIX, type HttpServer } from "../../platform/http/server.ts";
import { iso8601, isoAt } from "../../platform/time.ts";
import { MAX_MEDIA_PER_MESSAGE } from "../../media/store.ts";
import { uploadRoute } from "../../media/routes.ts";
import type { ChannelFactory } from "../channel.ts";
import { TokenError } from "../../platform/secrets/signed-tokens.ts";
import { VisitorTokens } from "./tokens.ts";
import { VisitorHub, type Visitor, type VisitorFrame } from "./visitors.ts";
import { waitLine } from "./wait.ts";

const SESSIONS_PATH = `${API_PREFIX}/WebChat/Sessions`;
const SOCKET_PATH = `${API_PREFIX}/WebChat/Socket`;
const MEDIA_PATH = `${API_PREFIX}/WebChat/Media`;
const WAIT_PATH = `${API_PREFIX}/WebChat/Wait`;
/** A waiting widget asks every 10 s; this leaves room for several visitors behind one address. */
const WAIT_READS_PER_MINUTE = 600;
/** Links to files in a visitor's chat last a day; each catch-up after a reconnect hands out fresh ones. */
const VISITOR_LINK_MS = 86_400_000;
/** A visitor's session lasts a day; the widget starts a new one after that. */
const SESSION_TTL_SECONDS = 86_400;

/** Close code telling the widget to start a new session (its token is invalid or expired). */
const UNAUTHORIZED = 4001;

const clientFrame = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("message"),
      body: z.string().max(32_000).default(""),
      /** Files the visitor uploaded for this message (`POST …/WebChat/Media`). */
      media: z.array(z.string().max(34)).max(MAX_MEDIA_PER_MESSAGE).default([]),
      /** The widget's own ID for the message: resending it after a reconnect adds nothing. */
      client_id: z.string().min(1).max(100),
    })
    .refine((frame) => frame.body.length > 0 || frame.media.length > 0, "a message needs a body or media"),
  z.object({ type: z.literal("read"), index: z.number().int().min(0) }),
  z.object({ type: z.literal("typing") }),
]);

/** A visitor's typing signals are passed on at most this often. */
const TYPING_EVERY_MS = 1_000;

/**
 * Web chat: the embeddable widget's channel.
 *
 * 1. `POST /switchboard/v1/WebChat/Sessions` (no credentials: the widget runs on a public page)
 *    with `AccountSid`, `Address` (an address configuration of type `chat` with auto-creation on),
 *    and optionally the visitor's `FriendlyName` and pre-chat answers (`Attributes`, a JSON object)
 *    → a session token for a new visitor identity, valid for a day. The widget keeps it, so the
 *    session survives page reloads.
 * 2. `GET /switchboard/v1/WebChat/Socket?token=…[&after=INDEX]` upgraded to a WebSocket. The server
 *    sends `ready`, then the visitor's conversation after message `INDEX` (all of it without), then
 *    new messages, read marks and state changes as they happen. The visitor sends
 *    `{type:"message", body, client_id}` (acknowledged with the message's index; a `client_id`
 *    sent twice is stored once, so resending unacknowledged messages after a reconnect is safe)
 *    and `{type:"read", index}`; `{type:"typing"}` tells the agents (and they the visitor, as
 *    `{type:"typing", identity}`) that someone is typing.
 *
 * The first message starts the conversation as the address configuration says; the visitor's name
 * and answers become the conversation's attributes, and so the task's.
 */
export const webChat: ChannelFactory = ({
  config,
  inbound,
  conversations,
  typing,
  events,
  secrets,
  media,
  mediaLinks,
  routing,
  clock,
  logger,
}) => {
  // Visitors call without credentials: session starts are limited per client address (they cost
  // nothing until a message is sent), messages per socket.
  const { sessionsPerMinute, messagesPer10s } = config.webchat;
  const tokens = new VisitorTokens(secrets.derive("webchat-tokens"));
  const hub = new VisitorHub(
    events,
    conversations,
    typing,
    (sid) => mediaLinks.path(sid, clock.now() + VISITOR_LINK_MS),
    logger.child({ component: "webchat" }),
  );

  /** The visitor a request's `Authorization: Bearer <session token>` names, or 401. */
  const visitorOf = async (authorization: string | undefined) => {
    const bearer = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    if (!bearer) throw unauthenticated("Send the session token as Authorization: Bearer <token>");
    return tokens.verify(bearer, clock.now()).catch((error: unknown) => {
      throw error instanceof TokenError ? unauthenticated(error.message) : error;
    });
  };

  return {
    type: "chat",
    start: () => hub.start(),
    stop: () => hub.stop(),

    async openRoutes(open) {
      await open.register(async (scope: HttpServer) => {
        await limitPerClient(scope, sessionsPerMinute, 60_000);
        scope.post(
          SESSIONS_PATH,
          {
            schema: {
              tags: ["Web chat"],
              summary: "Start a web chat session for a visitor (no credentials)",
              body: z.object({
                AccountSid: z.string().regex(/^AC[0-9a-f]{32}$/, "expected an account SID"),
                Address: z.string().min(1).max(255),
                FriendlyName: z.string().max(255).optional(),
                Attributes: z.string().max(4096).optional(),
              }),
            },
          },
          async (request, reply) => {
            const { AccountSid, Address, FriendlyName, Attributes } = request.body;
            const address = await inbound.addressOf(AccountSid, "chat", Address);
            if (!address?.auto_creation.enabled) throw noConversationFor("chat", Address);
            const answers = parseObject(Attributes);
            const identity = `webchat-${randomBytes(12).toString("hex")}`;
            const issued = await tokens.issue(
              {
                accountSid: AccountSid,
                address: Address,
                identity,
                attributes: JSON.stringify({
                  ...(FriendlyName !== undefined && { customerName: FriendlyName }),
                  ...(answers !== undefined && { pre_engagement_data: answers }),
                }),
              },
              clock.now(),
              SESSION_TTL_SECONDS,
            );
            const socketUrl = origin(request).replace(/^http/, "ws") + SOCKET_PATH;
            return reply.code(201).send({
              identity,
              token: issued.token,
              expires: iso8601(isoAt(issued.expiresAt)),
              socket_url: `${socketUrl}?token=${issued.token}`,
            });
          },
        );
      });

      // A visitor's files, uploaded before the message that carries them; the session token is the
      // credential, and uploads count against the visitor's message allowance.
      await open.register(async (scope: HttpServer) => {
        await limitPerClient(scope, messagesPer10s, 10_000);
        await uploadRoute(
          scope,
          MEDIA_PATH,
          config.mediaMaxBytes,
          "Upload a file for a visitor's next message (Authorization: Bearer <session token>)",
          async (request, upload) => {
            const grant = await visitorOf(request.headers.authorization);
            const stored = await media.upload(grant.accountSid, { ...upload, uploadedBy: grant.identity });
            return {
              sid: stored.sid,
              content_type: stored.content_type,
              filename: stored.filename,
              size: stored.size,
            };
          },
        );
      });

      // The widget's "estimated wait" line, asked for every few seconds while the visitor waits.
      await open.register(async (scope: HttpServer) => {
        await limitPerClient(scope, WAIT_READS_PER_MINUTE, 60_000);
        scope.get(
          WAIT_PATH,
          {
            schema: {
              tags: ["Web chat"],
              summary:
                "The visitor's place in the queue and estimated wait (Authorization: Bearer <session token>)",
            },
          },
          async (request) => {
            const grant = await visitorOf(request.headers.authorization);
            const conversationSid = await conversations.conversationFor(
              grant.accountSid,
              grant.identity,
              grant.address,
            );
            return conversationSid ? waitLine(routing, inbound, grant, conversationSid) : { status: "none" };
          },
        );
      });

      open.get(
        SOCKET_PATH,
        {
          websocket: true,
          schema: {
            tags: ["Web chat"],
            summary: "A visitor's chat (WebSocket)",
            querystring: z.object({
              token: z.string().max(8192),
              after: z.coerce.number().int().min(-1).optional(),
            }),
          },
        },
        (socket, request) => {
          const { token, after } = request.query;
          let visitor: Visitor | undefined;
          let conversationSid: string | undefined;
          let sent: number[] = [];
          let typedAt = -Infinity;
          const send = (frame: VisitorFrame) => {
            if (socket.readyState === socket.OPEN) sendBatched(socket, JSON.stringify(frame));
          };
          socket.on("close", () => {
            if (visitor && conversationSid) hub.forget(visitor, conversationSid);
          });

          const ready = (async () => {
            const grant = await tokens.verify(token, clock.now());
            visitor = { accountSid: grant.accountSid, identity: grant.identity, lastIndex: -1, send };
            conversationSid = await conversations.conversationFor(
              grant.accountSid,
              grant.identity,
              grant.address,
            );
            send({ type: "ready", identity: grant.identity, conversation_sid: conversationSid ?? null });
            // Checked in the same step as joining (watch joins before its first await), so a socket
            // that closed meanwhile never joins and is never left behind.
            if (conversationSid && socket.readyState === socket.OPEN)
              await hub.watch(visitor, conversationSid, after ?? -1);
            return grant;
          })();
          ready.catch((error: unknown) => {
            const reason = error instanceof TokenError ? error.message : "try again";
            if (!(error instanceof TokenError)) request.log.error({ err: error }, "web chat start failed");
            socket.close(UNAUTHORIZED, reason);
          });

          // Frames are handled one after another, so a visitor's messages keep the order they were typed in.
          let handling: Promise<void> = Promise.resolve();
          socket.on("message", (data: Buffer) => {
            handling = handling
              .then(async () => {
                const grant = await ready;
                let frame: z.infer<typeof clientFrame>;
                try {
                  frame = clientFrame.parse(JSON.parse(data.toString("utf8")));
                } catch {
                  send({
                    type: "error",
                    code: 20001,
                    message:
                      "expected {type:'message', body, media?, client_id}, {type:'read', index} or {type:'typing'}",
                  });
                  return;
                }
                if (frame.type === "message") {
                  const now = clock.now();
                  sent = sent.filter((at) => at > now - 10_000);
                  if (messagesPer10s > 0 && sent.length >= messagesPer10s) {
                    send({
                      type: "error",
                      client_id: frame.client_id,
                      code: 20429,
                      message: "Too many messages; slow down",
                    });
                    return;
                  }
                  sent.push(now);
                  const received = await inbound.receive(grant.accountSid, {
                    channel: "chat",
                    from: grant.identity,
                    to: grant.address,
                    body: frame.body,
                    ...(frame.media.length > 0 && { media: frame.media }),
                    externalId: `webchat:${grant.identity}:${frame.client_id}`,
                    conversationAttributes: grant.attributes,
                  });
                  if (conversationSid === undefined) {
                    conversationSid = received.conversation.sid;
                    if (socket.readyState === socket.OPEN) await hub.watch(visitor!, conversationSid, -1);
                  }
                  send({
                    type: "ack",
                    client_id: frame.client_id,
                    sid: received.message.sid,
                    index: received.message.message_index,
                    duplicate: received.duplicate,
                  });
                } else if (frame.type === "typing") {
                  // Before the first message there is nobody to tell; a signal too soon after the last says nothing new.
                  const now = clock.now();
                  if (conversationSid === undefined || now - typedAt < TYPING_EVERY_MS) return;
                  typedAt = now;
                  typing.announce({
                    accountSid: grant.accountSid,
                    conversationSid,
                    identity: grant.identity,
                  });
                } else {
                  if (conversationSid === undefined)
                    throw invalidParameter("There is no conversation to mark read yet");
                  const conversation = await conversations.get(grant.accountSid, conversationSid);
                  const participant =
                    conversation &&
                    (await conversations.getParticipantByAddress(conversation, grant.identity));
                  if (conversation && participant)
                    await conversations.updateParticipant(conversation, participant.sid, {
                      lastReadMessageIndex: frame.index,
                    });
                }
              })
              .catch((error: unknown) => {
                if (error instanceof TokenError) return; // the socket is closing already
                if (error instanceof ApiError)
                  send({ type: "error", code: error.code, message: error.message });
                else {
                  request.log.error({ err: error }, "web chat message failed");
                  send({ type: "error", code: 20500, message: "the message was not taken; send it again" });
                }
              });
          });
        },
      );
    },
  };
};

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw invalidParameter("Invalid parameter Attributes: must be a JSON object");
}
