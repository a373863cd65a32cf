import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.ts";
import { conditionHolds } from "./conditions.ts";
import { checkFlow, type FlowDefinition, type WidgetState } from "./definition.ts";
import { MAX_STEPS, RunnableFlow, type ExecutionState, type Progress } from "./interpreter.ts";
import { Templates } from "./templates.ts";

const clock = new ManualClock(Date.UTC(2026, 10, 21, 9, 30));
const templates = new Templates(clock);
const FIXTURES = path.join(import.meta.dirname, "fixtures");

/** A real export, with the Terraform placeholders some carry filled in as Terraform would. */
function realFlow(file: string): FlowDefinition {
  const text = fs
    .readFileSync(path.join(FIXTURES, file), "utf8")
    .replace(/\$\{WORKFLOW_SID\}/g, "WW00000000000000000000000000000001")
    .replace(/\$\{VOICE_CHANNEL_SID\}/g, "TC00000000000000000000000000000001")
    .replace(/\$\{[A-Z_]+\}/g, "example");
  return JSON.parse(text) as FlowDefinition;
}

function flow(states: Array<Partial<WidgetState> & { name: string; type: string }>): FlowDefinition {
  return {
    initial_state: "Trigger",
    states: states.map((state) => ({ transitions: [], properties: {}, ...state })),
  };
}

function runnable(definition: FlowDefinition): RunnableFlow {
  const check = checkFlow(definition, templates);
  expect(check.errors).toEqual([]);
  return new RunnableFlow(check.definition!, templates);
}

function start(
  f: RunnableFlow,
  event: "incomingRequest" | "incomingConversationMessage" = "incomingRequest",
  data = {},
) {
  return f.start({
    executionSid: "FN00000000000000000000000000000001",
    flowSid: "FW00000000000000000000000000000001",
    event,
    trigger: { request: { from: "+15550001111", to: "+15550002222", parameters: data } },
    channelAddress: "+15550002222",
    contactAddress: "+15550001111",
    data,
  });
}

const trail = (progress: Progress) =>
  progress.steps.map((step) => `${step.transitionedFrom}-${step.name}->${step.transitionedTo}`);
const effectOf = (state: ExecutionState) => (state.wait?.kind === "effect" ? state.wait.effect : undefined);

describe("flows: definitions", () => {
  it("accepts the real exports unchanged", () => {
    for (const file of fs.readdirSync(FIXTURES).filter((name) => name.endsWith(".json"))) {
      const check = checkFlow(realFlow(file), templates);
      expect(check.errors, file).toEqual([]);
    }
    // The web chat export has a loop guard no transition reaches: a warning, not an error.
    const webchat = checkFlow(realFlow("twilio-webchat-react-app_studio-flow.json"), templates);
    expect(webchat.warnings).toEqual([
      { message: "No transition leads to widget loop_checker", property_path: "#/states/5" },
    ]);
  });

  it("names the property path of each problem", () => {
    const check = checkFlow(
      {
        initial_state: "Trigger",
        states: [
          {
            name: "Trigger",
            type: "trigger",
            transitions: [{ event: "incomingRequest", next: "nowhere" }],
            properties: {},
          },
          {
            name: "send",
            type: "send-message",
            transitions: [{ event: "delivered" }],
            properties: { to: "x", body: "{{ oops" },
          },
          { name: "send", type: "teleport", transitions: [], properties: {} },
          {
            name: "menu",
            type: "split-based-on",
            transitions: [
              {
                event: "match",
                next: "send",
                conditions: [{ arguments: ["{{x}}"], type: "about", value: "1" }],
              },
            ],
            properties: { input: "{{x}}" },
          },
          {
            name: "wait",
            type: "send-and-wait-for-reply",
            transitions: [],
            properties: { from: "a", body: "b", timeout: "soon" },
          },
        ],
      },
      templates,
    );
    expect(check.errors.map((e) => e.property_path)).toEqual([
      "#/states/2/name",
      "#/states/0/transitions/0/next",
      "#/states/1/transitions/0/event",
      "#/states/1/properties/from",
      "#/states/1/properties/body",
      "#/states/2/type",
      "#/states/3/transitions/0/conditions/0/type",
      "#/states/4/properties/timeout",
    ]);
    expect(check.errors[1]!.message).toBe("No widget is named nowhere");
    expect(check.errors[4]!.message).toMatch(/^Invalid Liquid template/);
  });

  it("refuses envelopes without one trigger as the initial state", () => {
    expect(checkFlow([], templates).errors).toEqual([
      { property_path: "#", message: "The definition must be a JSON object" },
    ]);
    expect(checkFlow({ states: [] }, templates).errors[0]!.property_path).toBe("#/states");
    const noTrigger = checkFlow(flow([{ name: "Trigger", type: "set-variables" }]), templates);
    expect(noTrigger.errors.map((e) => e.property_path)).toEqual(["#/states", "#/initial_state"]);
    const flags = checkFlow({ ...flow([{ name: "Trigger", type: "trigger" }]), flags: {} }, templates);
    expect(flags.errors.map((e) => e.property_path)).toEqual(["#/flags/allow_concurrent_calls"]);
  });

  it("accepts both spellings of a property and stores the export spelling", () => {
    const check = checkFlow(
      flow([
        { name: "Trigger", type: "trigger", transitions: [{ event: "incomingCall", next: "gather" }] },
        {
          name: "gather",
          type: "gather-input-on-call",
          properties: { say: "Press 1", num_digits: 1, speech_recognition_language: "en-US" },
        },
        {
          name: "flex",
          type: "send-to-flex",
          properties: { workflow: "WW1", channel: "voice", hold_music_url: "https://x/wait" },
        },
      ]),
      templates,
    );
    expect(check.errors).toEqual([]);
    expect(check.definition!.states[1]!.properties).toEqual({
      say: "Press 1",
      number_of_digits: 1,
      gather_language: "en-US",
    });
    expect(check.definition!.states[2]!.properties).toMatchObject({ waitUrl: "https://x/wait" });
  });
});

describe("flows: split conditions", () => {
  it.each([
    ["equal_to", " Yes ", "yes", true],
    ["not_equal_to", "yes", "no", true],
    ["matches_any_of", "parking", "Hours, Parking, Other", true],
    ["does_not_match_any_of", "parking", "Hours, Other", true],
    ["is_blank", "  ", "", true],
    ["is_not_blank", "x", "", true],
    ["regex", "ORDER-123", "order-\\d+", true],
    ["regex", "my ORDER-123", "order-\\d+", false],
    ["regex", "x", "(", false],
    ["contains", "I need billing help", "BILLING", true],
    ["does_not_contain", "hello", "bye", true],
    ["starts_with", "Refund please", "refund", true],
    ["does_not_start_with", "Refund", "help", true],
    ["less_than", "9", "10", true],
    ["greater_than", "abc", "1", false],
    ["is_before_time", "08:59", "09:00", true],
    ["is_after_time", "2026-11-21T17:30:00Z", "17:00", true],
    ["is_before_date", "2026-11-21", "2026-12-01", true],
    ["is_after_date", "2026-02-30", "2026-01-01", false],
  ] as const)("%s(%j, %j) is %s", (type, input, value, expected) => {
    expect(conditionHolds(type, input, value)).toBe(expected);
  });

  it("equal_to and not_equal_to always disagree", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        (a, b) => conditionHolds("equal_to", a, b) !== conditionHolds("not_equal_to", a, b),
      ),
    );
  });
});

describe("flows: executions", () => {
  it("sets variables with Liquid and branches on them", () => {
    const f = runnable(
      flow([
        { name: "Trigger", type: "trigger", transitions: [{ event: "incomingRequest", next: "count" }] },
        {
          name: "count",
          type: "set-variables",
          transitions: [{ event: "next", next: "check" }],
          properties: {
            variables: [
              {
                key: "count",
                value:
                  "{% if flow.variables.count %}{{flow.variables.count | plus: 1}}{% else %}0{% endif %}",
              },
              { key: "doubled", value: "{{ flow.variables.count | times: 2 }}" },
              { key: "today", value: "{{ 'now' | date: '%Y-%m-%d' }}" },
              { key: "tier", value: "{{ flow.data.tier | upcase }}" },
            ],
          },
        },
        {
          name: "check",
          type: "split-based-on",
          transitions: [
            { event: "noMatch", next: "count" },
            {
              event: "match",
              next: "",
              conditions: [
                {
                  friendly_name: "done",
                  arguments: ["{{flow.variables.count}}"],
                  type: "equal_to",
                  value: "2",
                },
              ],
            },
          ],
          properties: { input: "{{flow.variables.count}}" },
        },
      ]),
    );
    const progress = start(f, "incomingRequest", { tier: "gold" });
    expect(progress.state).toMatchObject({ status: "ended", endReason: null, wait: null });
    expect(progress.state.context.flow.variables).toEqual({
      count: "2",
      doubled: "4",
      today: "2026-11-21",
      tier: "GOLD",
    });
    expect(trail(progress)).toEqual([
      "Trigger-incomingRequest->count",
      "count-next->check",
      "check-noMatch->count",
      "count-next->check",
      "check-noMatch->count",
      "count-next->check",
      "check-match->Ended",
    ]);
  });

  it("sends, waits for the reply, and continues with it; or takes the timeout", () => {
    const f = runnable(
      flow([
        { name: "Trigger", type: "trigger", transitions: [{ event: "incomingRequest", next: "ask" }] },
        {
          name: "ask",
          type: "send-and-wait-for-reply",
          transitions: [
            { event: "incomingMessage", next: "thanks" },
            { event: "timeout", next: "" },
            { event: "deliveryFailure", next: "" },
          ],
          properties: {
            from: "{{flow.channel.address}}",
            body: "Hi {{flow.data.name}}, how can we help?",
            timeout: "600",
          },
        },
        {
          name: "thanks",
          type: "send-message",
          transitions: [{ event: "sent" }, { event: "failed" }],
          properties: {
            from: "{{flow.channel.address}}",
            to: "{{contact.channel.address}}",
            body: "You said: {{widgets.ask.inbound.Body}}",
          },
        },
      ]),
    );
    const started = start(f, "incomingRequest", { name: "Ada" });
    expect(effectOf(started.state)).toEqual({
      type: "send-message",
      widget: "ask",
      from: "+15550002222",
      to: "+15550001111",
      body: "Hi Ada, how can we help?",
      attributes: "",
      mediaUrl: "",
      waitMs: 600_000,
    });
    const now = clock.now();
    const sent = f.resume(
      started.state,
      { kind: "outcome", event: "sent", outputs: { outbound: { Sid: "IM1" } } },
      now,
    );
    expect(sent.state.wait).toEqual({ kind: "reply", widget: "ask", dueAt: now + 600_000 });
    expect(sent.steps).toEqual([]);

    const replied = f.resume(sent.state, { kind: "reply", inbound: { Body: "My order is late" } }, now);
    expect(effectOf(replied.state)).toMatchObject({ widget: "thanks", body: "You said: My order is late" });
    expect(replied.state.context.widgets.ask).toEqual({
      outbound: { Sid: "IM1" },
      inbound: { Body: "My order is late" },
    });
    const done = f.resume(replied.state, { kind: "outcome", event: "sent", outputs: {} }, now);
    expect(done.state.status).toBe("ended");
    expect(trail(done)).toEqual(["thanks-sent->Ended"]);

    const timedOut = f.resume(sent.state, { kind: "timeout" }, now + 600_000);
    expect(timedOut.state).toMatchObject({ status: "ended", endReason: null });
    expect(trail(timedOut)).toEqual(["ask-timeout->Ended"]);

    const undelivered = f.resume(
      started.state,
      { kind: "outcome", event: "deliveryFailure", outputs: { error: "no route" } },
      now,
    );
    expect(trail(undelivered)).toEqual(["ask-deliveryFailure->Ended"]);
  });

  it("asks for HTTP calls, functions, tasks and subflows with rendered properties", () => {
    const f = runnable(
      flow([
        { name: "Trigger", type: "trigger", transitions: [{ event: "incomingRequest", next: "lookup" }] },
        {
          name: "lookup",
          type: "make-http-request",
          transitions: [
            { event: "success", next: "fn" },
            { event: "failed", next: "flex" },
          ],
          properties: {
            method: "GET",
            content_type: "application/x-www-form-urlencoded;charset=utf-8",
            url: "https://crm.example/customers",
            parameters: [{ key: "phone", value: "{{contact.channel.address}}" }],
          },
        },
        {
          name: "fn",
          type: "run-function",
          transitions: [
            { event: "success", next: "sub" },
            { event: "fail", next: "flex" },
          ],
          properties: {
            url: "https://fn.example/score",
            parameters: [{ key: "tier", value: "{{widgets.lookup.parsed.tier}}" }],
          },
        },
        {
          name: "sub",
          type: "run-subflow",
          transitions: [
            { event: "completed", next: "flex" },
            { event: "failed", next: "flex" },
          ],
          properties: {
            flow_sid: "FW00000000000000000000000000000002",
            flow_revision: "LatestPublished",
            parameters: [{ key: "score", value: "{{widgets.fn.body}}" }],
          },
        },
        {
          name: "flex",
          type: "send-to-flex",
          transitions: [{ event: "callComplete" }, { event: "failedToEnqueue" }],
          properties: {
            workflow: "WW00000000000000000000000000000001",
            channel: "sms",
            attributes:
              '{"tier": "{{widgets.lookup.parsed.tier}}", "score": {{widgets.fn.body}}, "plan": "{{widgets.sub.plan}}"}',
            priority: "5",
            timeout: 3600,
          },
        },
      ]),
    );
    const now = clock.now();
    let state = start(f).state;
    expect(effectOf(state)).toEqual({
      type: "http-request",
      widget: "lookup",
      method: "GET",
      url: "https://crm.example/customers",
      contentType: "form",
      body: "",
      parameters: [{ key: "phone", value: "+15550001111" }],
    });
    state = f.resume(
      state,
      { kind: "outcome", event: "success", outputs: { status_code: 200, parsed: { tier: "gold" } } },
      now,
    ).state;
    expect(effectOf(state)).toMatchObject({
      type: "run-function",
      parameters: [{ key: "tier", value: "gold" }],
    });
    state = f.resume(state, { kind: "outcome", event: "success", outputs: { body: "42" } }, now).state;
    expect(effectOf(state)).toEqual({
      type: "run-subflow",
      widget: "sub",
      flowSid: "FW00000000000000000000000000000002",
      revision: "LatestPublished",
      parameters: { score: "42" },
    });
    state = f.resume(state, { kind: "outcome", event: "completed", outputs: { plan: "pro" } }, now).state;
    expect(effectOf(state)).toEqual({
      type: "send-to-flex",
      widget: "flex",
      workflow: "WW00000000000000000000000000000001",
      channel: "sms",
      attributes: { tier: "gold", score: 42, plan: "pro" },
      priority: 5,
      timeout: 3600,
    });
    const done = f.resume(state, { kind: "outcome", event: "callComplete", outputs: { sid: "WT1" } }, now);
    expect(done.state).toMatchObject({ status: "ended", endReason: null });
    expect(done.state.context.widgets.flex).toEqual({ sid: "WT1" });
  });

  it("takes a widget's failure transition when its templates fail, and ends with the reason when it has none", () => {
    const definition = flow([
      { name: "Trigger", type: "trigger", transitions: [{ event: "incomingRequest", next: "flex" }] },
      {
        name: "flex",
        type: "send-to-flex",
        transitions: [{ event: "callComplete" }, { event: "failedToEnqueue", next: "sorry" }],
        properties: { workflow: "WW1", channel: "chat", attributes: "{not json" },
      },
      {
        name: "sorry",
        type: "send-message",
        transitions: [],
        properties: { from: "us", to: "{{contact.channel.address}}", body: "{{widgets.flex.error}}" },
      },
    ]);
    const f = runnable(definition);
    expect(effectOf(start(f).state)).toMatchObject({
      widget: "sorry",
      body: "attributes did not render to valid JSON",
    });

    definition.states[1]!.transitions = [{ event: "callComplete" }, { event: "failedToEnqueue" }];
    const ended = start(runnable(definition)).state;
    expect(ended).toMatchObject({
      status: "ended",
      endReason: "Widget flex failed: attributes did not render to valid JSON",
    });

    const tooLong = runnable(
      flow([
        { name: "Trigger", type: "trigger", transitions: [{ event: "incomingRequest", next: "big" }] },
        {
          name: "big",
          type: "set-variables",
          properties: { variables: [{ key: "x", value: "{% for i in (1..20000) %}x{% endfor %}" }] },
        },
      ]),
    );
    expect(start(tooLong).state.endReason).toBe(
      "Widget big failed: variables.x: the template produced 20000 characters; the limit is 16 KB",
    );
  });

  it("stops a loop that never hears from the contact, and voice widgets without a call", () => {
    const loop = runnable(
      flow([
        { name: "Trigger", type: "trigger", transitions: [{ event: "incomingRequest", next: "a" }] },
        {
          name: "a",
          type: "set-variables",
          transitions: [{ event: "next", next: "b" }],
          properties: { variables: [] },
        },
        {
          name: "b",
          type: "split-based-on",
          transitions: [{ event: "noMatch", next: "a" }],
          properties: { input: "x" },
        },
      ]),
    );
    const looped = start(loop);
    expect(looped.state).toMatchObject({
      status: "ended",
      endReason: "Widget a ran 10 times without hearing from the contact: the flow loops",
    });
    expect(looped.state.steps).toBeLessThan(MAX_STEPS);

    const voice = runnable(
      flow([
        { name: "Trigger", type: "trigger", transitions: [{ event: "incomingRequest", next: "menu" }] },
        { name: "menu", type: "gather-input-on-call", properties: { say: "Press 1" } },
      ]),
    );
    expect(start(voice).state.endReason).toBe(
      "Widget menu (gather-input-on-call) needs a voice call, which this execution does not have",
    );
  });

  it("ends when stopped, and refuses input it is not waiting for", () => {
    const f = runnable(
      flow([
        { name: "Trigger", type: "trigger", transitions: [{ event: "incomingRequest", next: "ask" }] },
        {
          name: "ask",
          type: "send-and-wait-for-reply",
          properties: { from: "us", body: "?", timeout: "60" },
        },
      ]),
    );
    const started = start(f).state;
    expect(() => f.resume(started, { kind: "timeout" }, 0)).toThrow(/waits for its effect/);
    const stopped = f.resume(started, { kind: "stop", reason: "Ended through the API" }, 0).state;
    expect(stopped).toMatchObject({ status: "ended", wait: null, endReason: "Ended through the API" });
    expect(() => f.resume(stopped, { kind: "timeout" }, 0)).toThrow(/not waiting/);
  });

  it("plays the real web chat flow through to the agent, as a customer answers", () => {
    const f = runnable(realFlow("twilio-webchat-react-app_studio-flow.json"));
    expect(f.startsOn("incomingConversationMessage")).toBe(true);
    expect(f.startsOn("incomingMessage")).toBe(false);
    const now = clock.now();
    let progress = start(f, "incomingConversationMessage");
    const bodies: string[] = [];
    const answers: Record<string, string> = {
      selection_offering: "Parking",
      return_customer_offering: "new",
      enter_firstname: "Ada",
      enter_lastname: "Lovelace",
      enter_dob: "1815-12-10",
    };
    for (let turn = 0; turn < 20 && progress.state.status === "active"; turn++) {
      const effect = effectOf(progress.state)!;
      if (effect.type === "send-to-flex") {
        expect(effect.workflow).toBe("WWd8cd0445d2df474f0744283a8cac96b7");
        expect(effect.attributes).toEqual({
          dob: "1815-12-10",
          name: "Ada Lovelace",
          channelType: "",
          channelSid: "",
          serviceType: "",
        });
        progress = f.resume(progress.state, { kind: "outcome", event: "callComplete", outputs: {} }, now);
        break;
      }
      expect(effect.type).toBe("send-message");
      if (effect.type !== "send-message") break;
      bodies.push(effect.body);
      progress = f.resume(
        progress.state,
        { kind: "outcome", event: "sent", outputs: { outbound: { Body: effect.body } } },
        now,
      );
      const wait = progress.state.wait;
      if (wait?.kind === "reply")
        progress = f.resume(progress.state, { kind: "reply", inbound: { Body: answers[wait.widget] } }, now);
    }
    expect(progress.state).toMatchObject({ status: "ended", endReason: null });
    expect(progress.state.context.flow.variables).toEqual({ count: "0" });
    expect(bodies).toEqual([
      "Hello! In order for us to assist you today, please answer a few questions.",
      "Please select a reason for your visit today from the following options:",
      "Are you a new or existing patient?",
      "Please enter your first name.",
      "Please enter your last name.",
      "Please enter your date of birth (YYYY-mm-dd).",
      "Thank you! Please hold on for just a few moments while I connect you with someone who can help.",
    ]);
  });

  it("runs the real voice exports as far as a flow without a call can go", () => {
    const schedule = runnable(realFlow("template_example_schedule_flow.json"));
    const call = (f: RunnableFlow) =>
      f.start({
        executionSid: "FN00000000000000000000000000000002",
        flowSid: "FW00000000000000000000000000000002",
        event: "incomingCall",
        trigger: { call: { From: "+15550001111", To: "+15550002222" } },
        channelAddress: "+15550002222",
        contactAddress: "+15550001111",
        data: {},
      });
    const now = clock.now();
    const asked = call(schedule).state;
    expect(effectOf(asked)).toEqual({
      type: "run-function",
      widget: "check_schedule",
      url: "https://example/check-schedule",
      parameters: [{ key: "name", value: "Example" }],
    });
    const open = schedule.resume(
      asked,
      { kind: "outcome", event: "success", outputs: { parsed: { isOpen: true } } },
      now,
    );
    expect(effectOf(open.state)).toMatchObject({
      type: "send-to-flex",
      workflow: "WW00000000000000000000000000000001",
    });
    const closed = schedule.resume(
      asked,
      { kind: "outcome", event: "success", outputs: { parsed: { isOpen: false, closedReason: "holiday" } } },
      now,
    );
    expect(trail(closed)).toEqual(["check_schedule-success->is_open", "is_open-noMatch->say_closed"]);
    expect(closed.state.endReason).toBe(
      "Widget say_closed (say-play) needs a voice call, which this execution does not have",
    );

    const callback = call(runnable(realFlow("template_example_callback_flow.json"))).state;
    expect(effectOf(callback)).toMatchObject({
      type: "send-to-flex",
      attributes: { type: "inbound", name: "+15550001111", conversations: { hang_up_by: "Customer" } },
    });
  });

  it("keeps its whole state as JSON: a resumed copy does what the original would", () => {
    const f = runnable(realFlow("twilio-webchat-react-app_studio-flow.json"));
    const now = clock.now();
    let state = start(f, "incomingConversationMessage").state;
    state = f.resume(state, { kind: "outcome", event: "sent", outputs: {} }, now).state;
    state = f.resume(state, { kind: "outcome", event: "sent", outputs: {} }, now).state;
    const copy = JSON.parse(JSON.stringify(state)) as ExecutionState;
    const input = { kind: "reply", inbound: { Body: "Hours" } } as const;
    expect(f.resume(copy, input, now)).toEqual(f.resume(state, input, now));
  });
});
