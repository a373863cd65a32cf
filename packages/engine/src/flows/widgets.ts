/**
 * The Studio widgets Switchboard knows: for each type, the transition events it may take, the
 * properties it cannot do without, and the other spellings of its properties seen in the wild.
 *
 * `runs` says what executes it: `logic` widgets run inside the interpreter, `messaging` widgets ask
 * the host for an effect (a message, an HTTP call, a task, a subflow), `voice` widgets are accepted
 * and validated but need a call, which an execution does not have until voice exists.
 */
export type WidgetRuns = "trigger" | "logic" | "messaging" | "voice";

export interface WidgetSpec {
  runs: WidgetRuns;
  events: readonly string[];
  /** Properties that must be present and non-empty. */
  required: readonly string[];
  /** Of these, at least one must be present (say-play: something to say, play or dial). */
  oneOf?: readonly string[];
  /**
   * Other names for a property, mapped to the name Studio's Console exports (the name we store and
   * emit). Both appear in real definitions; either is accepted on import.
   */
  aliases?: Readonly<Record<string, string>>;
}

export const TRIGGER_EVENTS = [
  "incomingMessage",
  "incomingCall",
  "incomingConversationMessage",
  "incomingRequest",
  "incomingParent",
] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

export const WIDGETS: Readonly<Record<string, WidgetSpec>> = {
  trigger: { runs: "trigger", events: TRIGGER_EVENTS, required: [] },
  "send-message": { runs: "messaging", events: ["sent", "failed"], required: ["from", "to", "body"] },
  "send-and-wait-for-reply": {
    runs: "messaging",
    events: ["incomingMessage", "timeout", "deliveryFailure"],
    required: ["from", "body", "timeout"],
  },
  "split-based-on": { runs: "logic", events: ["noMatch", "match"], required: ["input"] },
  "set-variables": { runs: "logic", events: ["next"], required: [] },
  "make-http-request": {
    runs: "messaging",
    events: ["success", "failed"],
    required: ["method", "content_type", "url"],
  },
  "run-function": { runs: "messaging", events: ["success", "fail"], required: ["url"] },
  "run-subflow": {
    runs: "messaging",
    events: ["completed", "failed"],
    required: ["flow_sid", "flow_revision"],
  },
  "send-to-flex": {
    runs: "messaging",
    events: ["callComplete", "failedToEnqueue", "callFailure", "composerStarted"],
    required: ["workflow", "channel"],
    aliases: { hold_music_url: "waitUrl", url_method: "waitUrlMethod" },
  },
  "gather-input-on-call": {
    runs: "voice",
    events: ["keypress", "speech", "timeout"],
    required: [],
    aliases: { num_digits: "number_of_digits", speech_recognition_language: "gather_language" },
  },
  "say-play": {
    runs: "voice",
    events: ["audioComplete"],
    required: [],
    oneOf: ["say", "play", "digits"],
  },
  "record-voicemail": {
    runs: "voice",
    events: ["recordingComplete", "noAudio", "hangup"],
    required: [],
    aliases: { silence_timeout: "timeout", transcribe_callback: "transcription_callback_url" },
  },
  "connect-call-to": {
    runs: "voice",
    events: ["callCompleted", "hangup"],
    required: ["noun", "caller_id"],
  },
  "enqueue-call": {
    runs: "voice",
    events: ["callComplete", "failedToEnqueue", "callFailure"],
    required: [],
    oneOf: ["queue_name", "workflow_sid"],
    aliases: {
      task_router_workflow: "workflow_sid",
      hold_music_url: "wait_url",
      url_method: "wait_url_method",
    },
  },
  "make-outgoing-call-v2": {
    runs: "voice",
    events: ["answered", "busy", "noAnswer", "failed"],
    required: ["from", "to"],
  },
  "capture-payments": {
    runs: "voice",
    events: ["success", "maxFailedAttempts", "providerError", "payInterrupted", "hangup", "validationError"],
    required: [],
  },
  "add-twiml-redirect": { runs: "voice", events: ["return", "timeout", "fail"], required: ["url"] },
  "record-call": { runs: "voice", events: ["success", "failed"], required: ["record_call"] },
  "fork-stream": { runs: "voice", events: ["next"], required: ["stream_action"] },
};

/** The event a widget takes when its effect fails: render errors and refusals follow it. */
export const FAILURE_EVENT: Readonly<Record<string, string>> = {
  "send-message": "failed",
  "send-and-wait-for-reply": "deliveryFailure",
  "make-http-request": "failed",
  "run-function": "fail",
  "run-subflow": "failed",
  "send-to-flex": "failedToEnqueue",
};

export const CONDITION_TYPES = [
  "equal_to",
  "not_equal_to",
  "matches_any_of",
  "does_not_match_any_of",
  "is_blank",
  "is_not_blank",
  "regex",
  "contains",
  "does_not_contain",
  "starts_with",
  "does_not_start_with",
  "less_than",
  "greater_than",
  "is_before_time",
  "is_after_time",
  "is_before_date",
  "is_after_date",
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];
