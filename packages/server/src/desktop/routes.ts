import {
  ACTIVE_RESERVATION,
  type Clock,
  type ReservationView,
  type TaskView,
  type WorkerView,
} from "@switchboard/engine";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { ConversationStore, Conversation, Message } from "../conversations/store.ts";
import type { TypingRelay } from "../conversations/typing.ts";
import type { User } from "../identity/users.ts";
import { ROLE_RANK } from "../identity/users.ts";
import type { MediaLinks } from "../media/links.ts";
import { mediaOf, MAX_MEDIA_PER_MESSAGE, type MediaStore } from "../media/store.ts";
import { uploadRoute } from "../media/routes.ts";
import type { Database } from "../platform/db/database.ts";
import { forbidden, invalidParameter, notFound } from "../platform/errors.ts";
import type { EventLog } from "../platform/events/event-log.ts";
import { origin } from "../platform/http/paging.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import { iso8601, isoAt } from "../platform/time.ts";
import { STREAM_PATH } from "../realtime/routes.ts";
import type { StreamGrant, StreamTokens } from "../realtime/tokens.ts";
import { jsonObject, routed } from "../routing/routes/common.ts";
import type { RoutingCommand } from "../routing/commands.ts";
import type { RoutingService, WorkspaceEntry } from "../routing/service.ts";
import { desktopSettings, type DesktopSettingsStore } from "./settings.ts";

const DESKTOP = `${API_PREFIX}/Desktop`;
/** Links to files in a conversation the desktop shows last an hour; the desktop re-reads after that. */
const LINK_MS = 3_600_000;
/** Short, so a deactivated person's stream ends soon; the desktop fetches a new token as it lapses. */
const STREAM_TOKEN_TTL_SECONDS = 900;

export interface DesktopDependencies {
  database: Database;
  events: EventLog;
  routing: RoutingService;
  conversations: ConversationStore;
  media: MediaStore;
  mediaLinks: MediaLinks;
  typing: TypingRelay;
  settings: DesktopSettingsStore;
  streamTokens: StreamTokens;
  clock: Clock;
  mediaMaxBytes: number;
}

/** A signed-in person at work in one workspace, as the desktop routes see them. */
interface Seat {
  user: User;
  entry: WorkspaceEntry;
  /** The worker they work as; supervisors and admins may have none. */
  worker: WorkerView | undefined;
}

/**
 * The agent desktop's and supervisor views' API: everything a signed-in person does from the web
 * apps, acting as their own TaskRouter worker. An agent reaches only their own reservations and the
 * conversations their tasks carry; supervisors and admins see the whole workspace, watch any
 * conversation, whisper to its agent and join it. (Supervisors also use the TaskRouter API itself,
 * which their session opens, to edit workers.)
 */
export async function desktopRoutes(api: HttpServer, deps: DesktopDependencies): Promise<void> {
  const { routing, conversations, settings, clock } = deps;
  const agent = { access: "agent" } as const;
  const supervisor = { access: "supervisor" } as const;
  const tags = ["Desktop"];
  const workspaceQuery = z.object({ WorkspaceSid: z.string().optional() });

  const seatOf = (request: FastifyRequest, workspaceSid?: string): Seat => {
    const { user } = request.principal;
    if (!user) throw forbidden("The desktop is for people signed in to the web app");
    const wanted = workspaceSid ?? user.workspaceSid ?? undefined;
    const entry =
      wanted !== undefined ? routing.get(user.accountSid, wanted) : routing.list(user.accountSid)[0];
    if (!entry) throw notFound("No TaskRouter workspace to work in: ask an admin to link you to a worker");
    const sameWorkspace = user.workspaceSid === entry.workspace.sid;
    const worker = sameWorkspace && user.workerSid ? entry.router.routing.worker(user.workerSid) : undefined;
    if (!worker && user.role === "agent")
      throw forbidden("You are not linked to a TaskRouter worker: ask an admin to link you to one");
    return { user, entry, worker };
  };
  const workerOf = (seat: Seat): WorkerView => {
    if (!seat.worker) throw forbidden("You are not linked to a TaskRouter worker in this workspace");
    return seat.worker;
  };
  const isSupervisor = (seat: Seat) => ROLE_RANK[seat.user.role] >= ROLE_RANK.supervisor;

  /** The worker's reservation, or 404 (another worker's is none of theirs). */
  const ownReservation = (seat: Seat, sid: string): ReservationView => {
    const reservation = seat.entry.router.routing.reservation(sid);
    if (!reservation || reservation.workerSid !== workerOf(seat).sid)
      throw notFound(`The requested resource Reservation ${sid} was not found`);
    return reservation;
  };
  /** The task the worker holds an active reservation on, or 404. */
  const ownTask = (seat: Seat, sid: string): TaskView => {
    const engine = seat.entry.router.routing;
    const worker = workerOf(seat);
    const held = engine
      .reservationsOfTask(sid)
      .some((r) => r.workerSid === worker.sid && ACTIVE_RESERVATION.has(r.status));
    const task = held ? engine.task(sid) : undefined;
    if (!task) throw notFound(`The requested resource Task ${sid} was not found`);
    return task;
  };
  /** A conversation the person may read and write: one of their tasks' (any, for supervisors). */
  const openConversation = async (seat: Seat, sid: string): Promise<Conversation> => {
    const conversation = await conversations.get(seat.user.accountSid, sid);
    const allowed =
      conversation &&
      (isSupervisor(seat) ||
        activeReservations(seat).some(
          (r) => seat.entry.router.routing.task(r.taskSid)?.attributes.conversationSid === conversation.sid,
        ));
    if (!allowed) throw notFound(`The requested resource Conversation ${sid} was not found`);
    return conversation;
  };
  /** Reservations ringing, accepted or wrapping: what a worker has on their desk. */
  const activeReservations = (seat: Seat, workerSid = seat.worker?.sid): ReservationView[] =>
    workerSid
      ? seat.entry.router.routing
          .reservationsOfWorker(workerSid)
          .filter((r) => ACTIVE_RESERVATION.has(r.status))
      : [];
  /** Who the person is in conversations: their worker's name, else their own. */
  const identityOf = (seat: Seat) => seat.worker?.friendlyName ?? seat.user.friendlyName;

  const messageJson = (m: Message) => ({
    sid: m.sid,
    index: m.message_index,
    author: m.author,
    body: m.body,
    attributes: m.attributes,
    media: mediaOf(m.media).map((ref) => ({
      ...ref,
      url: deps.mediaLinks.path(ref.sid, clock.now() + LINK_MS),
    })),
    date_created: iso8601(m.date_created),
  });

  // ---------------------------------------------------------------------------------------------
  // The person, their worker and what the desktop needs to draw itself

  api.get(
    DESKTOP,
    {
      config: agent,
      schema: {
        tags,
        summary: "The signed-in person's desktop: worker, activities, queues, settings",
        querystring: workspaceQuery,
      },
    },
    async (request) => {
      const seat = seatOf(request, request.query.WorkspaceSid);
      const { router, workspace } = seat.entry;
      const engine = router.routing;
      return {
        user: {
          sid: seat.user.sid,
          email: seat.user.email,
          friendly_name: seat.user.friendlyName,
          role: seat.user.role,
        },
        workspace: { sid: workspace.sid, friendly_name: workspace.friendlyName },
        worker: seat.worker ? workerJson(seat.entry, seat.worker) : null,
        activities: [...router.catalog.activities.values()].map(({ record }) => ({
          sid: record.sid,
          friendly_name: record.friendlyName,
          available: record.available,
        })),
        queues: [...router.catalog.queues.values()].map(({ record }) => ({
          sid: record.sid,
          friendly_name: record.friendlyName,
        })),
        // Transfer targets: everyone else in the workspace.
        workers: engine
          .allWorkers()
          .filter((w) => w.sid !== seat.worker?.sid)
          .map((w) => ({ sid: w.sid, friendly_name: w.friendlyName, available: w.available })),
        settings: await settings.get(seat.user.accountSid),
      };
    },
  );

  api.post(
    `${DESKTOP}/StreamToken`,
    {
      config: agent,
      schema: {
        tags,
        summary: "A real-time stream token: the worker's own, or (Role=supervisor) the workspace's",
        body: z
          .object({
            Role: z.enum(["worker", "supervisor"]).default("worker"),
            WorkspaceSid: z.string().optional(),
          })
          .default({ Role: "worker" }),
      },
    },
    async (request, reply) => {
      const seat = seatOf(request, request.body.WorkspaceSid);
      const { accountSid } = seat.user;
      const workspaceSid = seat.entry.workspace.sid;
      let grant: StreamGrant;
      if (request.body.Role === "supervisor") {
        if (!isSupervisor(seat)) throw forbidden("A supervisor stream needs the supervisor role");
        grant = { role: "supervisor", accountSid, workspaceSid };
      } else {
        grant = { role: "worker", accountSid, workspaceSid, workerSid: workerOf(seat).sid };
      }
      const issued = await deps.streamTokens.issue(grant, clock.now(), STREAM_TOKEN_TTL_SECONDS);
      const url = `${origin(request).replace(/^http/, "ws")}${STREAM_PATH}?token=${issued.token}`;
      return reply
        .code(201)
        .send({ token: issued.token, expires: iso8601(isoAt(issued.expiresAt)), stream_url: url });
    },
  );

  api.post(
    `${DESKTOP}/Activity`,
    {
      config: agent,
      schema: {
        tags,
        summary: "Change your activity (Available, Break, ...)",
        body: z.object({ ActivitySid: z.string() }),
      },
    },
    async (request) => {
      const seat = seatOf(request);
      const worker = workerOf(seat);
      if (!seat.entry.router.catalog.activities.has(request.body.ActivitySid))
        throw invalidParameter(`Invalid parameter ActivitySid: no activity ${request.body.ActivitySid}`);
      await routed(
        seat.entry.router.run({
          op: "updateWorker",
          sid: worker.sid,
          changes: { activitySid: request.body.ActivitySid },
        }),
      );
      return workerJson(seat.entry, seat.entry.router.routing.worker(worker.sid)!);
    },
  );

  api.post(
    `${DESKTOP}/Channels/:Channel`,
    {
      config: agent,
      schema: {
        tags,
        summary: "Switch one of your channels on or off",
        params: z.object({ Channel: z.string() }),
        body: z.object({ Available: z.enum(["true", "false"]) }),
      },
    },
    async (request) => {
      const seat = seatOf(request);
      const worker = workerOf(seat);
      await routed(
        seat.entry.router.run({
          op: "setWorkerChannel",
          workerSid: worker.sid,
          channel: request.params.Channel,
          available: request.body.Available === "true",
        }),
      );
      return workerJson(seat.entry, seat.entry.router.routing.worker(worker.sid)!);
    },
  );

  // ---------------------------------------------------------------------------------------------
  // Reservations and tasks

  api.get(
    `${DESKTOP}/Tasks`,
    {
      config: agent,
      schema: { tags, summary: "Your reservations that ring, are accepted or wrapping, with their tasks" },
    },
    (request) => {
      const seat = seatOf(request);
      workerOf(seat);
      return { tasks: activeReservations(seat).map((r) => assignmentJson(seat.entry, r)) };
    },
  );

  api.post(
    `${DESKTOP}/Reservations/:Sid`,
    {
      config: agent,
      schema: {
        tags,
        summary: "Accept or reject a reservation offered to you",
        params: z.object({ Sid: z.string() }),
        body: z.object({ ReservationStatus: z.enum(["accepted", "rejected"]) }),
      },
    },
    async (request) => {
      const seat = seatOf(request);
      const reservation = ownReservation(seat, request.params.Sid);
      const { router } = seat.entry;
      if (request.body.ReservationStatus === "rejected") {
        await routed(router.run({ op: "rejectReservation", sid: reservation.sid }));
      } else {
        await routed(router.run({ op: "acceptReservation", sid: reservation.sid }));
        // The agent joins the conversation the task carries, as Flex agents do on accepting.
        const conversationSid = router.routing.task(reservation.taskSid)?.attributes.conversationSid;
        if (typeof conversationSid === "string") {
          const conversation = await conversations.get(seat.user.accountSid, conversationSid);
          if (conversation) await joinConversation(conversations, conversation, identityOf(seat));
        }
      }
      return assignmentJson(seat.entry, router.routing.reservation(reservation.sid)!);
    },
  );

  api.post(
    `${DESKTOP}/Tasks/:Sid/Transfer`,
    {
      config: agent,
      schema: {
        tags,
        summary: "Transfer your task to a worker or a queue, with a note for whoever takes it",
        params: z.object({ Sid: z.string() }),
        body: z.object({
          To: z.string().regex(/^(WK|WQ)[0-9a-f]{32}$/, "expected a worker or queue SID"),
          Note: z.string().max(2000).optional(),
        }),
      },
    },
    async (request, reply) => {
      const seat = seatOf(request);
      const task = ownTask(seat, request.params.Sid);
      const { To, Note } = request.body;
      // A worker is reached through the queue the task is in (or, failing that, any queue it is in).
      const queueSid = To.startsWith("WQ")
        ? To
        : (task.queueSid ??
          seat.entry.router.routing.queuesForAttributes(
            seat.entry.router.routing.worker(To)?.attributes ?? {},
          )[0]);
      if (queueSid === undefined) throw invalidParameter(`Invalid parameter To: worker ${To} is in no queue`);
      const to = To.startsWith("WK") ? { workerSid: To, queueSid } : { queueSid };
      const attributes = {
        transfer: {
          from: workerOf(seat).friendlyName,
          ...(Note !== undefined && Note !== "" && { note: Note }),
        },
      };
      const sid = await routed(
        seat.entry.router.run<string>({ op: "transferTask", sid: task.sid, to, attributes }),
      );
      return reply.code(201).send({ task_sid: sid, transferred_from: task.sid });
    },
  );

  api.post(
    `${DESKTOP}/Tasks/:Sid`,
    {
      config: agent,
      schema: {
        tags,
        summary: "Wrap up or complete your task, with a disposition code",
        params: z.object({ Sid: z.string() }),
        body: z.object({
          AssignmentStatus: z.enum(["wrapping", "completed"]),
          Disposition: z.string().max(100).optional(),
        }),
      },
    },
    async (request) => {
      const seat = seatOf(request);
      const task = ownTask(seat, request.params.Sid);
      const { AssignmentStatus, Disposition } = request.body;
      if (Disposition !== undefined) {
        const codes = (await settings.get(seat.user.accountSid)).disposition_codes;
        if (codes.length > 0 && !codes.includes(Disposition))
          throw invalidParameter(`Invalid parameter Disposition: expected one of ${codes.join(", ")}`);
      }
      await routed(
        seat.entry.router.submit([
          ...(Disposition !== undefined
            ? [
                {
                  op: "updateTask" as const,
                  sid: task.sid,
                  attributes: { ...task.attributes, disposition: Disposition },
                },
              ]
            : []),
          AssignmentStatus === "wrapping"
            ? { op: "wrapUpTask" as const, sid: task.sid }
            : { op: "completeTask" as const, sid: task.sid },
        ]),
      );
      return {
        task_sid: task.sid,
        assignment_status: seat.entry.router.routing.task(task.sid)?.status ?? AssignmentStatus,
      };
    },
  );

  // ---------------------------------------------------------------------------------------------
  // Conversations

  const conversationParams = z.object({ Sid: z.string() });

  api.get(
    `${DESKTOP}/Conversations/:Sid/Messages`,
    {
      config: agent,
      schema: {
        tags,
        summary: "A conversation's messages after an index (all without), oldest first",
        params: conversationParams,
        querystring: z.object({
          After: z.coerce.number().int().min(-1).default(-1),
          PageSize: z.coerce.number().int().min(1).max(500).default(200),
        }),
      },
    },
    async (request) => {
      const conversation = await openConversation(seatOf(request), request.params.Sid);
      const { After, PageSize } = request.query;
      const page = await conversations.listMessages(conversation, "asc", {
        pageSize: PageSize,
        page: 0,
        offset: 0,
        after: After >= 0 ? [After] : undefined,
      });
      return {
        conversation: {
          sid: conversation.sid,
          state: conversation.state,
          attributes: conversation.attributes,
        },
        messages: page.items.map(messageJson),
        more: page.nextKey !== undefined,
      };
    },
  );

  api.post(
    `${DESKTOP}/Conversations/:Sid/Messages`,
    {
      config: agent,
      schema: {
        tags,
        summary: "Reply in a conversation (a supervisor doing so barges in)",
        params: conversationParams,
        body: z
          .object({
            Body: z.string().max(32_000).default(""),
            MediaSid: z.union([z.string(), z.array(z.string())]).optional(),
            /** The desktop's own ID for the message: sending it again (after a network drop) adds nothing. */
            ClientId: z.string().min(1).max(100).optional(),
          })
          .refine((b) => b.Body !== "" || b.MediaSid !== undefined, "a message needs a Body or MediaSid"),
      },
    },
    async (request, reply) => {
      const seat = seatOf(request);
      const conversation = await openConversation(seat, request.params.Sid);
      const media = [request.body.MediaSid ?? []].flat();
      if (media.length > MAX_MEDIA_PER_MESSAGE)
        throw invalidParameter(
          `Invalid parameter MediaSid: at most ${MAX_MEDIA_PER_MESSAGE} files per message`,
        );
      const author = identityOf(seat);
      const externalId = request.body.ClientId && `desktop:${seat.user.sid}:${request.body.ClientId}`;
      const earlier = externalId && (await conversations.messageByExternalId(conversation, externalId));
      if (earlier) return reply.code(200).send(messageJson(earlier));
      await joinConversation(conversations, conversation, author);
      try {
        const message = await conversations.addMessage(conversation, {
          author,
          body: request.body.Body,
          ...(media.length > 0 && { media }),
          ...(externalId && { externalId }),
        });
        return await reply.code(201).send(messageJson(message));
      } catch (error) {
        // The same message sent twice at once: the other request stored it.
        const stored = externalId && (await conversations.messageByExternalId(conversation, externalId));
        if (stored) return reply.code(200).send(messageJson(stored));
        throw error;
      }
    },
  );

  await uploadRoute(
    api,
    `${DESKTOP}/Media`,
    deps.mediaMaxBytes,
    "Upload a file for your next message",
    async (request, upload) => {
      const seat = seatOf(request);
      const stored = await deps.media.upload(seat.user.accountSid, {
        ...upload,
        uploadedBy: identityOf(seat),
      });
      return {
        sid: stored.sid,
        content_type: stored.content_type,
        filename: stored.filename,
        size: stored.size,
      };
    },
    agent,
  );

  api.post(
    `${DESKTOP}/Conversations/:Sid/Typing`,
    {
      config: agent,
      schema: { tags, summary: "Tell the conversation you are typing", params: conversationParams },
    },
    async (request, reply) => {
      const seat = seatOf(request);
      const conversation = await openConversation(seat, request.params.Sid);
      deps.typing.announce({
        accountSid: seat.user.accountSid,
        conversationSid: conversation.sid,
        identity: identityOf(seat),
      });
      return reply.code(204).send();
    },
  );

  api.post(
    `${DESKTOP}/Conversations/:Sid/Whisper`,
    {
      config: supervisor,
      schema: {
        tags,
        summary: "Whisper to the agents in a conversation: a note the customer never sees",
        params: conversationParams,
        body: z.object({ Body: z.string().min(1).max(4000) }),
      },
    },
    async (request, reply) => {
      const seat = seatOf(request);
      const conversation = await openConversation(seat, request.params.Sid);
      const [event] = await deps.database.transaction((tx) =>
        deps.events.append(tx, seat.user.accountSid, [
          {
            eventType: WHISPER_EVENT,
            resourceType: "conversation",
            resourceSid: conversation.sid,
            scopeSid: conversation.sid,
            description: `${seat.user.friendlyName} whispered in conversation ${conversation.sid}`,
            data: {
              ConversationSid: conversation.sid,
              Author: seat.user.friendlyName,
              Body: request.body.Body,
            },
          },
        ]),
      );
      return reply
        .code(201)
        .send({ sid: event!.sid, author: seat.user.friendlyName, body: request.body.Body });
    },
  );

  // ---------------------------------------------------------------------------------------------
  // Supervisors

  api.get(
    `${DESKTOP}/Team`,
    {
      config: supervisor,
      schema: {
        tags,
        summary: "Every worker: activity, channels and current tasks",
        querystring: workspaceQuery,
      },
    },
    (request) => {
      const seat = seatOf(request, request.query.WorkspaceSid);
      const engine = seat.entry.router.routing;
      return {
        workers: engine.allWorkers().map((worker) => ({
          ...workerJson(seat.entry, worker),
          tasks: activeReservations(seat, worker.sid).map((r) => assignmentJson(seat.entry, r)),
        })),
      };
    },
  );

  api.post(
    `${DESKTOP}/Workers/:Sid`,
    {
      config: supervisor,
      schema: {
        tags,
        summary: "Edit a worker's skills (attributes) and channel capacities",
        params: z.object({ Sid: z.string() }),
        body: z.object({
          Attributes: jsonObject.optional(),
          /** `channel=capacity` pairs, e.g. chat=3. */
          Capacity: z.union([z.string(), z.array(z.string())]).optional(),
        }),
      },
    },
    async (request) => {
      const seat = seatOf(request);
      const { router } = seat.entry;
      const worker = router.routing.worker(request.params.Sid);
      if (!worker) throw notFound(`The requested resource Worker ${request.params.Sid} was not found`);
      const commands: RoutingCommand[] = [];
      if (request.body.Attributes !== undefined)
        commands.push({
          op: "updateWorker",
          sid: worker.sid,
          changes: { attributes: request.body.Attributes },
        });
      for (const pair of [request.body.Capacity ?? []].flat()) {
        const match = /^([\w-]+)=(\d{1,4})$/.exec(pair);
        if (!match)
          throw invalidParameter(`Invalid parameter Capacity: expected channel=number, got ${pair}`);
        commands.push({
          op: "setWorkerChannel",
          workerSid: worker.sid,
          channel: match[1]!,
          capacity: Number(match[2]),
        });
      }
      await routed(router.submit(commands));
      return workerJson(seat.entry, router.routing.worker(worker.sid)!);
    },
  );

  api.get(
    `${DESKTOP}/Settings`,
    { config: { access: "admin" }, schema: { tags, summary: "The account's desktop settings" } },
    (request) => settings.get(request.principal.accountSid),
  );

  api.post(
    `${DESKTOP}/Settings`,
    {
      config: { access: "admin" },
      schema: {
        tags,
        summary: "Set the desktop's canned responses, disposition codes, CRM link and plugins",
        body: desktopSettings,
      },
    },
    async (request) => settings.put(request.principal.accountSid, request.body),
  );
}

/** Whisper events are scoped to the conversation, so its agents' and watching supervisors' streams carry them; visitors and conversation webhooks never do. */
export const WHISPER_EVENT = "conversation.whisper";

async function joinConversation(
  conversations: ConversationStore,
  conversation: Conversation,
  identity: string,
) {
  if (await conversations.getParticipant(conversation, identity)) return;
  try {
    await conversations.addParticipant(conversation, { identity });
  } catch (error) {
    // Joined meanwhile (a second tab): fine.
    if (!(await conversations.getParticipant(conversation, identity))) throw error;
  }
}

function workerJson(entry: WorkspaceEntry, worker: WorkerView) {
  const channels = entry.router.catalog.channels;
  return {
    sid: worker.sid,
    friendly_name: worker.friendlyName,
    attributes: worker.attributes,
    activity_sid: worker.activitySid,
    activity_name: worker.activityName,
    available: worker.available,
    date_status_changed: iso8601(isoAt(worker.dateStatusChanged)),
    channels: worker.channels.map((c) => ({
      sid: c.channelSid,
      unique_name: channels.get(c.channelSid)?.record.uniqueName ?? c.channelSid,
      capacity: c.capacity,
      available: c.available,
      active: c.active,
    })),
  };
}

/** A reservation with what the desktop shows of its task. */
function assignmentJson(entry: WorkspaceEntry, reservation: ReservationView) {
  const engine = entry.router.routing;
  const task = engine.task(reservation.taskSid);
  const queue = reservation.queueSid ? entry.router.catalog.queues.get(reservation.queueSid) : undefined;
  return {
    reservation_sid: reservation.sid,
    reservation_status: reservation.status,
    reservation_timeout: iso8601(isoAt(reservation.timeoutAt)),
    task_sid: reservation.taskSid,
    task_status: task?.status ?? null,
    task_channel: task?.channelUniqueName ?? null,
    task_attributes: task?.attributes ?? {},
    task_age: task ? Math.max(0, Math.floor((entry.router.now() - task.dateCreated) / 1000)) : 0,
    queue_name: queue?.record.friendlyName ?? null,
    conversation_sid:
      typeof task?.attributes.conversationSid === "string" ? task.attributes.conversationSid : null,
    date_created: iso8601(isoAt(reservation.dateCreated)),
  };
}
