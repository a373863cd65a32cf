import type {
  ActionListenerName,
  ActionName,
  ActionPayloads,
  EventName,
  EventPayloads,
  Plugin,
  PluginApi,
  SlotComponent,
  SlotName,
} from "@switchboard/plugin-api";

const NO_COMPONENTS: readonly SlotComponent[] = [];

/** A before-listener stopped an action; `message` is its reason, shown to the agent. */
export class ActionAborted extends Error {}

type Implementation<N extends ActionName> = (payload: ActionPayloads[N]) => Promise<void>;
// Kept without their action's payload type; each is only ever called with its own action's payload.
type AnyImplementation = (payload: unknown) => Promise<void>;
type AnyReplacement = (payload: unknown, original: AnyImplementation) => Promise<void>;
type Listener = (payload: unknown, abort: (reason: string) => void) => void | Promise<void>;

/**
 * The desktop's side of the plugin API: the action registry every desktop button goes through,
 * slots, and events. Plugins are ES modules loaded by URL; each gets the same `api`.
 */
export class PluginHost {
  private readonly listeners = new Map<ActionListenerName, Listener[]>();
  private readonly replacements = new Map<ActionName, AnyReplacement[]>();
  private readonly defaults = new Map<ActionName, AnyImplementation>();
  private readonly slots = new Map<SlotName, readonly SlotComponent[]>();
  private readonly slotWatchers = new Set<() => void>();
  private readonly handlers = new Map<EventName, Set<(payload: never) => void>>();
  readonly api: PluginApi;

  constructor(user: PluginApi["user"], language: string) {
    const remove =
      <T>(list: T[], item: T) =>
      () => {
        const at = list.indexOf(item);
        if (at >= 0) list.splice(at, 1);
      };
    this.api = {
      version: 1,
      user,
      language,
      actions: {
        addListener: (name, handler) => {
          const list = this.listeners.get(name) ?? [];
          this.listeners.set(name, list);
          list.push(handler as Listener);
          return remove(list, handler as Listener);
        },
        replaceAction: (name, implementation) => {
          const list = this.replacements.get(name) ?? [];
          this.replacements.set(name, list);
          const erased = implementation as unknown as AnyReplacement;
          list.push(erased);
          return remove(list, erased);
        },
        invokeAction: (name, payload) => this.invoke(name, payload),
      },
      events: {
        on: (event, handler) => {
          const set = this.handlers.get(event) ?? new Set();
          this.handlers.set(event, set);
          set.add(handler);
          return () => set.delete(handler);
        },
      },
      slots: {
        // Each change makes a new list: the slots compare lists to know when to draw again.
        add: (slot, component) => {
          this.slots.set(slot, [...this.components(slot), component]);
          this.slotsChanged();
          return () => {
            this.slots.set(
              slot,
              this.components(slot).filter((c) => c !== component),
            );
            this.slotsChanged();
          };
        },
      },
    };
  }

  /** Loads plugin modules in order; a plugin that fails to load or start is reported and skipped. */
  async load(urls: string[]): Promise<string[]> {
    const failures: string[] = [];
    for (const url of urls) {
      try {
        const module = (await import(/* @vite-ignore */ url)) as { default?: Plugin };
        if (typeof module.default?.init !== "function") throw new Error("its default export has no init()");
        await module.default.init(this.api);
      } catch (error) {
        failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures;
  }

  /** What an action does when no plugin replaced it (the desktop's own implementation). */
  implement<N extends ActionName>(name: N, implementation: Implementation<N>): void {
    this.defaults.set(name, implementation as unknown as AnyImplementation);
  }

  /**
   * Runs an action: before-listeners (any may abort: ActionAborted), then the implementation —
   * `base` when the caller has its own, else the registered one — wrapped by the plugins'
   * replacements (the last added outermost), then after-listeners and the actionCompleted event.
   */
  async invoke<N extends ActionName>(
    name: N,
    payload: ActionPayloads[N],
    base?: Implementation<N>,
  ): Promise<void> {
    for (const listener of this.listeners.get(`before${name}`) ?? []) {
      let reason: string | undefined;
      await listener(payload, (why) => {
        reason = why;
      });
      if (reason !== undefined) throw new ActionAborted(reason);
    }
    let run = (base as AnyImplementation | undefined) ?? this.defaults.get(name);
    if (!run) throw new Error(`No implementation of ${name}`);
    for (const replacement of this.replacements.get(name) ?? []) {
      const inner: AnyImplementation = run;
      run = (p) => replacement(p, inner);
    }
    await run(payload);
    for (const listener of this.listeners.get(`after${name}`) ?? []) await listener(payload, () => undefined);
    this.emit("actionCompleted", { name });
  }

  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        (handler as (payload: EventPayloads[E]) => void)(payload);
      } catch (error) {
        console.error(`a plugin's ${event} handler failed`, error);
      }
    }
  }

  components(slot: SlotName): readonly SlotComponent[] {
    return this.slots.get(slot) ?? NO_COMPONENTS;
  }

  /** Calls `watcher` whenever a plugin adds or removes a slot component. */
  watchSlots(watcher: () => void): () => void {
    this.slotWatchers.add(watcher);
    return () => this.slotWatchers.delete(watcher);
  }

  private slotsChanged(): void {
    for (const watcher of this.slotWatchers) watcher();
  }
}
