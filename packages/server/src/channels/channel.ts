import type { RoutingService } from "../routing/service.ts";
import type { Clock } from "@switchboard/engine";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { InboundRouter } from "../conversations/inbound.ts";
import type { ConversationStore } from "../conversations/store.ts";
import type { TypingRelay } from "../conversations/typing.ts";
import type { AddressType } from "../platform/db/schema.ts";
import type { EventLog } from "../platform/events/event-log.ts";
import type { HttpServer } from "../platform/http/server.ts";
import type { ProviderStore } from "../messaging/providers.ts";
import type { MessageStore } from "../messaging/store.ts";
import type { Transport } from "../messaging/transport.ts";
import type { SecretBox } from "../platform/secrets/secret-box.ts";
import type { MediaLinks } from "../media/links.ts";
import type { MediaStore } from "../media/store.ts";

/** What a channel adapter may use. */
export interface ChannelContext {
  config: Config;
  inbound: InboundRouter;
  conversations: ConversationStore;
  /** Who is typing where: ephemeral signals between this process's sockets. */
  typing: TypingRelay;
  events: EventLog;
  /** Messages that cross a provider, and the accounts' providers. */
  messages: MessageStore;
  providers: ProviderStore;
  secrets: SecretBox;
  /** Files attached to conversation messages, and signed links to them. */
  media: MediaStore;
  mediaLinks: MediaLinks;
  /** TaskRouter workspaces: where a conversation's task waits (web chat's "estimated wait"). */
  routing: RoutingService;
  /** The origin providers reach this server at (configured, or the bound address once listening). */
  publicUrl(): string;
  clock: Clock;
  logger: Logger;
}

/**
 * A channel adapter: how messages of one kind reach Switchboard and leave it. Each lives in its own
 * folder under channels/ and is listed once in channels/index.ts.
 */
export interface Channel {
  /** The address type (Conversations address configuration) the adapter serves. */
  readonly type: AddressType;
  /** Endpoints a business's own servers call with API credentials. */
  apiRoutes?(api: HttpServer): void;
  /**
   * Endpoints called without API credentials (customers' browsers, providers' webhooks); each
   * checks its own token or signature.
   */
  openRoutes?(open: HttpServer): void | Promise<void>;
  /** How messages leave through the provider types this channel speaks to. */
  transports?: Transport[];
  /** Work that runs while the server does (consuming the event log, connections to providers). */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export type ChannelFactory = (context: ChannelContext) => Channel;
