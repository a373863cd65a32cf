import type { ProviderType } from "../platform/db/schema.ts";
import type { Media } from "../media/store.ts";
import type { Provider } from "./providers.ts";
import type { ChannelMessage } from "./store.ts";

/** One attempt to hand a message to its provider. */
export interface SendRequest {
  message: ChannelMessage;
  provider: Provider;
  password: string;
  /** Where the provider should report the message's progress, if it reports by HTTP. */
  statusCallbackUrl: string;
  /** When the recipient last wrote to the sender (epoch ms), on channels with a service window. */
  lastInbound?: number;
  /** Files of the conversation message this delivers, if any. */
  attachments: OutboundAttachment[];
}

/** A file to send with a message: a link anyone may fetch for a week, or its bytes. */
export interface OutboundAttachment {
  media: Media;
  url: string;
  content: () => Promise<Buffer>;
}

/**
 * How messages leave through one type of provider. A transport resolves with the provider's ID for
 * the message once the provider has taken it, and rejects with a SendFailure when the provider said
 * no; any other rejection (no connection, no answer) is taken as passing and retried.
 */
export interface Transport {
  readonly providerType: ProviderType;
  send(request: SendRequest): Promise<{ providerMessageId: string }>;
}

/** The provider's refusal, with its error code and reason; `permanent` when retrying cannot help. */
export class SendFailure extends Error {
  constructor(
    readonly code: number,
    reason: string,
    readonly permanent: boolean,
  ) {
    super(reason);
    this.name = "SendFailure";
  }
}

/** Twilio's codes for what goes wrong before a provider says anything. */
export const NO_PROVIDER = 21606;
export const UNKNOWN_ERROR = 30008;
