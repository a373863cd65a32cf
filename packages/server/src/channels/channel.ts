import type { InboundRouter } from "../conversations/inbound.ts";
import type { AddressType } from "../platform/db/schema.ts";
import type { HttpServer } from "../platform/http/server.ts";

/**
 * A channel adapter: how messages of one kind reach Switchboard and leave it. Each lives in its own
 * folder under channels/ and is listed once in channels/index.ts.
 */
export interface ChannelAdapter {
  /** The address type (Conversations address configuration) the adapter serves. */
  type: AddressType;
  /** Mounts the adapter's inbound endpoints on the authenticated API. */
  routes(api: HttpServer, inbound: InboundRouter): void;
}
