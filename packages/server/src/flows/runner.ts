import {
  RoutingError,
  RunnableFlow,
  type Clock,
  type Effect,
  type ExecutionInput,
  type ExecutionState,
  type SidGenerator,
  type Templates,
  type TriggerEvent,
} from "@switchboard/engine";
import type { Logger } from "pino";
import type { Conversation, ConversationStore } from "../conversations/store.ts";
import { isUniqueViolation, type Database, type Tx } from "../platform/db/database.ts";
import type { FlowWaiting } from "../platform/db/schema.ts";
import { ApiError, conflict, invalidParameter } from "../platform/errors.ts";
import type { RoutingService } from "../routing/service.ts";
import { StaleExecution, type Execution, type ExecutionStore } from "./executions.ts";
import { callOut } from "./http-effects.ts";
import { definitionOf, type Flow, type FlowRevision, type FlowStore, type RevisionRef } from "./store.ts";

export interface FlowRunnerOptions {
  /** How long make-http-request and run-function wait for an answer. */
  httpTimeoutMs: number;
  pollIntervalMs: number;
}

/** What starts an execution. */
export interface ExecutionLaunch {
  accountSid: string;
  revision: FlowRevision;
  event: TriggerEvent;
  trigger: Record<string, unknown>;
  contactAddress: string;
  channelAddress: string;
  data: Record<string, unknown>;
  conversationSid: string | null;
  parentSid: string | null;
  initiatedBy: string;
}

/** Runnable flows kept per revision (revisions never change once saved). */
const PROGRAMS_KEPT = 500;
/** How deep run-subflow may nest before it fails: a flow that calls itself would never stop. */
const MAX_SUBFLOW_DEPTH = 10;
/** An effect untouched this long is taken to be left by a crash, and performed again. */
const STALLED_EFFECT_MS = 30_000;
/** How many retries a write gets when another writer moved the execution first. */
const RACE_RETRIES = 5;

/**
 * Runs flow executions. Every change to an execution is one transaction that writes its new state
 * and steps together with what caused it (the reply's log cursor, the message it sent, the task it
 * created), guarded by the row's version — so an acknowledged message is never lost or answered
 * twice, and effects inside our own database (messages, tasks, subflows) happen exactly once.
 * Calls to other systems (make-http-request, run-function) happen before the transaction that
 * records their answer: after a crash in between they are made again (at least once).
 *
 * After a commit, the execution's next effect is performed at once; a poll fires replies' timeouts
 * and picks up effects a crash left behind.
 */
export class FlowRunner {
  private readonly programs = new Map<string, RunnableFlow>();
  /** Executions whose effects this process is performing, and whether to look once more when done. */
  private readonly busy = new Map<string, { again: boolean }>();
  private readonly working = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  private firstTick = true;

  constructor(
    private readonly database: Database,
    private readonly flows: FlowStore,
    private readonly executions: ExecutionStore,
    private readonly conversations: ConversationStore,
    private readonly routing: RoutingService,
    private readonly templates: Templates,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: FlowRunnerOptions,
  ) {}

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.ticking;
    while (this.working.size > 0) await Promise.all([...this.working]);
  }

  // ------------------------------------------------------------------------------------------
  // Starting and moving executions on

  /**
   * Starts an execution of `flow` by the REST API (`incomingRequest`): the published revision, or
   * the latest for a test user. Studio runs one execution per contact and flow at a time.
   */
  async startRequested(
    accountSid: string,
    flow: Flow,
    request: { to: string; from: string; parameters: Record<string, unknown>; initiatedBy: string },
  ): Promise<Execution> {
    const revision = await this.revisionFor(accountSid, flow, request.to);
    if (!revision)
      throw invalidParameter(`Flow ${flow.sid} has no valid published revision to run; publish it first`);
    const busy = conflict(`Execution ${flow.sid} is already active for contact ${request.to}`);
    if (await this.executions.activeFor(accountSid, flow.sid, request.to)) throw busy;
    const launched = this.database.transaction((tx) =>
      this.launch(tx, {
        accountSid,
        revision,
        event: "incomingRequest",
        trigger: { request: { from: request.from, to: request.to, parameters: request.parameters } },
        contactAddress: request.to,
        channelAddress: request.from,
        data: request.parameters,
        conversationSid: null,
        parentSid: null,
        initiatedBy: request.initiatedBy,
      }),
    );
    const { row, kicks } = await launched.catch((error: unknown) => {
      throw isUniqueViolation(error) ? busy : error;
    });
    this.kick(kicks);
    return row;
  }

  /** The revision a contact runs: the latest for the flow's test users, else the latest valid published one. */
  async revisionFor(accountSid: string, flow: Flow, contact: string): Promise<FlowRevision | undefined> {
    const testUsers = JSON.parse(flow.test_users) as string[];
    const latest = testUsers.includes(contact) ? await this.latestValid(accountSid, flow) : undefined;
    return latest ?? this.flows.revision(accountSid, flow.sid, "LatestPublished");
  }

  /** The flow's latest revision, draft or not, when it validated (what test users and test runs run). */
  async latestValid(accountSid: string, flow: Flow): Promise<FlowRevision | undefined> {
    const latest = await this.flows.revision(accountSid, flow.sid, "LatestRevision");
    return latest?.valid === 1 ? latest : undefined;
  }

  /** Inserts a new execution inside `tx`; the executions to perform effects for after the commit. */
  async launch(tx: Tx, launch: ExecutionLaunch): Promise<{ row: Execution; kicks: string[] }> {
    const sid = this.ids.next("FN");
    const progress = this.program(launch.revision).start({
      executionSid: sid,
      flowSid: launch.revision.flow_sid,
      event: launch.event,
      trigger: launch.trigger,
      channelAddress: launch.channelAddress,
      contactAddress: launch.contactAddress,
      data: launch.data,
    });
    const draft = this.executions.draft({
      sid,
      account_sid: launch.accountSid,
      flow_sid: launch.revision.flow_sid,
      flow_revision: launch.revision.revision,
      parent_sid: launch.parentSid,
      contact_channel_address: launch.contactAddress,
      channel_address: launch.channelAddress,
      conversation_sid: launch.conversationSid,
      initiated_by: launch.initiatedBy,
    });
    const row = await this.executions.insert(tx, draft, progress);
    return { row, kicks: await this.afterSave(tx, row) };
  }

  /** Moves `row` on with `input` inside `tx` (throws StaleExecution if it moved meanwhile). */
  async advance(
    tx: Tx,
    row: Execution,
    input: ExecutionInput,
    changes: { conversationSid?: string; waiting?: FlowWaiting } = {},
  ): Promise<{ row: Execution; kicks: string[] }> {
    const program = await this.programOf(row, tx.db);
    const progress = program.resume(JSON.parse(row.state) as ExecutionState, input, this.clock.now());
    const saved = await this.executions.save(tx, row, progress, changes);
    return { row: saved, kicks: await this.afterSave(tx, saved) };
  }

  /** Ends an execution (the API's Status=ended), and the subflows it waits on. */
  async end(accountSid: string, flowSid: string, sid: string): Promise<Execution | undefined> {
    for (let attempt = 0; ; attempt++) {
      const row = await this.executions.get(accountSid, flowSid, sid);
      if (!row || row.status === "ended") return row;
      try {
        const ended = await this.database.transaction(async (tx) => {
          const { row: saved } = await this.advance(tx, row, {
            kind: "stop",
            reason: "Ended through the API",
          });
          await this.endChildren(tx, saved);
          return saved;
        });
        return ended;
      } catch (error) {
        if (!(error instanceof StaleExecution) || attempt >= RACE_RETRIES) throw error;
      }
    }
  }

  private async endChildren(tx: Tx, parent: Execution): Promise<void> {
    const children = await tx.db
      .selectFrom("flow_executions")
      .selectAll()
      .where("parent_sid", "=", parent.sid)
      .where("status", "=", "active")
      .execute();
    for (const child of children) {
      const { row } = await this.advance(tx, child, {
        kind: "stop",
        reason: `Its parent ${parent.sid} ended`,
      });
      await this.endChildren(tx, row);
    }
  }

  /** After a save: the execution's effect to perform, or an ended subflow's parent to move on. */
  private async afterSave(tx: Tx, row: Execution): Promise<string[]> {
    if (row.status === "active") return row.waiting === "effect" ? [row.sid] : [];
    if (!row.parent_sid) return [];
    const parent = await this.executions.load(row.parent_sid, tx.db);
    if (parent?.status !== "active" || parent.waiting !== "subflow") return [];
    const state = JSON.parse(row.state) as ExecutionState;
    const input: ExecutionInput = row.ended_reason
      ? { kind: "outcome", event: "failed", outputs: { error: row.ended_reason } }
      : { kind: "outcome", event: "completed", outputs: state.context.flow.variables };
    return (await this.advance(tx, parent, input)).kicks;
  }

  // ------------------------------------------------------------------------------------------
  // Effects

  /** Performs the waiting effects of these executions, each in turn, in the background. */
  kick(sids: string[]): void {
    for (const sid of new Set(sids)) {
      const running = this.busy.get(sid);
      if (running) {
        running.again = true;
        continue;
      }
      const mark = { again: false };
      this.busy.set(sid, mark);
      const work = (async () => {
        try {
          do {
            mark.again = false;
            while (!this.closed && (await this.performOne(sid)));
          } while (mark.again && !this.closed);
        } catch (error) {
          // Left waiting: the poll tries again once the effect counts as stalled.
          this.logger.error({ err: error, execution: sid }, "flow effect failed");
        } finally {
          this.busy.delete(sid);
        }
      })();
      this.working.add(work);
      void work.finally(() => this.working.delete(work));
    }
  }

  /** Performs the effect the execution waits for; true when it moved on (so look again). */
  private async performOne(sid: string): Promise<boolean> {
    const row = await this.executions.load(sid);
    if (row?.status !== "active" || row.waiting !== "effect") return false;
    const wait = (JSON.parse(row.state) as ExecutionState).wait;
    if (wait?.kind !== "effect") return false;
    try {
      const effect = wait.effect;
      switch (effect.type) {
        case "send-message":
          await this.sendMessage(row, effect);
          break;
        case "http-request":
        case "run-function":
          await this.record(row, await callOut(effect, this.options.httpTimeoutMs));
          break;
        case "send-to-flex":
          await this.sendToFlex(row, effect);
          break;
        case "run-subflow":
          await this.runSubflow(row, effect);
          break;
      }
    } catch (error) {
      if (!(error instanceof StaleExecution)) throw error;
    }
    return true;
  }

  /** Commits an effect's outcome. */
  private async record(row: Execution, outcome: { event: string; outputs: Record<string, unknown> }) {
    const { kicks } = await this.database.transaction((tx) =>
      this.advance(tx, row, { kind: "outcome", ...outcome }),
    );
    this.kickOthers(row, kicks);
  }

  /**
   * send-message and send-and-wait-for-reply: a message in the execution's conversation, or, for an
   * execution no message started (the REST API), in the open conversation between the `to` and
   * `from` addresses, started if need be — where the contact's answer will arrive. The message and
   * the execution's move commit together. A refusal (a closed conversation) is the failure event.
   */
  private async sendMessage(row: Execution, effect: Extract<Effect, { type: "send-message" }>) {
    const failure = effect.waitMs === undefined ? "failed" : "deliveryFailure";
    if (effect.body.trim() === "" && effect.mediaUrl.trim() === "")
      return this.record(row, { event: failure, outputs: { error: "The message body is empty" } });
    try {
      // Read before the transaction: SQLite's one connection is the transaction's until it ends.
      // The message insert re-reads the conversation inside it, refusing one closed meanwhile.
      const existing = row.conversation_sid
        ? await this.conversations.get(row.account_sid, row.conversation_sid)
        : undefined;
      if (row.conversation_sid && !existing)
        throw new ApiError(404, 20404, `Conversation ${row.conversation_sid} no longer exists`);
      const { kicks } = await this.database.transaction(async (tx) => {
        const conversation: Conversation =
          existing ??
          (await this.conversations.openWith(tx, row.account_sid, {
            address: effect.to,
            proxyAddress: effect.from,
          }));
        const [message] = await this.conversations.addMessages(tx, [
          {
            conversation,
            input: {
              author: effect.from || "system",
              body: effect.body,
              attributes: jsonObjectOr(effect.attributes, "{}"),
            },
          },
        ]);
        const outbound = {
          Sid: message!.sid,
          ConversationSid: conversation.sid,
          Index: message!.message_index,
          Author: message!.author,
          Body: message!.body ?? "",
          From: effect.from,
          To: effect.to,
          Status: "sent",
        };
        return this.advance(
          tx,
          row,
          { kind: "outcome", event: "sent", outputs: { outbound } },
          { conversationSid: conversation.sid },
        );
      });
      this.kickOthers(row, kicks);
    } catch (error) {
      if (!(error instanceof ApiError) || error.actor !== "caller") throw error;
      await this.record(row, { event: failure, outputs: { error: error.message } });
    }
  }

  /**
   * send-to-flex: a TaskRouter task on the widget's workflow carrying the conversation (the facts the
   * agent desktop needs win over the widget's attributes), created in the same commit as the
   * execution's move. The conversation's studio webhooks go: from now on it is the agent's.
   */
  private async sendToFlex(row: Execution, effect: Extract<Effect, { type: "send-to-flex" }>) {
    const entry = this.routing
      .list(row.account_sid)
      .find(({ router }) => router.catalog.workflows.has(effect.workflow));
    if (!entry)
      return this.record(row, {
        event: "failedToEnqueue",
        outputs: { error: `No workflow ${effect.workflow} in any workspace of the account` },
      });
    const conversation = row.conversation_sid
      ? await this.conversations.get(row.account_sid, row.conversation_sid)
      : undefined;
    const customer = conversation
      ? await this.conversations.getParticipantByAddress(conversation, row.contact_channel_address)
      : undefined;
    const attributes = {
      ...effect.attributes,
      ...(conversation && {
        conversationSid: conversation.sid,
        channelType: customer?.binding_type ?? "chat",
        from: row.contact_channel_address,
        customerAddress: row.contact_channel_address,
        direction: "inbound",
      }),
    };
    let kicks: string[] = [];
    try {
      await entry.router.submit(
        [
          {
            op: "createTask",
            task: {
              workflowSid: effect.workflow,
              channel: effect.channel,
              attributes,
              ...(effect.priority !== undefined && { priority: effect.priority }),
              ...(effect.timeout !== undefined && { timeout: effect.timeout }),
            },
          },
        ],
        async (tx, outcomes) => {
          const taskSid = outcomes[0]!.result as string;
          if (conversation)
            await this.conversations.removeStudioWebhooks(tx, row.account_sid, conversation.sid);
          try {
            const outputs = {
              sid: taskSid,
              workspace_sid: entry.workspace.sid,
              workflow_sid: effect.workflow,
            };
            kicks = (await this.advance(tx, row, { kind: "outcome", event: "callComplete", outputs })).kicks;
          } catch (error) {
            // Ended meanwhile (through the API): the task still stands, so the routing commit must.
            if (!(error instanceof StaleExecution)) throw error;
            this.logger.warn(
              { execution: row.sid, task: taskSid },
              "execution moved while its task was created",
            );
          }
        },
      );
    } catch (error) {
      if (!(error instanceof RoutingError)) throw error;
      return this.record(row, { event: "failedToEnqueue", outputs: { error: error.message } });
    }
    this.kickOthers(row, kicks);
  }

  /** run-subflow: a child execution of the named flow, for the same contact; the parent waits for it. */
  private async runSubflow(row: Execution, effect: Extract<Effect, { type: "run-subflow" }>) {
    const ref: RevisionRef =
      effect.revision === "LatestRevision" || effect.revision === "LatestPublished"
        ? effect.revision
        : Number(effect.revision);
    const revision = Number.isNaN(ref)
      ? undefined
      : await this.flows.revision(row.account_sid, effect.flowSid, ref);
    const refusal = !revision
      ? `No revision ${effect.revision} of flow ${effect.flowSid}`
      : revision.valid !== 1
        ? `Revision ${revision.revision} of flow ${effect.flowSid} is not valid`
        : (await this.depth(row)) >= MAX_SUBFLOW_DEPTH
          ? `Subflows nest more than ${MAX_SUBFLOW_DEPTH} deep`
          : undefined;
    if (refusal) return this.record(row, { event: "failed", outputs: { error: refusal } });
    const kicks = await this.database.transaction(async (tx) => {
      const state = JSON.parse(row.state) as ExecutionState;
      const parent = await this.executions.save(tx, row, { state, steps: [] }, { waiting: "subflow" });
      const child = await this.launch(tx, {
        accountSid: row.account_sid,
        revision: revision!,
        event: "incomingParent",
        trigger: {
          parent: { ExecutionSid: row.sid, FlowSid: row.flow_sid, parameters: effect.parameters },
        },
        contactAddress: row.contact_channel_address,
        channelAddress: row.channel_address,
        data: effect.parameters,
        conversationSid: parent.conversation_sid,
        parentSid: row.sid,
        initiatedBy: row.sid,
      });
      return child.kicks;
    });
    this.kickOthers(row, kicks);
  }

  private async depth(row: Execution): Promise<number> {
    let depth = 0;
    let parent = row.parent_sid;
    while (parent && depth <= MAX_SUBFLOW_DEPTH) {
      depth++;
      parent = (await this.executions.load(parent))?.parent_sid ?? null;
    }
    return depth;
  }

  /** The execution itself is looked at again by its own loop; others start theirs. */
  private kickOthers(row: Execution, kicks: string[]): void {
    this.kick(kicks.filter((sid) => sid !== row.sid));
  }

  // ------------------------------------------------------------------------------------------
  // The poll: timeouts, and effects a crash left behind

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.logger.error({ err: error }, "flow timer pass failed"))
        .finally(() => {
          this.ticking = undefined;
          this.schedule();
        });
    }, this.options.pollIntervalMs);
  }

  private async tick(): Promise<void> {
    const now = this.clock.now();
    for (const sid of await this.executions.dueReplies(now, 100)) {
      const row = await this.executions.load(sid);
      if (row?.waiting !== "reply" || row.due_at === null) continue;
      try {
        const { kicks } = await this.database.transaction((tx) => this.advance(tx, row, { kind: "timeout" }));
        this.kick(kicks);
      } catch (error) {
        if (!(error instanceof StaleExecution)) throw error;
      }
    }
    // Right after a start, every waiting effect was left by the previous process.
    const before = this.firstTick ? now : now - STALLED_EFFECT_MS;
    this.firstTick = false;
    this.kick((await this.executions.stalledEffects(before, 100)).filter((sid) => !this.busy.has(sid)));
  }

  // ------------------------------------------------------------------------------------------
  // Programs

  private async programOf(row: Execution, db: Tx["db"]): Promise<RunnableFlow> {
    const cached = this.programs.get(`${row.flow_sid} ${row.flow_revision}`);
    if (cached) return cached;
    const revision = await this.flows.revision(row.account_sid, row.flow_sid, row.flow_revision, db);
    if (!revision) throw new Error(`revision ${row.flow_revision} of flow ${row.flow_sid} is missing`);
    return this.program(revision);
  }

  private program(revision: FlowRevision): RunnableFlow {
    const key = `${revision.flow_sid} ${revision.revision}`;
    let program = this.programs.get(key);
    if (!program) {
      program = new RunnableFlow(definitionOf(revision), this.templates);
      if (this.programs.size >= PROGRAMS_KEPT) this.programs.delete(this.programs.keys().next().value!);
      this.programs.set(key, program);
    }
    return program;
  }

  /** Whether a revision's trigger starts anything on `event`. */
  startsOn(revision: FlowRevision, event: TriggerEvent): boolean {
    return this.program(revision).startsOn(event);
  }
}

/** `text` when it is a JSON object, else `fallback`: message attributes must be one. */
function jsonObjectOr(text: string, fallback: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? text : fallback;
  } catch {
    return fallback;
  }
}
