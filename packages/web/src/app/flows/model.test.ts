import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  addWidget,
  connect,
  moveWidget,
  problemsByWidget,
  removeWidget,
  renameWidget,
  setConditions,
  type FlowDefinition,
} from "./model.ts";

// Copies of the real Studio exports in ../shared/specs/studio-flows (their sources in SOURCES.md).
const REAL_FLOWS = path.resolve(import.meta.dirname, "../../../../engine/src/flows/fixtures");
const realFlows = readdirSync(REAL_FLOWS)
  .filter((f) => f.endsWith(".json"))
  .map((file) => ({ file, text: readFileSync(path.join(REAL_FLOWS, file), "utf8") }));

describe("flow builder model", () => {
  it.each(realFlows)("exports $file exactly as imported, and after a move and a move back", ({ text }) => {
    const imported = JSON.parse(text) as FlowDefinition;
    expect(JSON.stringify(imported, null, 2)).toBe(JSON.stringify(JSON.parse(text), null, 2));
    const widget = imported.states[1]!;
    const offset = widget.properties.offset!;
    const moved = moveWidget(imported, widget.name, { x: offset.x + 40, y: offset.y - 10 });
    expect(moved.states[1]!.properties.offset).toEqual({ x: offset.x + 40, y: offset.y - 10 });
    expect(JSON.stringify(moveWidget(moved, widget.name, offset))).toBe(JSON.stringify(imported));
    // Untouched widgets are the very same objects: nothing else could have changed.
    expect(moved.states[0]).toBe(imported.states[0]);
  });

  it("adds, connects, renames and removes widgets, keeping references whole", () => {
    const start = JSON.parse(realFlows[0]!.text) as FlowDefinition;
    const { definition: added, name } = addWidget(start, "send-message", { x: 10.4, y: 20.6 });
    expect(name).toBe("send_message_1");
    const widget = added.states.at(-1)!;
    expect(widget.transitions.map((t) => t.event)).toEqual(["sent", "failed"]);
    expect(widget.properties.offset).toEqual({ x: 10, y: 21 });

    const wired = connect(added, "Trigger", 0, name);
    expect(wired.states[0]!.transitions[0]!.next).toBe(name);
    const renamed = renameWidget(wired, name, "goodbye");
    expect(renamed.states[0]!.transitions[0]!.next).toBe("goodbye");
    expect(renamed.states.at(-1)!.name).toBe("goodbye");
    const removed = removeWidget(renamed, "goodbye");
    expect(removed.states.some((s) => s.name === "goodbye")).toBe(false);
    expect(removed.states[0]!.transitions[0]).toEqual({ event: start.states[0]!.transitions[0]!.event });
    expect(removeWidget(removed, "Trigger")).toBe(removed);
  });

  it("keeps a split's conditions as its match transitions", () => {
    const { definition, name } = addWidget(
      JSON.parse(realFlows[0]!.text) as FlowDefinition,
      "split-based-on",
      {
        x: 0,
        y: 0,
      },
    );
    expect(definition.states.at(-1)!.transitions.map((t) => t.event)).toEqual(["noMatch"]);
    const condition = { friendly_name: "Sales", arguments: ["{{x}}"], type: "equal_to", value: "1" };
    const split = setConditions(definition, name, [{ condition, next: "Trigger" }]);
    expect(split.states.at(-1)!.transitions).toEqual([
      { event: "noMatch" },
      { next: "Trigger", event: "match", conditions: [condition] },
    ]);
  });

  it("pins validation errors to the widget their path names", () => {
    const flow = JSON.parse(realFlows[0]!.text) as FlowDefinition;
    const { byWidget, general } = problemsByWidget(flow, [
      { message: "body is required", property_path: "#/states/1/properties/body" },
      { message: "initial_state must name the trigger", property_path: "#/initial_state" },
    ]);
    expect(byWidget.get(flow.states[1]!.name)).toEqual(["body is required"]);
    expect(general).toEqual(["initial_state must name the trigger"]);
  });
});
