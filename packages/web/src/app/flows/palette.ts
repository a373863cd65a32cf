import { WIDGETS } from "@switchboard/engine/widgets";

/** How a property is edited in the side panel. */
export type FieldKind = "template" | "long-template" | "number" | "workflow" | "channel" | "flow" | "method";

export interface PropertyField {
  property: string;
  kind: FieldKind;
}

/** The palette's groups, in the order they show. Voice widgets validate and import, but run only on calls. */
export const PALETTE_GROUPS: Array<{
  group: "messaging" | "logic" | "integrations" | "contactCenter" | "voice";
  types: string[];
}> = [
  { group: "messaging", types: ["send-message", "send-and-wait-for-reply"] },
  { group: "logic", types: ["split-based-on", "set-variables"] },
  { group: "integrations", types: ["make-http-request", "run-function", "run-subflow"] },
  { group: "contactCenter", types: ["send-to-flex"] },
  {
    group: "voice",
    types: Object.entries(WIDGETS)
      .filter(([, spec]) => spec.runs === "voice")
      .map(([type]) => type),
  },
];

/**
 * The properties the side panel offers as fields, per widget type. Everything else a widget has
 * (and every property of the types not listed) is edited as JSON under "All properties", so
 * nothing Studio allows is out of reach.
 */
export const PROPERTY_FIELDS: Record<string, PropertyField[]> = {
  "send-message": [
    { property: "body", kind: "long-template" },
    { property: "to", kind: "template" },
    { property: "from", kind: "template" },
    { property: "media_url", kind: "template" },
  ],
  "send-and-wait-for-reply": [
    { property: "body", kind: "long-template" },
    { property: "timeout", kind: "number" },
    { property: "from", kind: "template" },
  ],
  "split-based-on": [{ property: "input", kind: "template" }],
  "make-http-request": [
    { property: "method", kind: "method" },
    { property: "url", kind: "template" },
    { property: "content_type", kind: "template" },
    { property: "body", kind: "long-template" },
  ],
  "run-function": [{ property: "url", kind: "template" }],
  "run-subflow": [
    { property: "flow_sid", kind: "flow" },
    { property: "flow_revision", kind: "template" },
  ],
  "send-to-flex": [
    { property: "workflow", kind: "workflow" },
    { property: "channel", kind: "channel" },
    { property: "attributes", kind: "long-template" },
    { property: "priority", kind: "template" },
    { property: "timeout", kind: "template" },
  ],
};

/**
 * Liquid variables a template may use at a widget: the trigger's, the flow's and the contact's,
 * and the outputs of the other widgets (what each type produces).
 */
export function liquidHints(states: Array<{ name: string; type: string }>, current: string): string[] {
  const hints = [
    "{{trigger.message.Body}}",
    "{{trigger.message.Author}}",
    "{{trigger.conversation.ChannelAttributes.customerName}}",
    "{{contact.channel.address}}",
    "{{flow.channel.address}}",
    "{{flow.data}}",
    "{{flow.variables}}",
  ];
  for (const state of states) {
    if (state.name === current) continue;
    if (state.type === "send-and-wait-for-reply") hints.push(`{{widgets.${state.name}.inbound.Body}}`);
    if (state.type === "make-http-request" || state.type === "run-function")
      hints.push(`{{widgets.${state.name}.parsed}}`, `{{widgets.${state.name}.body}}`);
    if (state.type === "send-to-flex") hints.push(`{{widgets.${state.name}.sid}}`);
  }
  return hints;
}
