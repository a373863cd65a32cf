/**
 * The contract between the agent desktop and its plugins. A plugin is an ES module whose default
 * export is a {@link Plugin}; the desktop imports the modules an admin enabled (desktop settings,
 * `plugins`) and calls each one's `init` with a {@link PluginApi} before it shows any task.
 *
 * Only types live here: the desktop implements them (packages/web/src/app/plugins). A plugin needs
 * no build step — `plugins/accept-checklist` is plain JavaScript checked against these types.
 */

/** A task as plugins see it: the reservation offered to or held by the signed-in agent. */
export interface TaskView {
  sid: string;
  reservationSid: string;
  /** `pending` while it rings; then `accepted`, `wrapping`, … */
  reservationStatus: string;
  status: string | null;
  /** The task channel's unique name: `chat`, `sms`, `voice`, … */
  channel: string | null;
  queueName: string | null;
  conversationSid: string | null;
  attributes: Readonly<Record<string, unknown>>;
}

/** What each of the desktop's actions is given. A `before` listener may change it. */
export interface ActionPayloads {
  AcceptTask: { task: TaskView };
  RejectTask: { task: TaskView };
  SendMessage: { task: TaskView; body: string };
  /** `to`: a worker's or a queue's SID. */
  TransferTask: { task: TaskView; to: string; note: string };
  WrapUpTask: { task: TaskView; disposition: string | undefined };
  CompleteTask: { task: TaskView; disposition: string | undefined };
  SetActivity: { activitySid: string };
}
export type ActionName = keyof ActionPayloads;
export type ActionListenerName = `before${ActionName}` | `after${ActionName}`;
export type ListenedAction<L extends ActionListenerName> = L extends `${"before" | "after"}${infer N}`
  ? N & ActionName
  : never;

/** Stops an action before it runs; the desktop shows the reason to the agent. */
export type Abort = (reason: string) => void;

export interface Actions {
  /**
   * Runs `handler` before or after every invocation of an action. Before-listeners run in the order
   * they were added and may change the payload or call `abort`; after-listeners see the payload the
   * action ran with. Returns a function that removes the listener.
   */
  addListener<L extends ActionListenerName>(
    name: L,
    handler: (payload: ActionPayloads[ListenedAction<L>], abort: Abort) => void | Promise<void>,
  ): () => void;
  /** Runs `implementation` instead of the action; it may call `original` to run what it replaced. */
  replaceAction<N extends ActionName>(
    name: N,
    implementation: (
      payload: ActionPayloads[N],
      original: (payload: ActionPayloads[N]) => Promise<void>,
    ) => Promise<void>,
  ): () => void;
  /** Runs an action as the desktop's own buttons do: listeners and replacements included. */
  invokeAction<N extends ActionName>(name: N, payload: ActionPayloads[N]): Promise<void>;
}

/** Things that happen on the desktop, for plugins that only watch. */
export interface EventPayloads {
  /** A task started ringing for this agent. */
  taskOffered: { task: TaskView };
  /** An action ran to the end (after its after-listeners). */
  actionCompleted: { name: ActionName };
  /** A message arrived in one of the agent's conversations. */
  messageAdded: { conversationSid: string; author: string; body: string };
  /** The stream to the server dropped (`false`) or came back (`true`). */
  connectionChanged: { connected: boolean };
}
export type EventName = keyof EventPayloads;

export interface Events {
  on<E extends EventName>(event: E, handler: (payload: EventPayloads[E]) => void): () => void;
}

/**
 * Where plugins draw: `incoming-task` inside a ringing task's card (the task is `pending`),
 * `task-context` beside an accepted task's conversation, `sidebar` under the agent's task list.
 */
export type SlotName = "incoming-task" | "task-context" | "sidebar";

export interface SlotContext {
  /** The task the slot belongs to (none for `sidebar`). */
  task: TaskView | undefined;
  /** The desktop's language (`en`, `fr`). */
  language: string;
}

/**
 * A plugin's part of the page. The desktop gives it an element of its own, and calls `update` when
 * the context changes and `unmount` when the slot goes away. Render with anything: the DOM, or a
 * framework the plugin brings.
 */
export interface SlotComponent {
  mount(container: HTMLElement, context: SlotContext): SlotInstance | void;
}
export interface SlotInstance {
  update?(context: SlotContext): void;
  unmount?(): void;
}

export interface Slots {
  add(slot: SlotName, component: SlotComponent): () => void;
}

export interface PluginApi {
  /** Bumped when something here changes incompatibly. */
  readonly version: 1;
  readonly user: { sid: string; friendlyName: string; role: "agent" | "supervisor" | "admin" };
  readonly language: string;
  readonly actions: Actions;
  readonly events: Events;
  readonly slots: Slots;
}

export interface Plugin {
  /** Shown in the desktop's error line when the plugin fails to load. */
  name: string;
  init(api: PluginApi): void | Promise<void>;
}

/** Identity, for type inference in TypeScript plugins: `export default definePlugin({ … })`. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}
