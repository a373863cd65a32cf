import { createHmac } from "node:crypto";

/**
 * Twilio's X-Twilio-Signature: base64 HMAC-SHA1, keyed with the account's auth token, over the full
 * URL followed by every POST parameter as name + value, parameters sorted by name (a parameter with
 * several values contributes each, sorted). Receivers check it with the twilio SDK's `validateRequest`.
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (Array.isArray(value)) {
      for (const item of [...new Set(value)].sort()) data += name + item;
    } else {
      data += name + (value ?? "");
    }
  }
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}
