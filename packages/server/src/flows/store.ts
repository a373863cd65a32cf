import type { Clock, FlowCheck, FlowDefinition, SidGenerator } from "@switchboard/engine";
import type { Database, Tx } from "../platform/db/database.ts";
import type { FlowRevisionsTable, FlowStatus, FlowsTable } from "../platform/db/schema.ts";
import { byCreation, rowCreationKey } from "../platform/http/keyset.ts";
import { pageOf, type Page, type PageRequest } from "../platform/http/paging.ts";
import { isoAt } from "../platform/time.ts";

export type Flow = FlowsTable;
export type FlowRevision = FlowRevisionsTable;

export interface FlowSave {
  friendlyName: string;
  status: FlowStatus;
  /** The checked definition: what is stored is its normalised form, with its errors and warnings. */
  check: FlowCheck;
  commitMessage?: string | null;
}

/** Which revision of a flow: a number, the newest, or the newest published. */
export type RevisionRef = number | "LatestRevision" | "LatestPublished";

/**
 * Studio flows and their revisions, scoped by account. Every save is a new revision, kept forever
 * (executions name the revision they run); the flow row mirrors the latest.
 */
export class FlowStore {
  constructor(
    private readonly database: Database,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {}

  async create(accountSid: string, save: FlowSave): Promise<Flow> {
    const now = isoAt(this.clock.now());
    const flow: Flow = {
      sid: this.ids.next("FW"),
      account_sid: accountSid,
      revision: 1,
      test_users: "[]",
      ...revisionFields(save),
      date_created: now,
      date_updated: now,
    };
    await this.database.transaction(async (tx) => {
      await tx.db.insertInto("flows").values(flow).execute();
      await tx.db.insertInto("flow_revisions").values(revisionOf(flow)).execute();
    });
    return flow;
  }

  async get(accountSid: string, sid: string): Promise<Flow | undefined> {
    return this.database.db
      .selectFrom("flows")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
  }

  async list(accountSid: string, request: PageRequest): Promise<Page<Flow>> {
    const query = this.database.db.selectFrom("flows").selectAll().where("account_sid", "=", accountSid);
    return pageOf(await byCreation(query, request).execute(), request, rowCreationKey);
  }

  /** Saves a new revision (fields not given keep their values); undefined when there is no such flow. */
  async update(
    accountSid: string,
    sid: string,
    changes: { status: FlowStatus; friendlyName?: string; check?: FlowCheck; commitMessage?: string },
  ): Promise<Flow | undefined> {
    return this.database.transaction(async (tx) => {
      const current = await tx.db
        .selectFrom("flows")
        .selectAll()
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .executeTakeFirst();
      if (!current) return undefined;
      const revision = changes.check
        ? revisionFields({
            friendlyName: changes.friendlyName ?? current.friendly_name,
            status: changes.status,
            check: changes.check,
            commitMessage: changes.commitMessage ?? null,
          })
        : {
            friendly_name: changes.friendlyName ?? current.friendly_name,
            status: changes.status,
            definition: current.definition,
            commit_message: changes.commitMessage ?? null,
            valid: current.valid,
            errors: current.errors,
            warnings: current.warnings,
          };
      const flow: Flow = {
        ...current,
        ...revision,
        revision: current.revision + 1,
        date_updated: isoAt(this.clock.now()),
      };
      await tx.db
        .updateTable("flows")
        .set(flow)
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .execute();
      await tx.db.insertInto("flow_revisions").values(revisionOf(flow)).execute();
      return flow;
    });
  }

  async setTestUsers(accountSid: string, sid: string, users: string[]): Promise<Flow | undefined> {
    return this.database.db
      .updateTable("flows")
      .set({ test_users: JSON.stringify(users) })
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .returningAll()
      .executeTakeFirst();
  }

  /** Deletes a flow with its revisions, executions and their steps. */
  async remove(accountSid: string, sid: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const removed = await tx.db
        .deleteFrom("flows")
        .where("account_sid", "=", accountSid)
        .where("sid", "=", sid)
        .returning("sid")
        .executeTakeFirst();
      if (!removed) return false;
      await tx.db
        .deleteFrom("flow_revisions")
        .where("account_sid", "=", accountSid)
        .where("flow_sid", "=", sid)
        .execute();
      await tx.db
        .deleteFrom("flow_steps")
        .where("account_sid", "=", accountSid)
        .where("flow_sid", "=", sid)
        .execute();
      await tx.db
        .deleteFrom("flow_executions")
        .where("account_sid", "=", accountSid)
        .where("flow_sid", "=", sid)
        .execute();
      return true;
    });
  }

  /**
   * Why messages could not start the flow, if they could not: it does not exist, or nothing of it
   * is published and valid. Bindings check this so that customers are never left writing to a flow
   * that cannot answer.
   */
  async bindingProblem(accountSid: string, flowSid: string): Promise<string | undefined> {
    if (!(await this.get(accountSid, flowSid))) return `no flow ${flowSid}`;
    if (!(await this.revision(accountSid, flowSid, "LatestPublished")))
      return `flow ${flowSid} has no valid published revision; publish it first`;
    return undefined;
  }

  async revision(
    accountSid: string,
    flowSid: string,
    ref: RevisionRef,
    db: Database["db"] | Tx["db"] = this.database.db,
  ): Promise<FlowRevision | undefined> {
    let query = db
      .selectFrom("flow_revisions")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("flow_sid", "=", flowSid);
    if (typeof ref === "number") query = query.where("revision", "=", ref);
    else if (ref === "LatestPublished")
      query = query.where("status", "=", "published").where("valid", "=", 1);
    return query.orderBy("revision", "desc").limit(1).executeTakeFirst();
  }

  async revisions(accountSid: string, flowSid: string, request: PageRequest): Promise<Page<FlowRevision>> {
    let query = this.database.db
      .selectFrom("flow_revisions")
      .selectAll()
      .where("account_sid", "=", accountSid)
      .where("flow_sid", "=", flowSid);
    if (request.after) query = query.where("revision", "<", Number(request.after[0]));
    const rows = await query
      .orderBy("revision", "desc")
      .limit(request.pageSize + 1)
      .offset(request.offset)
      .execute();
    return pageOf(rows, request, (row) => [row.revision]);
  }
}

function revisionFields(save: FlowSave) {
  return {
    friendly_name: save.friendlyName,
    status: save.status,
    definition: JSON.stringify(save.check.definition),
    commit_message: save.commitMessage ?? null,
    valid: save.check.errors.length === 0 ? 1 : 0,
    errors: JSON.stringify(save.check.errors),
    warnings: JSON.stringify(save.check.warnings),
  };
}

function revisionOf(flow: Flow): FlowRevision {
  const { sid, test_users: _testUsers, ...rest } = flow;
  return { ...rest, flow_sid: sid };
}

export function definitionOf(revision: { definition: string }): FlowDefinition {
  return JSON.parse(revision.definition) as FlowDefinition;
}
