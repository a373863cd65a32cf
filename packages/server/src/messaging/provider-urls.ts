import { API_PREFIX } from "../platform/http/server.ts";

/** Where a provider's webhooks reach us: the URLs an operator configures at the provider. */
export const PROVIDER_WEBHOOKS = `${API_PREFIX}/Messaging/Providers/:ProviderSid`;

export function providerUrls(origin: string, providerSid: string) {
  const base = `${origin}${API_PREFIX}/Messaging/Providers/${providerSid}`;
  return { inbound_url: `${base}/Inbound`, status_callback_url: `${base}/Status` };
}
