import type { Clock, ExecutionState, Progress, SidGenerator } from "@switchboard/engine";
import type { Database, Tx } from "../platform/db/database.ts";
import type { FlowExecutionsTable, FlowStepsTable, FlowWaiting } from "../platform/db/schema.ts";
import { byCreation, rowCreationKey } from "../platform/http/keyset.ts";
import { pageOf, type Page, type PageRequest } from "../platform/http/paging.ts";
import { isoAt } from "../platform/time.ts";

export type Execution = FlowExecutionsTable;
export type ExecutionStep = FlowStepsTable;

/** Another writer changed the execution since it was read: read it again and start over. */
export class StaleExecution extends Error {
  override name = "StaleExecution";
  constructor(sid: string) {
    super(`execution ${sid} changed while it was being advanced`);
  }
}

type Db = Database["db"] | Tx["db"];

/**
 * Executions and their steps. Writers never hold a lock across their work: each reads a version,
 * does its work, and saves only if the version is still the one it read (`save`), so two nodes, or
 * a reply racing a timeout, never both move one execution on.
 */
export class ExecutionStore {
  constructor(
    private readonly database: Database,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {}

  /** A new execution row for `progress`, which the caller inserts with `insert`. */
  draft(
    fields: Pick<
      Execution,
      | "sid"
      | "account_sid"
      | "flow_sid"
      | "flow_revision"
      | "parent_sid"
      | "contact_channel_address"
      | "channel_address"
      | "conversation_sid"
      | "initiated_by"
    >,
  ): Execution {
    const now = isoAt(this.clock.now());
    return {
      ...fields,
      contact_sid: this.ids.next("FC"),
      status: "active",
      state: "{}",
      waiting: null,
      due_at: null,
      version: 0,
      ended_reason: null,
      date_created: now,
      date_updated: now,
    };
  }

  async insert(tx: Tx, row: Execution, progress: Progress): Promise<Execution> {
    const saved = { ...row, ...fieldsOf(progress.state), version: 1 };
    await tx.db.insertInto("flow_executions").values(saved).execute();
    await this.addSteps(tx, saved, progress, 0);
    return saved;
  }

  /** Writes `progress` over `row` if nobody changed it since it was read; `waiting` overrides the wait kind. */
  async save(
    tx: Tx,
    row: Execution,
    progress: Progress,
    changes: { conversationSid?: string; waiting?: FlowWaiting } = {},
  ): Promise<Execution> {
    const next: Execution = {
      ...row,
      ...fieldsOf(progress.state),
      ...(changes.waiting && { waiting: changes.waiting }),
      conversation_sid: changes.conversationSid ?? row.conversation_sid,
      version: row.version + 1,
      date_updated: isoAt(this.clock.now()),
    };
    const updated = await tx.db
      .updateTable("flow_executions")
      .set({
        status: next.status,
        state: next.state,
        waiting: next.waiting,
        due_at: next.due_at,
        ended_reason: next.ended_reason,
        conversation_sid: next.conversation_sid,
        version: next.version,
        date_updated: next.date_updated,
      })
      .where("sid", "=", row.sid)
      .where("version", "=", row.version)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new StaleExecution(row.sid);
    if (progress.steps.length === 0) return next;
    const steps = await tx.db
      .selectFrom("flow_steps")
      .select((eb) => eb.fn.max<number>("seq").as("last"))
      .where("execution_sid", "=", row.sid)
      .executeTakeFirst();
    await this.addSteps(tx, next, progress, Number(steps?.last ?? 0));
    return next;
  }

  private async addSteps(tx: Tx, row: Execution, progress: Progress, after: number): Promise<void> {
    if (progress.steps.length === 0) return;
    const now = isoAt(this.clock.now());
    await tx.db
      .insertInto("flow_steps")
      .values(
        progress.steps.map((step, i) => ({
          sid: this.ids.next("FT"),
          account_sid: row.account_sid,
          flow_sid: row.flow_sid,
          execution_sid: row.sid,
          seq: after + i + 1,
          name: step.name,
          type: step.type,
          transitioned_from: step.transitionedFrom,
          transitioned_to: step.transitionedTo,
          context: JSON.stringify(step.context),
          date_created: now,
        })),
      )
      .execute();
  }

  /** Any account's execution, for the runner's own work (never for a caller's request). */
  async load(sid: string, db: Db = this.database.db): Promise<Execution | undefined> {
    return db.selectFrom("flow_executions").selectAll().where("sid", "=", sid).executeTakeFirst();
  }

  async get(accountSid: string, flowSid: string, sid: string): Promise<Execution | undefined> {
    return this.database.db
      .selectFrom("flow_executions")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("flow_sid", "=", flowSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
  }

  async list(
    accountSid: string,
    flowSid: string,
    filter: { from?: string; to?: string },
    request: PageRequest,
  ): Promise<Page<Execution>> {
    let query = this.database.db
      .selectFrom("flow_executions")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("flow_sid", "=", flowSid);
    if (filter.from) query = query.where("date_created", ">=", filter.from);
    if (filter.to) query = query.where("date_created", "<=", filter.to);
    return pageOf(await byCreation(query, request, "desc").execute(), request, rowCreationKey);
  }

  async remove(accountSid: string, flowSid: string, sid: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const removed = await tx.db
        .deleteFrom("flow_executions")
        .where("account_sid", "=", accountSid)
        .where("flow_sid", "=", flowSid)
        .where("sid", "=", sid)
        .returning("sid")
        .executeTakeFirst();
      if (!removed) return false;
      await tx.db
        .deleteFrom("flow_steps")
        .where("account_sid", "=", accountSid)
        .where("execution_sid", "=", sid)
        .execute();
      return true;
    });
  }

  async steps(accountSid: string, executionSid: string, request: PageRequest): Promise<Page<ExecutionStep>> {
    let query = this.database.db
      .selectFrom("flow_steps")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("execution_sid", "=", executionSid);
    if (request.after) query = query.where("seq", ">", Number(request.after[0]));
    const rows = await query
      .orderBy("seq")
      .limit(request.pageSize + 1)
      .offset(request.offset)
      .execute();
    return pageOf(rows, request, (row) => [row.seq]);
  }

  async step(accountSid: string, executionSid: string, sid: string): Promise<ExecutionStep | undefined> {
    return this.database.db
      .selectFrom("flow_steps")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("execution_sid", "=", executionSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
  }

  /** The active executions of a conversation, newest first (a subflow before the parent waiting on it). */
  async activeIn(
    accountSid: string,
    conversationSid: string,
    db: Db = this.database.db,
  ): Promise<Execution[]> {
    return db
      .selectFrom("flow_executions")
      .selectAll()
      .where("conversation_sid", "=", conversationSid)
      .where("status", "=", "active")
      .where("account_sid", "=", accountSid)
      .orderBy("date_created", "desc")
      .orderBy("sid", "desc")
      .execute();
  }

  /** Of these conversations, those with an active execution or a studio webhook. */
  async conversationsWithFlows(accountSids: string[], conversationSids: string[]): Promise<Set<string>> {
    const running = await this.database.db
      .selectFrom("flow_executions")
      .select("conversation_sid")
      .where("conversation_sid", "in", conversationSids)
      .where("status", "=", "active")
      .where("account_sid", "in", accountSids)
      .execute();
    const bound = await this.database.db
      .selectFrom("conversation_webhooks")
      .select("conversation_sid")
      .where("account_sid", "in", accountSids)
      .where("conversation_sid", "in", conversationSids)
      .where("target", "=", "studio")
      .execute();
    return new Set(
      [...running, ...bound].flatMap((row) => (row.conversation_sid ? [row.conversation_sid] : [])),
    );
  }

  /** An active execution of the flow for this contact, if any: Studio runs one per contact. */
  async activeFor(
    accountSid: string,
    flowSid: string,
    contactAddress: string,
  ): Promise<Execution | undefined> {
    return this.database.db
      .selectFrom("flow_executions")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("flow_sid", "=", flowSid)
      .where("contact_channel_address", "=", contactAddress)
      .where("status", "=", "active")
      .where("parent_sid", "is", null)
      .executeTakeFirst();
  }

  /** Executions whose wait for a reply ran out by `now`. */
  async dueReplies(now: number, limit: number): Promise<string[]> {
    const rows = await this.database.db
      .selectFrom("flow_executions")
      .select("sid")
      .where("status", "=", "active")
      .where("waiting", "=", "reply")
      .where("due_at", "<=", isoAt(now))
      .orderBy("due_at")
      .limit(limit)
      .execute();
    return rows.map((row) => row.sid);
  }

  /** Executions with an effect to perform that nobody has touched since `before`: left by a crash. */
  async stalledEffects(before: number, limit: number): Promise<string[]> {
    const rows = await this.database.db
      .selectFrom("flow_executions")
      .select("sid")
      .where("status", "=", "active")
      .where("waiting", "=", "effect")
      .where("date_updated", "<=", isoAt(before))
      .limit(limit)
      .execute();
    return rows.map((row) => row.sid);
  }
}

/** The columns copied out of an interpreter state. */
function fieldsOf(state: ExecutionState) {
  const wait = state.wait;
  return {
    status: state.status,
    state: JSON.stringify(state),
    waiting: wait ? (wait.kind === "reply" ? ("reply" as const) : ("effect" as const)) : null,
    due_at: wait?.kind === "reply" ? isoAt(wait.dueAt) : null,
    ended_reason: state.endReason,
  };
}
