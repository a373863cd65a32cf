import { describeFetchError } from "../../platform/outbound.ts";
import { SendFailure, UNKNOWN_ERROR, type SendRequest, type Transport } from "../../messaging/transport.ts";

/**
 * Sends through an HTTP API shaped like Twilio's Messages resource (Twilio itself, or any provider
 * or gateway that copies it): `POST {base_url}/2010-04-01/Accounts/{username}/Messages.json`, Basic
 * auth with the provider's username and password, and our status callback URL so its delivery
 * reports come back. A 4xx answer is the provider's refusal (its code and message are kept); 429,
 * 5xx and no answer at all are passing faults.
 */
export function twilioTransport(timeoutMs: number): Transport {
  return {
    providerType: "twilio",
    async send({ message, provider, password, statusCallbackUrl, attachments }: SendRequest) {
      const base = (provider.settings.base_url ?? "https://api.twilio.com").replace(/\/$/, "");
      const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(provider.settings.username)}/Messages.json`;
      const form = new URLSearchParams({
        To: message.to_address,
        From: message.from_address,
        StatusCallback: statusCallbackUrl,
      });
      if (message.body !== null) form.set("Body", message.body);
      for (const media of JSON.parse(message.media_urls) as string[]) form.append("MediaUrl", media);
      // A conversation message's files, by links the provider fetches (MMS, WhatsApp media).
      for (const attachment of attachments) form.append("MediaUrl", attachment.url);
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            Authorization: `Basic ${Buffer.from(`${provider.settings.username}:${password}`).toString("base64")}`,
            "Content-Type": "application/x-www-form-urlencoded",
            // Makes the provider's retries of this request harmless, where it honours the header.
            "I-Twilio-Idempotency-Token": message.sid,
          },
          body: form,
        });
      } catch (error) {
        throw new Error(describeFetchError(error, timeoutMs));
      }
      const answer = (await response.json().catch(() => ({}))) as {
        sid?: unknown;
        code?: unknown;
        message?: unknown;
      };
      if (response.ok && typeof answer.sid === "string") return { providerMessageId: answer.sid };
      const code = typeof answer.code === "number" ? answer.code : UNKNOWN_ERROR;
      const reason =
        typeof answer.message === "string"
          ? answer.message
          : response.ok
            ? "the provider's answer named no message SID"
            : `the provider answered HTTP ${response.status}`;
      const passing = response.status === 429 || response.status >= 500;
      throw new SendFailure(code, reason, !passing);
    },
  };
}
