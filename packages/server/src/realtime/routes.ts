import type { Clock } from "@switchboard/engine";
import { z } from "zod";
import { invalidParameter, notFound } from "../platform/errors.ts";
import { sendBatched } from "../platform/http/batched-send.ts";
import { origin } from "../platform/http/paging.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import { iso8601, isoAt } from "../platform/time.ts";
import type { RoutingService } from "../routing/service.ts";
import type { StreamHub, StreamMessage, Subscriber } from "./hub.ts";
import { TokenError } from "../platform/secrets/signed-tokens.ts";
import type { StreamGrant, StreamTokens } from "./tokens.ts";

export const STREAM_PATH = `${API_PREFIX}/Stream`;

/** Close codes a client acts on: get a new token (4001) or reconnect and resume (1013, 1001). */
const CLOSE = {
  unauthorized: 4001,
  forbidden: 4003,
  slowConsumer: 1013,
  goingAway: 1001,
} as const;

/** A client further behind than this (bytes queued) is dropped; it reconnects and resumes from the log. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

const clientMessage = z.object({
  type: z.enum(["watch", "unwatch"]),
  conversation_sid: z.string().regex(/^CH[0-9a-f]{32}$/),
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Issues stream tokens: an authenticated API route, for a backend to hand to a browser. */
export function streamTokenRoutes(
  app: HttpServer,
  routing: RoutingService,
  tokens: StreamTokens,
  clock: Clock,
): void {
  app.post(
    `${API_PREFIX}/Workspaces/:WorkspaceSid/StreamTokens`,
    {
      schema: {
        tags: ["Real-time stream"],
        summary: "Issue a short-lived token for the real-time stream, for a worker or a supervisor",
        params: z.object({ WorkspaceSid: z.string() }),
        body: z.object({
          WorkerSid: z.string().optional(),
          Role: z.enum(["worker", "supervisor"]).optional(),
          Ttl: z.coerce.number().int().min(60).max(86_400).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { accountSid } = request.principal;
      const { WorkspaceSid } = request.params;
      const entry = routing.get(accountSid, WorkspaceSid);
      if (!entry) throw notFound(`The requested resource Workspace ${WorkspaceSid} was not found`);
      const { WorkerSid, Ttl } = request.body;
      const role = request.body.Role ?? (WorkerSid !== undefined ? "worker" : undefined);
      let grant: StreamGrant;
      if (role === "worker") {
        if (WorkerSid === undefined)
          throw invalidParameter("Missing required parameter WorkerSid for a worker token");
        if (!entry.router.routing.worker(WorkerSid))
          throw notFound(`The requested resource Worker ${WorkerSid} was not found`);
        grant = { role, accountSid, workspaceSid: WorkspaceSid, workerSid: WorkerSid };
      } else if (role === "supervisor") {
        if (WorkerSid !== undefined) throw invalidParameter("A supervisor token takes no WorkerSid");
        grant = { role, accountSid, workspaceSid: WorkspaceSid };
      } else {
        throw invalidParameter("Missing required parameter WorkerSid (a worker's token) or Role=supervisor");
      }
      const issued = await tokens.issue(grant, clock.now(), Ttl ?? 3600);
      const streamUrl = origin(request).replace(/^http/, "ws") + STREAM_PATH;
      return reply.code(201).send({
        account_sid: accountSid,
        workspace_sid: WorkspaceSid,
        role,
        worker_sid: grant.role === "worker" ? grant.workerSid : null,
        token: issued.token,
        expires: iso8601(isoAt(issued.expiresAt)),
        stream_url: `${streamUrl}?token=${issued.token}`,
      });
    },
  );
}

/**
 * The real-time stream: `GET /switchboard/v1/Stream?token=…[&after=SEQ]` upgraded to a WebSocket.
 * A worker receives its own reservations and the updates of tasks it was offered; a supervisor the
 * workspace's events and live statistics. Every event message carries its `seq`; a client that
 * reconnects with `after=<last seq>` receives everything since, without gaps or repeats. The server
 * closes the socket when the token expires (4001), so a client fetches a fresh token and resumes.
 */
export function streamRoutes(
  app: HttpServer,
  hub: StreamHub,
  tokens: StreamTokens,
  routing: RoutingService,
  clock: Clock,
): void {
  app.get(
    STREAM_PATH,
    {
      websocket: true,
      schema: {
        tags: ["Real-time stream"],
        summary: "Real-time stream (WebSocket)",
        querystring: z.object({
          token: z.string().max(4096),
          after: z.coerce.number().int().min(0).optional(),
        }),
      },
    },
    (socket, request) => {
      const { token, after } = request.query;
      let subscriber: Subscriber | undefined;
      let expiry: NodeJS.Timeout | undefined;
      socket.on("close", () => {
        clearTimeout(expiry);
        if (subscriber) hub.detach(subscriber);
      });
      // Clients send keep-alives (no answer needed) and, supervisors, which conversations they watch.
      socket.on("message", (data: Buffer) => {
        const parsed = clientMessage.safeParse(safeJson(data.toString("utf8")));
        if (!parsed.success || !subscriber) return;
        const { type, conversation_sid } = parsed.data;
        if (type === "watch") hub.watch(subscriber, conversation_sid);
        else hub.unwatch(subscriber, conversation_sid);
      });
      void (async () => {
        let verified: Awaited<ReturnType<StreamTokens["verify"]>>;
        try {
          verified = await tokens.verify(token, clock.now());
        } catch (error) {
          socket.close(CLOSE.unauthorized, error instanceof TokenError ? error.message : "invalid token");
          return;
        }
        const { grant, expiresAt } = verified;
        const entry = routing.get(grant.accountSid, grant.workspaceSid);
        if (!entry || (grant.role === "worker" && !entry.router.routing.worker(grant.workerSid))) {
          socket.close(CLOSE.forbidden, "the workspace or worker no longer exists");
          return;
        }
        expiry = setTimeout(() => socket.close(CLOSE.unauthorized, "token expired"), expiresAt - clock.now());
        subscriber = {
          grant,
          position: 0,
          tasks: new Set(),
          conversations: new Set(),
          send: (message: StreamMessage) => {
            if (socket.readyState !== socket.OPEN) return;
            if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
              socket.close(CLOSE.slowConsumer, "too far behind; reconnect and resume");
              return;
            }
            sendBatched(socket, JSON.stringify(message));
          },
        };
        try {
          await hub.attach(subscriber, after, () => socket.readyState === socket.OPEN);
        } catch (error) {
          request.log.error({ err: error }, "stream catch-up failed");
          socket.close(CLOSE.goingAway, "try again");
        }
      })();
    },
  );
}
