import { ApiError, conflict, notFound } from "../platform/errors.ts";

/**
 * The Conversations API's own error codes, where Twilio documents one; other refusals use the
 * generic codes of platform/errors.ts.
 */
export const duplicateUniqueName = (uniqueName: string) =>
  new ApiError(409, 50353, `Conversation with provided unique name ${uniqueName} already exists`);

export const duplicateIdentity = (identity: string) =>
  new ApiError(409, 50433, `Participant with identity ${identity} already exists in this conversation`);

/** An address and proxy address pair belongs to one open conversation: inbound messages are routed by it. */
export const duplicateBinding = (conversationSid: string) =>
  new ApiError(
    409,
    50416,
    `A binding for this participant and proxy address already exists in Conversation ${conversationSid}`,
  );

export const closedConversation = (conversationSid: string) =>
  conflict(`Conversation ${conversationSid} is closed: it takes no new messages or participants`);

/** Nobody configured what a message to this address starts. */
export class NoConversationError extends ApiError {
  constructor(channel: string, address: string) {
    const { status, code } = notFound("");
    super(
      status,
      code,
      `No open conversation takes this message and ${channel} address ${address} has no address configuration with auto-creation enabled`,
    );
  }
}

export const noConversationFor = (channel: string, address: string) =>
  new NoConversationError(channel, address);
