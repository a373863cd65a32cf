import {
  describeEvent,
  eventCallbackParams,
  RoutingEngine,
  RoutingError,
  type Clock,
  type Outcome,
  type SidGenerator,
  type SidPrefix,
  type WorkspaceIdentity,
} from "@switchboard/engine";
import type { Logger } from "pino";
import type { Database, Tx } from "../platform/db/database.ts";
import type { EventLog } from "../platform/events/event-log.ts";
import { applyCommand, Catalog, type RoutingCommand } from "./commands.ts";

/**
 * The engine's clock while the writer runs it: frozen for the length of one command (so a command
 * reads one time, which is what is recorded and replayed) and never moving backwards.
 */
class CommandClock implements Clock {
  private current = 0;

  now(): number {
    return this.current;
  }

  /** Moves to `ms`, or stays if that would go back (the system clock can step backwards). */
  set(ms: number): number {
    this.current = Math.max(this.current, ms);
    return this.current;
  }
}

/** Hands out fresh SIDs while recording them, or, during replay, the SIDs a command recorded. */
class RecordingSids implements SidGenerator {
  private recorded: string[] = [];
  private replaying: string[] | undefined;

  constructor(private readonly fresh: SidGenerator) {}

  next(prefix: SidPrefix): string {
    if (this.replaying) {
      const sid = this.replaying.shift();
      if (!sid?.startsWith(prefix)) throw new Error(`replay diverged: expected a ${prefix} SID, got ${sid}`);
      return sid;
    }
    const sid = this.fresh.next(prefix);
    this.recorded.push(sid);
    return sid;
  }

  record(): void {
    this.recorded = [];
    this.replaying = undefined;
  }

  replay(sids: string[]): void {
    this.replaying = [...sids];
  }

  /** The SIDs the command just run made; during replay, checks it used all it recorded. */
  finish(): string[] {
    if (this.replaying?.length) throw new Error(`replay diverged: ${this.replaying.length} SIDs unused`);
    this.replaying = undefined;
    return this.recorded;
  }
}

type AlsoInTx = (tx: Tx, outcomes: Array<Outcome<unknown>>) => Promise<void>;

interface CommandRow {
  seq: number;
  at: number;
  command: RoutingCommand;
  sids: string[];
}

interface Submission {
  commands: RoutingCommand[];
  /** Extra writes that commit in the same transaction (e.g. the workspace row), seeing the outcomes. */
  alsoInTx: AlsoInTx | undefined;
  resolve: (outcomes: Array<Outcome<unknown>>) => void;
  reject: (error: unknown) => void;
}

/**
 * The one writer of a workspace's routing state. Commands are applied one at a time through the
 * engine; the commands applied while the previous commit was in flight are committed together (group
 * commit), each recorded with its time and SIDs beside the events it produced, in one transaction.
 * A caller hears back only after that commit, so everything acknowledged survives a crash.
 *
 * If a commit fails the engine is ahead of the database: the writer rebuilds it from the log before
 * taking the next command, and the callers of the failed batch get the error.
 */
export class WorkspaceRouter {
  private engine!: RoutingEngine;
  private catalogState!: Catalog;
  private readonly clock = new CommandClock();
  private readonly ids: RecordingSids;
  private seq = 0;
  private queue: Submission[] = [];
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly identity: WorkspaceIdentity,
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly fresh: SidGenerator,
    private readonly systemClock: Clock,
    private readonly logger: Logger,
  ) {
    this.ids = new RecordingSids(fresh);
    this.reset();
  }

  /** A SID for a resource the API names before the engine sees it (activities, queues, ...). */
  nextSid(prefix: SidPrefix): string {
    return this.fresh.next(prefix);
  }

  /** The engine, for reads. Its state may be ahead of the database by the batch being committed. */
  get routing(): RoutingEngine {
    return this.engine;
  }

  /**
   * Brings the engine's clock up to the present for a read whose answer depends on the time (ages,
   * statistics windows); between commands the clock otherwise stays at the last command's time.
   */
  now(): number {
    return this.clock.set(this.systemClock.now());
  }

  get catalog(): Catalog {
    return this.catalogState;
  }

  /** Rebuilds the state from the command log, then arms the timer for whatever is due. */
  async load(): Promise<void> {
    this.reset();
    const batch = 5000;
    for (let after = 0; ;) {
      const rows = await this.database.db
        .selectFrom("routing_commands")
        .select(["seq", "at", "command", "sids"])
        .where("workspace_sid", "=", this.identity.workspaceSid)
        .where("seq", ">", after)
        .orderBy("seq")
        .limit(batch)
        .execute();
      for (const row of rows) {
        this.clock.set(Number(row.at));
        this.ids.replay(JSON.parse(row.sids) as string[]);
        applyCommand(this.engine, this.catalogState, JSON.parse(row.command) as RoutingCommand, row.at);
        this.ids.finish();
        this.seq = row.seq;
      }
      if (rows.length < batch) break;
      after = rows.at(-1)!.seq;
    }
    this.arm();
  }

  /** Applies commands in order and resolves with their outcomes once committed. All or nothing. */
  submit(commands: RoutingCommand[], alsoInTx?: AlsoInTx): Promise<Array<Outcome<unknown>>> {
    if (this.closed) return Promise.reject(new Error("the workspace router is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ commands, alsoInTx, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** One command; its result (a new SID, for creations). */
  async run<T = void>(command: RoutingCommand): Promise<T> {
    const [outcome] = await this.submit([command]);
    return outcome!.result as T;
  }

  /** Stops the timer and waits for commits in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    while (this.draining) await this.draining;
  }

  private reset(): void {
    this.engine = new RoutingEngine({ clock: this.clock, ids: this.ids });
    this.catalogState = new Catalog();
    this.seq = 0;
  }

  /**
   * Runs until the queue is empty. A submission made after the loop last looked at the queue but
   * before `draining` was cleared (a caller submitting again as soon as its previous submission
   * resolved) saw a drain running and started none: so look once more after clearing.
   */
  private async drain(): Promise<void> {
    // Let the rest of this I/O turn submit too, so requests that arrived together commit together
    // (with SQLite's synchronous driver, a commit would otherwise finish before the next is read).
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await this.drainQueue();
    } finally {
      this.draining = undefined;
    }
    if (this.queue.length > 0) this.draining = this.drain();
    else this.arm();
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      const accepted: Submission[] = [];
      const results: Array<Array<Outcome<unknown>>> = [];
      const rows: CommandRow[] = [];
      let stale = false;
      for (let i = 0; i < batch.length; i++) {
        const submission = batch[i]!;
        const applied = this.applyAll(submission.commands);
        if ("error" in applied) {
          submission.reject(applied.error);
          if (applied.partial) {
            // The engine holds changes that will not be committed: commit the batch so far, rebuild
            // from the log, and only then run the submissions after it.
            this.queue.unshift(...batch.slice(i + 1));
            stale = true;
            break;
          }
          continue;
        }
        accepted.push(submission);
        results.push(applied.outcomes);
        rows.push(...applied.rows);
      }
      if (accepted.length > 0) {
        try {
          await this.commit(
            rows,
            results.flat(),
            accepted.map((s, i) => s.alsoInTx && ((tx: Tx) => s.alsoInTx!(tx, results[i]!))),
          );
          accepted.forEach((submission, i) => submission.resolve(results[i]!));
        } catch (error) {
          this.logger.error({ err: error, workspace: this.identity.workspaceSid }, "routing commit failed");
          for (const submission of accepted) submission.reject(error);
          stale = true;
        }
      }
      if (stale) await this.load();
    }
  }

  /**
   * Runs a submission's commands, stopping at the first that fails. A RoutingError is a refusal that
   * changed nothing; `partial` says the engine may hold changes that will not be committed — commands
   * before it already ran, or the failure was not a refusal (a fault part-way through a command).
   */
  private applyAll(
    commands: RoutingCommand[],
  ): { outcomes: Array<Outcome<unknown>>; rows: CommandRow[] } | { error: unknown; partial: boolean } {
    const outcomes: Array<Outcome<unknown>> = [];
    const rows: CommandRow[] = [];
    for (const command of commands) {
      const at = this.clock.set(this.systemClock.now());
      this.ids.record();
      try {
        outcomes.push(applyCommand(this.engine, this.catalogState, command, at));
      } catch (error) {
        this.ids.finish();
        return { error, partial: rows.length > 0 || !(error instanceof RoutingError) };
      }
      rows.push({ seq: ++this.seq, at, command, sids: [...this.ids.finish()] });
    }
    return { outcomes, rows };
  }

  private async commit(
    rows: CommandRow[],
    outcomes: Array<Outcome<unknown>>,
    extras: Array<((tx: Tx) => Promise<void>) | undefined>,
  ): Promise<void> {
    const { accountSid, workspaceSid } = this.identity;
    const commands = rows.map((row) => ({
      workspace_sid: workspaceSid,
      seq: row.seq,
      at: row.at,
      command: JSON.stringify(row.command),
      sids: JSON.stringify(row.sids),
    }));
    const drafts = outcomes.flatMap((outcome) =>
      outcome.events.map((event) => ({
        eventType: event.type,
        resourceType: event.resourceType,
        resourceSid: event.resourceSid,
        description: describeEvent(event),
        data: eventCallbackParams(event, this.identity),
        scopeSid: workspaceSid,
      })),
    );
    const first = extras.some(Boolean)
      ? async (tx: Tx) => {
          for (const extra of extras) await extra?.(tx);
        }
      : undefined;
    await this.events.appendAtomically(
      accountSid,
      drafts,
      [{ table: "routing_commands", rows: commands }],
      first,
    );
  }

  /** Wakes the engine when its next timer is due; the firing is a command like any other. */
  private arm(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    const next = this.engine.nextTimerAt();
    if (next === undefined) return;
    const delay = Math.max(0, Math.min(next - this.systemClock.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => {
      this.submit([{ op: "fireDueTimers" }]).catch((error: unknown) =>
        this.logger.error({ err: error, workspace: this.identity.workspaceSid }, "routing timers failed"),
      );
    }, delay);
    this.timer.unref();
  }
}
