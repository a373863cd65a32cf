import type { Generated } from "kysely";

/**
 * The tables, as Kysely sees them. Tenant rows carry `account_sid` and every store query filters by
 * it. Timestamps are ISO 8601 UTC text with milliseconds (see platform/time.ts). The two system tables
 * (`kysely_migration*`, `consumer_cursors`) hold platform bookkeeping, not tenant data.
 */
export interface Schema {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  events: EventsTable;
  consumer_cursors: ConsumerCursorsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  routing_workspaces: RoutingWorkspacesTable;
  routing_commands: RoutingCommandsTable;
  conversations: ConversationsTable;
  conversation_participants: ConversationParticipantsTable;
  conversation_messages: ConversationMessagesTable;
  conversation_webhooks: ConversationWebhooksTable;
  conversation_addresses: ConversationAddressesTable;
  messaging_providers: MessagingProvidersTable;
  channel_messages: ChannelMessagesTable;
  early_reports: EarlyReportsTable;
  media: MediaTable;
  flows: FlowsTable;
  flow_revisions: FlowRevisionsTable;
  flow_executions: FlowExecutionsTable;
  flow_steps: FlowStepsTable;
  users: UsersTable;
  user_sessions: UserSessionsTable;
  desktop_settings: DesktopSettingsTable;
  insight_segments: InsightSegmentsTable;
  insight_rollups: InsightRollupsTable;
  insight_agent_rollups: InsightAgentRollupsTable;
  insight_worker_slices: InsightWorkerSlicesTable;
  insight_worker_states: InsightWorkerStatesTable;
  insight_conversations: InsightConversationsTable;
  insight_settings: InsightSettingsTable;
  insight_metrics: InsightMetricsTable;
  insight_alerts: InsightAlertsTable;
  insight_schedules: InsightSchedulesTable;
}

export type AccountStatus = "active" | "suspended" | "closed";

export interface AccountsTable {
  /** The account SID; for this table it is also the row's account. */
  sid: string;
  friendly_name: string;
  status: AccountStatus;
  /** The auth token, encrypted (platform/secrets): kept recoverable because webhooks are signed with it. */
  auth_token_ciphertext: string;
  /** 1 for the account seeded by the demo contact center, whose credentials the start banner shows. */
  is_demo: number;
  date_created: string;
  date_updated: string;
}

export interface ApiKeysTable {
  sid: string;
  account_sid: string;
  friendly_name: string;
  /** SHA-256 of the secret: the secret itself is shown once, at creation, and never stored. */
  secret_hash: string;
  date_created: string;
  date_updated: string;
}

export interface EventsTable {
  /**
   * Position in the log. Assigned in commit order (SQLite has one writer; on Postgres appends take a
   * transaction-scoped advisory lock), so a consumer that has read up to N never later finds an
   * event below N: reading "after my cursor" loses nothing.
   */
  seq: Generated<number>;
  sid: string;
  account_sid: string;
  /** Twilio-style dotted type, e.g. `task.created`, `api-key.deleted`. */
  event_type: string;
  resource_type: string;
  resource_sid: string;
  description: string;
  /** JSON object of string → string: the parameters a webhook receiver gets, form-encoded. */
  data: string;
  /** The resource scoping the event inside its account (a TaskRouter workspace), if any. */
  scope_sid: string | null;
  date_created: string;
}

export interface ConsumerCursorsTable {
  /** Stable consumer name, e.g. `webhooks.fanout`. */
  consumer: string;
  /** The highest event `seq` this consumer has finished with. */
  position: number;
  date_updated: string;
}

export type WebhookStatus = "active" | "disabled";

export interface WebhooksTable {
  sid: string;
  account_sid: string;
  friendly_name: string;
  url: string;
  /** JSON array of event types this subscription receives; empty means every type. */
  event_types: string;
  status: WebhookStatus;
  date_created: string;
  date_updated: string;
}

/**
 * - queued: waiting for its first attempt
 * - retrying: an attempt failed; the next is due at next_attempt_at
 * - delivered: a receiver answered 2xx
 * - dead: gave up after the configured number of attempts (the dead-letter state)
 */
export type DeliveryStatus = "queued" | "retrying" | "delivered" | "dead";

export interface WebhookDeliveriesTable {
  sid: string;
  account_sid: string;
  webhook_sid: string;
  /** With webhook_sid, unique: re-reading the log after a crash cannot enqueue an event twice. */
  event_sid: string;
  event_seq: number;
  /** The URL at the time the event was fanned out; later edits of the webhook do not redirect it. */
  url: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  /**
   * An attempt in flight holds a lease. A process that dies mid-attempt leaves a lease that
   * expires, after which any process may try again: delivery is at least once.
   */
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** 1: not claimed while an earlier delivery of the same subscription is still to go (migration 0014). */
  ordered: number;
  last_status_code: number | null;
  last_error: string | null;
  date_delivered: string | null;
  date_created: string;
  date_updated: string;
}

export type AttemptOutcome = "in_progress" | "succeeded" | "failed" | "interrupted";

export interface WebhookAttemptsTable {
  sid: string;
  account_sid: string;
  delivery_sid: string;
  attempt_number: number;
  outcome: AttemptOutcome;
  status_code: number | null;
  error: string | null;
  duration_ms: number | null;
  date_created: string;
  date_updated: string;
}

/** A TaskRouter workspace: what the routing engine does not hold itself. */
export interface RoutingWorkspacesTable {
  sid: string;
  account_sid: string;
  friendly_name: string;
  event_callback_url: string | null;
  /** Comma-separated event types sent to the EventCallbackUrl; null sends every type. */
  events_filter: string | null;
  multi_task_enabled: number;
  /** Activity new workers start in. */
  default_activity_sid: string;
  date_created: string;
  date_updated: string;
}

/**
 * The workspace's routing state as the commands that made it: replaying them in `seq` order through
 * the deterministic engine, each at its recorded time and handing out its recorded SIDs, rebuilds
 * the exact state (tasks, reservations, timers) after a restart.
 */
export interface RoutingCommandsTable {
  workspace_sid: string;
  seq: number;
  /** Clock time the command ran at, ms since the epoch. */
  at: number;
  /** The command, JSON (routing/commands.ts). */
  command: string;
  /** JSON array of the SIDs the engine generated while running it, in order. */
  sids: string;
}

/** Twilio's conversation states: only `closed` is final (closed conversations take no new messages). */
export type ConversationState = "initializing" | "active" | "inactive" | "closed";

export interface ConversationsTable {
  sid: string;
  account_sid: string;
  /** Unique in the account when set; the API accepts it wherever it accepts the SID. */
  unique_name: string | null;
  friendly_name: string | null;
  /** JSON text, stored as given. */
  attributes: string;
  state: ConversationState;
  messaging_service_sid: string | null;
  /** ISO 8601 durations (`PT5M`) after the last activity at which the state moves on. */
  timers_inactive: string | null;
  timers_closed: string | null;
  /** When the timers fire, counted from the last activity; null when no timer is set. */
  date_inactive: string | null;
  date_closed: string | null;
  /** The index the next message gets: messages are numbered 0, 1, 2... per conversation, never reused. */
  next_message_index: number;
  date_created: string;
  date_updated: string;
}

export type BindingType = "sms" | "whatsapp" | "messenger" | "email" | "chat" | "custom";

export interface ConversationParticipantsTable {
  sid: string;
  account_sid: string;
  conversation_sid: string;
  /** A chat participant's identity; null for a messaging binding. */
  identity: string | null;
  binding_type: BindingType | null;
  /** The customer's address (phone number, whatsapp:+..., email address). */
  address: string | null;
  /** Our address the customer writes to. */
  proxy_address: string | null;
  /** Our address shown to a chat participant in a group (MMS) conversation. */
  projected_address: string | null;
  attributes: string;
  role_sid: string | null;
  last_read_message_index: number | null;
  last_read_timestamp: string | null;
  /**
   * 1 while the conversation is not closed. (address, proxy_address) is unique among open rows: an
   * inbound message from an address to a proxy address belongs to exactly one open conversation.
   */
  conversation_open: number;
  date_created: string;
  date_updated: string;
}

export interface ConversationMessagesTable {
  sid: string;
  account_sid: string;
  conversation_sid: string;
  message_index: number;
  author: string;
  /** Card numbers are masked before the body is stored (conversations/card-numbers.ts). */
  body: string | null;
  attributes: string;
  participant_sid: string | null;
  subject: string | null;
  /** The channel's own ID for an inbound message, unique per account: a redelivery is recognised. */
  external_id: string | null;
  /** JSON array of the message's media (`MediaRef`s, media/store.ts), null when it has none. */
  media: string | null;
  date_created: string;
  date_updated: string;
}

export type ConversationWebhookTarget = "webhook" | "trigger" | "studio";

export interface ConversationWebhooksTable {
  sid: string;
  account_sid: string;
  conversation_sid: string;
  target: ConversationWebhookTarget;
  url: string | null;
  method: "POST";
  /** JSON array of Twilio event names (onMessageAdded, ...) the webhook receives. */
  filters: string;
  /** JSON array of keywords that fire a `trigger` webhook when a message starts with one. */
  triggers: string;
  flow_sid: string | null;
  /** `latest` for a flow builder's test run (the flow's latest revision, draft or not); null runs the latest published. */
  flow_revision: "latest" | null;
  replay_after: number | null;
  date_created: string;
  date_updated: string;
}

/** Twilio's address types, and `custom` for a business's own channel (channels/custom). */
export type AddressType = "sms" | "whatsapp" | "messenger" | "email" | "chat" | "custom";

/**
 * An address configuration (Twilio's /v1/Configuration/Addresses): what happens when someone with no
 * open conversation writes to this address of ours.
 */
export interface ConversationAddressesTable {
  sid: string;
  account_sid: string;
  type: AddressType;
  address: string;
  friendly_name: string | null;
  /** JSON of `AutoCreation` (conversations/addresses.ts), Twilio's fields plus the workflow binding. */
  auto_creation: string;
  address_country: string | null;
  date_created: string;
  date_updated: string;
}

/** The kinds of connection a provider row describes (messaging/providers.ts). */
export type ProviderType = "twilio" | "smpp" | "smtp" | "whatsapp" | "messenger";

/** An account's connection to a carrier or messaging platform, and the addresses of ours it serves. */
export interface MessagingProvidersTable {
  sid: string;
  account_sid: string;
  type: ProviderType;
  friendly_name: string;
  /** JSON array of our addresses (numbers, sender IDs) sent from through this provider; empty: any. */
  addresses: string;
  /** JSON of the type's settings that are not secret (base URL, host, port, system ID, ...). */
  settings: string;
  /** The type's secret (auth token, password), encrypted (platform/secrets). */
  secret_ciphertext: string;
  /** The secret the provider signs its webhooks with, when not the one above (Meta's app secret). */
  webhook_secret_ciphertext: string | null;
  date_created: string;
  date_updated: string;
}

/** Twilio's message statuses (2010-04-01 Message resource) that Switchboard uses. */
export type ChannelMessageStatus =
  | "scheduled"
  | "queued"
  | "sending"
  | "sent"
  | "delivered"
  | "undelivered"
  | "failed"
  | "received"
  | "read"
  | "canceled";

export type ChannelMessageDirection = "inbound" | "outbound-api" | "outbound-reply";

/** A provider's report on a message whose send it had not yet been recorded as taking (see migration 0013). */
export interface EarlyReportsTable {
  provider_sid: string;
  provider_message_id: string;
  status: "sent" | "delivered" | "undelivered" | "failed" | "read";
  error_code: number | null;
  error_message: string | null;
  date_created: string;
}

/**
 * A message that crossed a provider, in or out: the 2010-04-01 Message resource, and for a
 * conversation message delivered to a messaging participant also its delivery receipt.
 */
export interface ChannelMessagesTable {
  sid: string;
  account_sid: string;
  /** The provider it went or came through; null when none serves its sender (it then fails). */
  provider_sid: string | null;
  channel: BindingType;
  direction: ChannelMessageDirection;
  from_address: string;
  to_address: string;
  /** Card numbers masked before storage, as in conversations. */
  body: string | null;
  /** JSON array of media URLs sent with it. */
  media_urls: string;
  num_segments: number;
  status: ChannelMessageStatus;
  error_code: number | null;
  error_message: string | null;
  /** The provider's ID for it (an upstream SID, an SMSC message_id). */
  provider_message_id: string | null;
  status_callback: string | null;
  /** Send attempts made so far. */
  attempts: number;
  /**
   * When the sender next looks at it: due for a first or retried attempt, or (status `sending`) when
   * the lease of the attempt under way runs out. Null once it needs no more sending.
   */
  next_attempt_at: string | null;
  conversation_sid: string | null;
  message_sid: string | null;
  participant_sid: string | null;
  /** The delivery receipt's SID (DY...) when this delivers a conversation message. */
  receipt_sid: string | null;
  date_created: string;
  date_updated: string;
  date_sent: string | null;
}

/** A file attached, or to be attached, to a conversation message. */
export interface MediaTable {
  sid: string;
  account_sid: string;
  content_type: string;
  filename: string | null;
  size: number;
  content: Buffer;
  /**
   * Who uploaded it when not an API caller (a web chat visitor's identity, an email's sender): only
   * a message by that author may carry it. Null: any message of the account may.
   */
  uploaded_by: string | null;
  conversation_sid: string | null;
  /** The message it is attached to; null until then (and swept if it stays so). */
  message_sid: string | null;
  date_created: string;
}

export type FlowStatus = "draft" | "published";

/** A saved revision of a Studio flow; `flows` holds the latest, `flow_revisions` every one. */
export interface FlowRevisionsTable {
  flow_sid: string;
  account_sid: string;
  friendly_name: string;
  status: FlowStatus;
  revision: number;
  /** The definition JSON, normalised (flows/definition in the engine). */
  definition: string;
  commit_message: string | null;
  /** 1 when the definition passed validation. */
  valid: number;
  /** JSON arrays of `{message, property_path}`. */
  errors: string;
  warnings: string;
  date_created: string;
  date_updated: string;
}

export interface FlowsTable extends Omit<FlowRevisionsTable, "flow_sid"> {
  sid: string;
  /** JSON array of contact addresses that run the latest revision even when it is a draft. */
  test_users: string;
}

export type FlowExecutionStatus = "active" | "ended";

/**
 * What an active execution waits for: `effect` its host to perform a widget's effect (a message, a
 * call, a task), `subflow` a child execution to end, `reply` its contact (until `due_at`).
 */
export type FlowWaiting = "effect" | "subflow" | "reply";

export interface FlowExecutionsTable {
  sid: string;
  account_sid: string;
  flow_sid: string;
  flow_revision: number;
  /** The execution whose run-subflow widget started this one. */
  parent_sid: string | null;
  contact_sid: string;
  contact_channel_address: string;
  /** Our address the execution speaks from. */
  channel_address: string;
  /** The conversation its messages go to and its replies come from, once it has one. */
  conversation_sid: string | null;
  status: FlowExecutionStatus;
  /** The interpreter's `ExecutionState` as JSON. */
  state: string;
  waiting: FlowWaiting | null;
  due_at: string | null;
  /** Bumped by every change: a writer holding an older version lost a race and starts over. */
  version: number;
  /** Why it ended when not by reaching a transition with nowhere to go. */
  ended_reason: string | null;
  initiated_by: string;
  date_created: string;
  date_updated: string;
}

/** One transition an execution took (the Steps API). */
export interface FlowStepsTable {
  sid: string;
  account_sid: string;
  flow_sid: string;
  execution_sid: string;
  /** Order within the execution. */
  seq: number;
  /** The event that moved it on. */
  name: string;
  type: string;
  transitioned_from: string;
  transitioned_to: string;
  /** JSON of what the widget produced. */
  context: string;
  date_created: string;
}

export type UserRole = "admin" | "supervisor" | "agent";
/** `invited` until the person sets a password through their invite; `deactivated` signs in no more. */
export type UserStatus = "invited" | "active" | "deactivated";

/** A person who signs in to the web apps. */
export interface UsersTable {
  sid: string;
  account_sid: string;
  /** Lower-cased; unique across accounts, since it is what a person signs in with. */
  email: string;
  friendly_name: string;
  role: UserRole;
  /** The TaskRouter worker this person works as (agents; supervisors may have one too). */
  workspace_sid: string | null;
  worker_sid: string | null;
  status: UserStatus;
  /** scrypt (see identity/passwords.ts); null until an invite is accepted. */
  password_hash: string | null;
  /** SHA-256 of the pending invite's token. */
  invite_hash: string | null;
  invite_expires_at: string | null;
  /** The language the web apps speak to this person (`en`, `fr`); null follows the browser. */
  language: string | null;
  date_created: string;
  date_updated: string;
}

/** A signed-in browser. Only a hash of its cookie is kept. */
export interface UserSessionsTable {
  token_hash: string;
  user_sid: string;
  account_sid: string;
  expires_at: string;
  date_created: string;
}

export interface DesktopSettingsTable {
  account_sid: string;
  /** JSON: see desktop/settings.ts. */
  settings: string;
  date_updated: string;
}

/** One stay of a task in a queue (engine `SegmentFact`); times in epoch ms. */
export interface InsightSegmentsTable {
  task_sid: string;
  segment: number;
  account_sid: string;
  workspace_sid: string;
  workflow_sid: string | null;
  queue_sid: string | null;
  queue_name: string | null;
  channel: string;
  direction: string;
  conversation_sid: string | null;
  transferred_from: string | null;
  task_created_at: number;
  entered_at: number;
  /** floor(entered_at / 900 000): the 15-minute slice a report counts the segment in. */
  entered_slice: number;
  first_reserved_at: number | null;
  accepted_at: number | null;
  wrapup_at: number | null;
  ended_at: number | null;
  worker_sid: string | null;
  worker_name: string | null;
  team: string | null;
  outcome: string | null;
  queue_ms: number | null;
  ring_ms: number | null;
  talk_ms: number | null;
  wrap_ms: number | null;
  reservations: number;
  rejected: number;
  missed: number;
  transferred: number;
  /** JSON: reservations still ringing, SID → created at. */
  ringing: string;
  last_seq: number | string;
  measure_1: number | null;
  measure_2: number | null;
  measure_3: number | null;
  measure_4: number | null;
  measure_5: number | null;
  attribute_1: string | null;
  attribute_2: string | null;
  attribute_3: string | null;
  attribute_4: string | null;
  attribute_5: string | null;
  attribute_6: string | null;
  attribute_7: string | null;
}

/** The segment measures a rollup row sums, named as the measures (custom ones `measure_N`, `measure_N_count`). */
export interface RollupMeasures {
  offered: number;
  handled: number;
  completed: number;
  abandoned: number;
  short_abandoned: number;
  timed_out: number;
  transferred: number;
  answered_in_sl: number;
  abandoned_in_sl: number;
  wait_ms: number;
  abandon_wait_ms: number;
  ring_ms: number;
  talk_ms: number;
  wrap_ms: number;
  reservations: number;
  rejected: number;
  missed: number;
  measure_1: number;
  measure_1_count: number;
  measure_2: number;
  measure_2_count: number;
  measure_3: number;
  measure_3_count: number;
  measure_4: number;
  measure_4_count: number;
  measure_5: number;
  measure_5_count: number;
}

/** Segment measures per slice, queue, channel, direction and workflow. */
export interface InsightRollupsTable extends RollupMeasures {
  account_sid: string;
  workspace_sid: string;
  slice: number;
  queue_sid: string | null;
  queue_name: string | null;
  channel: string;
  direction: string;
  workflow_sid: string | null;
}

/** Segment measures per hour (`slice` is its first), agent and team. */
export interface InsightAgentRollupsTable extends RollupMeasures {
  account_sid: string;
  workspace_sid: string;
  slice: number;
  worker_sid: string | null;
  worker_name: string | null;
  team: string | null;
}

export interface InsightWorkerSlicesTable {
  worker_sid: string;
  slice: number;
  account_sid: string;
  workspace_sid: string;
  worker_name: string;
  team: string | null;
  available_ms: number;
  busy_ms: number;
  staffed_ms: number;
}

/** Each worker's state since its last event: the time since `since` is not in a slice yet. */
export interface InsightWorkerStatesTable {
  worker_sid: string;
  account_sid: string;
  workspace_sid: string;
  worker_name: string;
  team: string | null;
  activity_name: string;
  available: number;
  tasks: number;
  since: number;
  last_seq: number | string;
}

export interface InsightConversationsTable {
  conversation_sid: string;
  account_sid: string;
  channel: string | null;
  created_at: number;
  closed_at: number | null;
  first_author: string | null;
  first_message_at: number | null;
  first_reply_at: number | null;
  messages_from_first_author: number;
  messages_from_others: number;
  last_seq: number | string;
}

export interface InsightSettingsTable {
  account_sid: string;
  /** JSON: see insights/settings.ts. */
  settings: string;
  date_updated: string;
}

export interface InsightMetricsTable {
  account_sid: string;
  name: string;
  formula: string;
  format: string;
  description: string;
  date_created: string;
  date_updated: string;
}

export interface InsightAlertsTable {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  friendly_name: string;
  metric: string;
  /** `below` or `above` the threshold is a breach. */
  comparison: string;
  threshold: number;
  window_minutes: number;
  queue_sid: string | null;
  /** JSON array of addresses. */
  email_to: string;
  webhook_url: string | null;
  enabled: number;
  /** `ok` or `firing`. */
  state: string;
  last_value: number | null;
  date_evaluated: string | null;
  date_fired: string | null;
  date_created: string;
  date_updated: string;
}

export interface InsightSchedulesTable {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  friendly_name: string;
  /** JSON: the report to send (metrics, group by, interval). */
  report: string;
  /** `daily` (yesterday's report) or `weekly` (the last seven days, sent on Mondays). */
  frequency: string;
  time_zone: string;
  hour: number;
  format: string;
  email_to: string;
  next_run_at: string;
  date_last_sent: string | null;
  last_error: string | null;
  date_created: string;
  date_updated: string;
}
