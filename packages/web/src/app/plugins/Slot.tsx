import type { SlotComponent, SlotContext, SlotInstance, SlotName } from "@switchboard/plugin-api";
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { PluginHost } from "./host.ts";

/** Where plugins draw: each component added to the slot gets an element of its own. */
export function Slot({ host, name, context }: { host: PluginHost; name: SlotName; context: SlotContext }) {
  const components = useSyncExternalStore(
    (changed) => host.watchSlots(changed),
    () => host.components(name),
  );
  if (components.length === 0) return null;
  return (
    <div data-slot={name} className="flex flex-col gap-2">
      {components.map((component, index) => (
        <Mounted key={index} component={component} context={context} />
      ))}
    </div>
  );
}

function Mounted({ component, context }: { component: SlotComponent; context: SlotContext }) {
  const element = useRef<HTMLDivElement>(null);
  const instance = useRef<SlotInstance | void>(undefined);
  const [failure, setFailure] = useState<string | undefined>();
  useEffect(() => {
    if (!element.current) return;
    try {
      instance.current = component.mount(element.current, context);
    } catch (error) {
      setFailure(String(error));
    }
    return () => {
      instance.current?.unmount?.();
      instance.current = undefined;
      if (element.current) element.current.replaceChildren();
    };
    // Mounted once per component (the context it starts with); later contexts go through update().
  }, [component]);
  useEffect(() => {
    instance.current?.update?.(context);
  }, [context]);
  return (
    <>
      <div ref={element} />
      {failure && <p className="text-xs text-red-700">{failure}</p>}
    </>
  );
}
