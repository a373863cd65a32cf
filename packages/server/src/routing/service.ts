import type { Clock, SidGenerator, TaskOrder } from "@switchboard/engine";
import type { Logger } from "pino";
import type { Database, Tx } from "../platform/db/database.ts";
import type { RoutingWorkspacesTable } from "../platform/db/schema.ts";
import type { EventLog } from "../platform/events/event-log.ts";
import { isoAt } from "../platform/time.ts";
import type { ExternalSubscription } from "../webhooks/store.ts";
import type { RoutingCommand } from "./commands.ts";
import { WorkspaceRouter } from "./workspace-router.ts";

export interface Workspace {
  sid: string;
  accountSid: string;
  friendlyName: string;
  eventCallbackUrl: string | null;
  eventsFilter: string | null;
  multiTaskEnabled: boolean;
  defaultActivitySid: string;
  dateCreated: string;
  dateUpdated: string;
}

export interface WorkspaceEntry {
  workspace: Workspace;
  router: WorkspaceRouter;
}

export interface NewWorkspace {
  friendlyName: string;
  eventCallbackUrl?: string | undefined;
  eventsFilter?: string | undefined;
  multiTaskEnabled?: boolean | undefined;
  prioritizeQueueOrder?: TaskOrder | undefined;
  /** `FIFO` also makes a sample queue and a workflow routing every task to it, as TaskRouter does. */
  template?: "FIFO" | undefined;
}

export interface WorkspaceChanges {
  friendlyName?: string | undefined;
  eventCallbackUrl?: string | undefined;
  eventsFilter?: string | undefined;
  multiTaskEnabled?: boolean | undefined;
  prioritizeQueueOrder?: TaskOrder | undefined;
  defaultActivitySid?: string | undefined;
  timeoutActivitySid?: string | undefined;
}

/** What every new workspace starts with, as in TaskRouter. */
const DEFAULT_ACTIVITIES = [
  { friendlyName: "Offline", available: false },
  { friendlyName: "Available", available: true },
  { friendlyName: "Unavailable", available: false },
];
const DEFAULT_CHANNELS = [
  { uniqueName: "default", friendlyName: "Default" },
  { uniqueName: "voice", friendlyName: "Voice" },
  { uniqueName: "chat", friendlyName: "Programmable Chat" },
  { uniqueName: "sms", friendlyName: "SMS" },
  { uniqueName: "video", friendlyName: "Video" },
  { uniqueName: "email", friendlyName: "Email" },
];

/**
 * TaskRouter workspaces and their routers. Every workspace's state is loaded (replayed) at start so
 * its timers fire; afterwards each router is the only writer of its workspace.
 */
export class RoutingService {
  private readonly workspaces = new Map<string, WorkspaceEntry>();

  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const rows = await this.database.db.selectFrom("routing_workspaces").selectAll().execute();
    for (const row of rows) {
      const workspace = toWorkspace(row);
      const router = this.routerFor(workspace);
      await router.load();
      this.workspaces.set(workspace.sid, { workspace, router });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.workspaces.values()].map(({ router }) => router.close()));
  }

  /** The workspace and its router, if it exists in this account. */
  get(accountSid: string, sid: string): WorkspaceEntry | undefined {
    const entry = this.workspaces.get(sid);
    return entry && entry.workspace.accountSid === accountSid ? entry : undefined;
  }

  /** The account's workspaces with their routers, oldest first. */
  list(accountSid: string): WorkspaceEntry[] {
    return [...this.workspaces.values()]
      .filter((e) => e.workspace.accountSid === accountSid)
      .sort(
        (a, b) =>
          a.workspace.dateCreated.localeCompare(b.workspace.dateCreated) ||
          a.workspace.sid.localeCompare(b.workspace.sid),
      );
  }

  /**
   * The workspaces' Event Callbacks, as outbox subscriptions: each delivers its workspace's events
   * (those in EventsFilter, a comma-separated list, when set) to EventCallbackUrl.
   */
  eventCallbacks(accountSids: string[]): ExternalSubscription[] {
    const accounts = new Set(accountSids);
    const subscriptions: ExternalSubscription[] = [];
    for (const { workspace } of this.workspaces.values()) {
      if (!workspace.eventCallbackUrl || !accounts.has(workspace.accountSid)) continue;
      subscriptions.push({
        sid: workspace.sid,
        accountSid: workspace.accountSid,
        url: workspace.eventCallbackUrl,
        eventTypes: (workspace.eventsFilter ?? "")
          .split(",")
          .map((type) => type.trim())
          .filter(Boolean),
        scopeSid: workspace.sid,
        dateCreated: workspace.dateCreated,
      });
    }
    return subscriptions;
  }

  async create(accountSid: string, input: NewWorkspace): Promise<WorkspaceEntry> {
    const now = isoAt(this.clock.now());
    const activities = DEFAULT_ACTIVITIES.map((a) => ({ sid: this.ids.next("WA"), ...a }));
    const offline = activities[0]!.sid;
    const workspace: Workspace = {
      sid: this.ids.next("WS"),
      accountSid,
      friendlyName: input.friendlyName,
      eventCallbackUrl: input.eventCallbackUrl ?? null,
      eventsFilter: input.eventsFilter ?? null,
      multiTaskEnabled: input.multiTaskEnabled ?? true,
      defaultActivitySid: offline,
      dateCreated: now,
      dateUpdated: now,
    };
    const commands: RoutingCommand[] = [
      ...activities.map((activity): RoutingCommand => ({ op: "putActivity", activity })),
      ...DEFAULT_CHANNELS.map((c): RoutingCommand => ({
        op: "putChannel",
        channel: { sid: this.ids.next("TC"), ...c, channelOptimizedRouting: false },
      })),
      {
        op: "updateSettings",
        settings: { timeoutActivitySid: offline, prioritizeQueueOrder: input.prioritizeQueueOrder ?? "FIFO" },
      },
    ];
    if (input.template === "FIFO") {
      const queueSid = this.ids.next("WQ");
      commands.push(
        {
          op: "putQueue",
          queue: {
            sid: queueSid,
            friendlyName: "Sample Queue",
            targetWorkers: "1==1",
            maxReservedWorkers: 1,
            taskOrder: "FIFO",
            reservationActivitySid: null,
            assignmentActivitySid: null,
          },
        },
        {
          op: "putWorkflow",
          reEvaluateTasks: false,
          workflow: {
            sid: this.ids.next("WW"),
            friendlyName: "Default Fifo Workflow",
            configuration: JSON.stringify({
              task_routing: { filters: [], default_filter: { queue: queueSid } },
            }),
            taskReservationTimeout: 120,
            assignmentCallbackUrl: null,
            fallbackAssignmentCallbackUrl: null,
          },
        },
      );
    }
    const router = this.routerFor(workspace);
    await router.submit(commands, async (tx) => {
      await tx.db.insertInto("routing_workspaces").values(toRow(workspace)).execute();
    });
    const entry = { workspace, router };
    this.workspaces.set(workspace.sid, entry);
    return entry;
  }

  async update(
    accountSid: string,
    sid: string,
    changes: WorkspaceChanges,
  ): Promise<WorkspaceEntry | undefined> {
    const entry = this.get(accountSid, sid);
    if (!entry) return undefined;
    const updated: Workspace = {
      ...entry.workspace,
      ...(changes.friendlyName !== undefined ? { friendlyName: changes.friendlyName } : {}),
      ...(changes.eventCallbackUrl !== undefined
        ? { eventCallbackUrl: changes.eventCallbackUrl || null }
        : {}),
      ...(changes.eventsFilter !== undefined ? { eventsFilter: changes.eventsFilter || null } : {}),
      ...(changes.multiTaskEnabled !== undefined ? { multiTaskEnabled: changes.multiTaskEnabled } : {}),
      ...(changes.defaultActivitySid !== undefined ? { defaultActivitySid: changes.defaultActivitySid } : {}),
      dateUpdated: isoAt(this.clock.now()),
    };
    const settings = {
      ...(changes.timeoutActivitySid !== undefined ? { timeoutActivitySid: changes.timeoutActivitySid } : {}),
      ...(changes.prioritizeQueueOrder !== undefined
        ? { prioritizeQueueOrder: changes.prioritizeQueueOrder }
        : {}),
    };
    const writeRow = async (tx: Tx) => {
      await tx.db
        .updateTable("routing_workspaces")
        .set(toRow(updated))
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .execute();
    };
    await entry.router.submit([{ op: "updateSettings", settings }], writeRow);
    entry.workspace = updated;
    entry.router.identity.workspaceName = updated.friendlyName;
    return entry;
  }

  async remove(accountSid: string, sid: string): Promise<boolean> {
    const entry = this.get(accountSid, sid);
    if (!entry) return false;
    await entry.router.close();
    this.workspaces.delete(sid);
    await this.database.transaction(async (tx) => {
      await tx.db.deleteFrom("routing_commands").where("workspace_sid", "=", sid).execute();
      await tx.db
        .deleteFrom("routing_workspaces")
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .execute();
    });
    return true;
  }

  private routerFor(workspace: Workspace): WorkspaceRouter {
    return new WorkspaceRouter(
      {
        accountSid: workspace.accountSid,
        workspaceSid: workspace.sid,
        workspaceName: workspace.friendlyName,
      },
      this.database,
      this.events,
      this.ids,
      this.clock,
      this.logger,
    );
  }
}

function toWorkspace(row: RoutingWorkspacesTable): Workspace {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    friendlyName: row.friendly_name,
    eventCallbackUrl: row.event_callback_url,
    eventsFilter: row.events_filter,
    multiTaskEnabled: row.multi_task_enabled === 1,
    defaultActivitySid: row.default_activity_sid,
    dateCreated: row.date_created,
    dateUpdated: row.date_updated,
  };
}

function toRow(workspace: Workspace): RoutingWorkspacesTable {
  return {
    sid: workspace.sid,
    account_sid: workspace.accountSid,
    friendly_name: workspace.friendlyName,
    event_callback_url: workspace.eventCallbackUrl,
    events_filter: workspace.eventsFilter,
    multi_task_enabled: workspace.multiTaskEnabled ? 1 : 0,
    default_activity_sid: workspace.defaultActivitySid,
    date_created: workspace.dateCreated,
    date_updated: workspace.dateUpdated,
  };
}
