/** A trigger widget starting the flow at `next[event]` for each event it names. */
export const trigger = (next: Record<string, string>) => ({
  name: "Trigger",
  type: "trigger",
  transitions: [
    "incomingMessage",
    "incomingCall",
    "incomingConversationMessage",
    "incomingRequest",
    "incomingParent",
  ].map((event) => ({ event, ...(next[event] && { next: next[event] }) })),
  properties: { offset: { x: 0, y: 0 } },
});

/**
 * The IVR-deflection flow: the IVR starts it through the REST API with the caller's number; it texts
 * the caller, waits for the answer and hands the conversation to Support with the answer.
 */
export function deflectionFlow(workflowSid: string) {
  return {
    description: "IVR deflection to SMS",
    initial_state: "Trigger",
    flags: { allow_concurrent_calls: true },
    states: [
      trigger({ incomingRequest: "ask" }),
      {
        name: "ask",
        type: "send-and-wait-for-reply",
        transitions: [
          { event: "incomingMessage", next: "to_agent" },
          { event: "timeout", next: "goodbye" },
          { event: "deliveryFailure" },
        ],
        properties: {
          from: "{{flow.channel.address}}",
          body: "Thank you for choosing to connect with us via SMS{% if flow.data.name %}, {{flow.data.name}}{% endif %}. In a few words, how can we help?",
          timeout: "3600",
        },
      },
      {
        name: "to_agent",
        type: "send-to-flex",
        transitions: [{ event: "callComplete" }, { event: "failedToEnqueue" }, { event: "callFailure" }],
        properties: {
          workflow: workflowSid,
          channel: "sms",
          attributes: JSON.stringify({
            deflectedFrom: "ivr",
            name: "{{flow.data.name}}",
            reason: "{{widgets.ask.inbound.Body}}",
          }),
        },
      },
      {
        name: "goodbye",
        type: "send-message",
        transitions: [{ event: "sent" }, { event: "failed" }],
        properties: {
          from: "{{flow.channel.address}}",
          to: "{{contact.channel.address}}",
          body: "We did not hear back. Call us any time.",
        },
      },
    ],
  };
}
