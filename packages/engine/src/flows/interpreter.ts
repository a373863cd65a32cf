import { conditionHolds } from "./conditions.ts";
import type { FlowDefinition, WidgetState } from "./definition.ts";
import { TemplateError, type Templates } from "./templates.ts";
import { FAILURE_EVENT, WIDGETS, type TriggerEvent } from "./widgets.ts";

/**
 * The Studio flow interpreter: a flow is a state machine of widgets, and an execution's state is
 * plain JSON (`ExecutionState`) that the host stores between steps — so an execution can wait days
 * for a reply and resume in another process after a restart.
 *
 * The interpreter does no I/O. Logic widgets (set-variables, split-based-on) run inside it; a widget
 * that needs the world (send a message, call a URL, create a task, run a subflow) stops the
 * execution with an `Effect` for the host to perform, and the host resumes it with the outcome.
 * Given the same state, input and time it always does the same thing.
 */

/** Studio's limits: an execution ends after this many steps, or when one widget runs this often in a row. */
export const MAX_STEPS = 1_000;
export const MAX_VISITS_WITHOUT_INPUT = 10;

/** What Liquid templates see. */
export interface FlowContext {
  flow: {
    /** The execution's SID (Studio calls it the flow's). */
    sid: string;
    flow_sid: string;
    /** Our side of the conversation: the number, address or page the execution speaks from. */
    channel: { address: string };
    /** The REST trigger's Parameters, or a subflow's. */
    data: Record<string, unknown>;
    /** What set-variables widgets wrote. */
    variables: Record<string, unknown>;
  };
  trigger: Record<string, unknown>;
  widgets: Record<string, Record<string, unknown>>;
  contact: { channel: { address: string } };
}

export type Effect =
  | {
      type: "send-message";
      widget: string;
      from: string;
      to: string;
      body: string;
      /** Message attributes (JSON text) and media URL, as rendered. */
      attributes: string;
      mediaUrl: string;
      /** send-and-wait-for-reply: after sending, wait this long (ms) for the contact's answer. */
      waitMs?: number;
    }
  | {
      type: "http-request";
      widget: string;
      method: "GET" | "POST";
      url: string;
      contentType: "form" | "json";
      /** The JSON body (json requests). */
      body: string;
      /** Form fields (POST) or query parameters (GET). */
      parameters: Array<{ key: string; value: string }>;
    }
  | {
      type: "run-function";
      widget: string;
      url: string;
      parameters: Array<{ key: string; value: string }>;
    }
  | {
      type: "send-to-flex";
      widget: string;
      workflow: string;
      channel: string;
      /** The task's attributes, parsed from the rendered JSON. */
      attributes: Record<string, unknown>;
      priority?: number;
      timeout?: number;
    }
  | {
      type: "run-subflow";
      widget: string;
      flowSid: string;
      revision: string;
      parameters: Record<string, string>;
    };

export type Wait =
  | { kind: "effect"; effect: Effect }
  /** send-and-wait-for-reply sent its message and waits for the contact until `dueAt` (ms). */
  | { kind: "reply"; widget: string; dueAt: number };

export interface ExecutionState {
  status: "active" | "ended";
  context: FlowContext;
  /** What the execution waits for while active. */
  wait: Wait | null;
  steps: number;
  /** Runs of each widget since the execution last heard from its contact (the loop guard). */
  visits: Record<string, number>;
  /** Why an execution ended other than by reaching a transition with nowhere to go. */
  endReason: string | null;
}

/** A transition taken, as the Steps API shows it. */
export interface Step {
  /** The event that moved the execution on. */
  name: string;
  /** The type of the widget that moved on. */
  type: string;
  transitionedFrom: string;
  /** The next widget, or `Ended`. */
  transitionedTo: string;
  /** What the widget produced. */
  context: Record<string, unknown>;
}

export interface Progress {
  state: ExecutionState;
  /** The steps this call took, in order. */
  steps: Step[];
}

export type ExecutionInput =
  /** The outcome of the effect the execution waits for: the widget's event and its outputs. */
  | { kind: "outcome"; event: string; outputs: Record<string, unknown> }
  /** The contact answered a send-and-wait-for-reply. */
  | { kind: "reply"; inbound: Record<string, unknown> }
  /** A send-and-wait-for-reply's wait ran out. */
  | { kind: "timeout" }
  /** The message a send-and-wait-for-reply sent could not be delivered. */
  | { kind: "undelivered"; error: string }
  /** Someone ended the execution (the API's Status=ended). */
  | { kind: "stop"; reason: string };

export interface ExecutionStart {
  executionSid: string;
  flowSid: string;
  event: TriggerEvent;
  trigger: Record<string, unknown>;
  channelAddress: string;
  contactAddress: string;
  data: Record<string, unknown>;
}

export const ENDED = "Ended";

/** A flow definition made ready to run: widgets by name. Build once per revision. */
export class RunnableFlow {
  private readonly widgets: Map<string, WidgetState>;

  constructor(
    readonly definition: FlowDefinition,
    private readonly templates: Templates,
  ) {
    this.widgets = new Map(definition.states.map((state) => [state.name, state]));
  }

  /** Whether the trigger starts anything on `event`: a host picks the event a message starts with. */
  startsOn(event: TriggerEvent): boolean {
    return this.nextAfter(this.trigger(), event) !== undefined;
  }

  start(start: ExecutionStart): Progress {
    const state: ExecutionState = {
      status: "active",
      context: {
        flow: {
          sid: start.executionSid,
          flow_sid: start.flowSid,
          channel: { address: start.channelAddress },
          data: start.data,
          variables: {},
        },
        trigger: start.trigger,
        widgets: {},
        contact: { channel: { address: start.contactAddress } },
      },
      wait: null,
      steps: 0,
      visits: {},
      endReason: null,
    };
    const run = new Run(this, this.templates, state);
    run.follow(this.trigger(), start.event, {});
    return run.progress();
  }

  resume(previous: ExecutionState, input: ExecutionInput, now: number): Progress {
    const state = structuredClone(previous);
    const run = new Run(this, this.templates, state);
    const wait = state.wait;
    if (state.status !== "active" || !wait) throw new Error("the execution is not waiting");
    if (input.kind === "stop") {
      run.end(input.reason);
      return run.progress();
    }
    const widgetName = wait.kind === "effect" ? wait.effect.widget : wait.widget;
    const widget = this.widget(widgetName);
    state.wait = null;
    if (wait.kind === "reply") {
      if (input.kind === "outcome") throw new Error(`${widgetName} waits for a reply, not an outcome`);
      // A wait that ended (the contact answered, or time passed) is the progress the loop guard looks for.
      state.visits = {};
      const sent = state.context.widgets[widgetName] ?? {};
      if (input.kind === "reply") run.follow(widget, "incomingMessage", { ...sent, inbound: input.inbound });
      else if (input.kind === "undelivered")
        run.follow(widget, "deliveryFailure", { ...sent, error: input.error });
      else run.follow(widget, "timeout", sent);
      return run.progress();
    }
    if (input.kind !== "outcome") throw new Error(`${widgetName} waits for its effect's outcome`);
    const effect = wait.effect;
    if (effect.type === "send-message" && effect.waitMs !== undefined && input.event === "sent") {
      // Sent: now wait for the contact's answer, keeping what was sent for the templates.
      state.context.widgets[widgetName] = input.outputs;
      state.wait = { kind: "reply", widget: widgetName, dueAt: now + effect.waitMs };
      return run.progress();
    }
    run.follow(widget, input.event, input.outputs);
    return run.progress();
  }

  widget(name: string): WidgetState {
    const widget = this.widgets.get(name);
    if (!widget) throw new Error(`the flow has no widget ${name}`);
    return widget;
  }

  nextAfter(widget: WidgetState, event: string): string | undefined {
    const next = widget.transitions.find((transition) => transition.event === event)?.next;
    return next === "" ? undefined : next;
  }

  private trigger(): WidgetState {
    return this.widget(this.definition.initial_state);
  }
}

/** One call's worth of progress through an execution: runs widgets until it must wait or ends. */
class Run {
  private readonly steps: Step[] = [];

  constructor(
    private readonly flow: RunnableFlow,
    private readonly templates: Templates,
    private readonly state: ExecutionState,
  ) {}

  progress(): Progress {
    return { state: this.state, steps: this.steps };
  }

  end(reason: string | null): void {
    this.state.status = "ended";
    this.state.wait = null;
    this.state.endReason = reason;
  }

  /**
   * Leaves `widget` on `event` with `outputs`, then runs widgets until one waits or the execution
   * ends. `to` overrides where the event leads (a split's chosen `match` branch: there are several;
   * an empty `to` ends the execution).
   */
  follow(widget: WidgetState, event: string, outputs: Record<string, unknown>, to?: string): void {
    let from = widget;
    let on = event;
    let produced = outputs;
    let target = to;
    for (;;) {
      if (from.type !== "trigger") this.state.context.widgets[from.name] = produced;
      const next = target === undefined ? this.flow.nextAfter(from, on) : target || undefined;
      this.steps.push({
        name: on,
        type: from.type,
        transitionedFrom: from.name,
        transitionedTo: next ?? ENDED,
        context: produced,
      });
      if (next === undefined) return this.end(null);
      const widgetNext = this.flow.widget(next);
      const refusal = this.count(widgetNext);
      if (refusal) return this.end(refusal);
      const moved = this.enter(widgetNext);
      if (!moved) return;
      [from, on, produced, target] = [widgetNext, moved.event, moved.outputs, moved.next];
    }
  }

  private count(widget: WidgetState): string | undefined {
    this.state.steps += 1;
    if (this.state.steps > MAX_STEPS) return `The execution took more than ${MAX_STEPS} steps`;
    const visits = (this.state.visits[widget.name] ?? 0) + 1;
    this.state.visits[widget.name] = visits;
    if (visits > MAX_VISITS_WITHOUT_INPUT)
      return `Widget ${widget.name} ran ${MAX_VISITS_WITHOUT_INPUT} times without hearing from the contact: the flow loops`;
    return undefined;
  }

  /**
   * Runs `widget`: a logic widget gives the event it leaves on; a widget with an effect sets the
   * execution waiting and gives nothing; a widget that cannot run ends the execution.
   */
  private enter(widget: WidgetState): Moved | undefined {
    const spec = WIDGETS[widget.type];
    try {
      switch (widget.type) {
        case "set-variables":
          return { event: "next", outputs: this.setVariables(widget) };
        case "split-based-on":
          return this.split(widget);
        default:
          if (spec?.runs === "messaging") {
            this.state.wait = { kind: "effect", effect: this.effectOf(widget) };
            return undefined;
          }
          this.end(
            spec?.runs === "voice"
              ? `Widget ${widget.name} (${widget.type}) needs a voice call, which this execution does not have`
              : `Widget ${widget.name} has type ${widget.type}, which cannot run here`,
          );
          return undefined;
      }
    } catch (error) {
      if (!(error instanceof WidgetError)) throw error;
      const failure = FAILURE_EVENT[widget.type];
      if (failure && this.flow.nextAfter(widget, failure) !== undefined)
        return { event: failure, outputs: { error: error.message } };
      this.end(`Widget ${widget.name} failed: ${error.message}`);
      return undefined;
    }
  }

  private setVariables(widget: WidgetState): Record<string, unknown> {
    const variables = (widget.properties.variables ?? []) as Array<{
      key: string;
      value?: unknown;
      parse_as_json?: boolean;
    }>;
    const written: Record<string, unknown> = {};
    for (const { key, value, parse_as_json } of variables) {
      const text = this.render(widget, `variables.${key}`, value);
      let stored: unknown = text;
      if (parse_as_json) {
        try {
          stored = JSON.parse(text);
        } catch {
          throw new WidgetError(`variable ${key} is not valid JSON`);
        }
      }
      // Later variables of the same widget see earlier ones.
      this.state.context.flow.variables[key] = stored;
      written[key] = stored;
    }
    return written;
  }

  /** The first `match` branch (in order) whose conditions all hold, else `noMatch`. */
  private split(widget: WidgetState): Moved {
    const input = this.render(widget, "input", widget.properties.input);
    for (const transition of widget.transitions) {
      if (transition.event !== "match") continue;
      const holds = (transition.conditions ?? []).every((condition) =>
        conditionHolds(
          condition.type,
          condition.arguments.length > 0 ? this.render(widget, "conditions", condition.arguments[0]) : input,
          this.render(widget, "conditions", condition.value ?? ""),
        ),
      );
      if (holds) return { event: "match", outputs: { input }, next: transition.next ?? "" };
    }
    return { event: "noMatch", outputs: { input } };
  }

  private effectOf(widget: WidgetState): Effect {
    const p = widget.properties;
    const text = (name: string, fallback = "") => this.render(widget, name, p[name] ?? fallback);
    const pairs = (name: string) =>
      ((p[name] ?? []) as Array<{ key: string; value?: unknown }>).map(({ key, value }) => ({
        key,
        value: this.render(widget, `${name}.${key}`, value ?? ""),
      }));
    switch (widget.type) {
      case "send-message":
      case "send-and-wait-for-reply": {
        const effect: Effect = {
          type: "send-message",
          widget: widget.name,
          from: text("from", "{{flow.channel.address}}"),
          to: text("to", "{{contact.channel.address}}") || this.state.context.contact.channel.address,
          body: text("body"),
          attributes: text("attributes"),
          mediaUrl: text("media_url"),
        };
        if (widget.type === "send-and-wait-for-reply") {
          const seconds = Number(text("timeout", "3600").trim() || "3600");
          if (!Number.isInteger(seconds) || seconds < 0)
            throw new WidgetError("timeout is not a whole number of seconds");
          effect.waitMs = seconds * 1000;
        }
        return effect;
      }
      case "make-http-request":
        return {
          type: "http-request",
          widget: widget.name,
          method: text("method").trim().toUpperCase() === "GET" ? "GET" : "POST",
          url: text("url").trim(),
          contentType: text("content_type").toLowerCase().startsWith("application/json") ? "json" : "form",
          body: text("body"),
          parameters: pairs("parameters"),
        };
      case "run-function":
        return {
          type: "run-function",
          widget: widget.name,
          url: text("url").trim(),
          parameters: pairs("parameters"),
        };
      case "send-to-flex": {
        const attributesText = text("attributes", "{}").trim() || "{}";
        let attributes: unknown;
        try {
          attributes = JSON.parse(attributesText);
        } catch {
          throw new WidgetError("attributes did not render to valid JSON");
        }
        if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes))
          throw new WidgetError("attributes must render to a JSON object");
        const number = (name: string) => {
          const value = text(name).trim();
          if (value === "") return undefined;
          const parsed = Number(value);
          if (!Number.isInteger(parsed) || parsed < 0) throw new WidgetError(`${name} is not a whole number`);
          return parsed;
        };
        const priority = number("priority");
        const timeout = number("timeout");
        return {
          type: "send-to-flex",
          widget: widget.name,
          workflow: text("workflow").trim(),
          channel: text("channel").trim(),
          attributes: attributes as Record<string, unknown>,
          ...(priority !== undefined && { priority }),
          ...(timeout !== undefined && { timeout }),
        };
      }
      case "run-subflow":
        return {
          type: "run-subflow",
          widget: widget.name,
          flowSid: text("flow_sid").trim(),
          revision: text("flow_revision", "LatestPublished").trim(),
          parameters: Object.fromEntries(pairs("parameters").map(({ key, value }) => [key, value])),
        };
      default:
        throw new Error(`widget type ${widget.type} has no effect`);
    }
  }

  private render(widget: WidgetState, property: string, template: unknown): string {
    if (template === undefined || template === null) return "";
    // Real exports hold numbers and booleans where Studio's templates are usually strings.
    const text = typeof template === "string" ? template : JSON.stringify(template);
    try {
      return this.templates.render(text, this.state.context);
    } catch (error) {
      if (error instanceof TemplateError) throw new WidgetError(`${property}: ${error.message}`);
      throw error;
    }
  }
}

/** How a logic widget leaves: by `event`, to `next` when the event alone does not say where. */
interface Moved {
  event: string;
  outputs: Record<string, unknown>;
  /** Where to go instead of the event's transition ("" for nowhere: the end). */
  next?: string;
}

/** A widget could not do its work (a template failed, a value is unusable): its failure path, or the end. */
class WidgetError extends Error {
  override name = "WidgetError";
}
