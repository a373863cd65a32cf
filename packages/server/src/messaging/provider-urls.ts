import { API_PREFIX } from "../platform/http/server.ts";

/** Where a provider's webhooks reach us: the URLs an operator configures at the provider. */
export const PROVIDER_WEBHOOKS = `${API_PREFIX}/Messaging/Providers/:ProviderSid`;

export function providerUrls(origin: string, providerSid: string) {
  const base = `${origin}${API_PREFIX}/Messaging/Providers/${providerSid}`;
  return { inbound_url: `${base}/Inbound`, status_callback_url: `${base}/Status` };
}

/** The last segment of a Meta provider's webhook path, by type. */
export const META_WEBHOOK = { whatsapp: "WhatsApp", messenger: "Messenger" } as const;

/** The webhook URL of a Meta provider, for the app's dashboard. */
export function metaWebhookUrl(origin: string, providerSid: string, type: keyof typeof META_WEBHOOK): string {
  return `${origin}${API_PREFIX}/Messaging/Providers/${providerSid}/${META_WEBHOOK[type]}`;
}
