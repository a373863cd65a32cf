import { createHmac } from "node:crypto";
import { z } from "zod";
import { OUTSIDE_WINDOW } from "../../messaging/service-window.ts";
import type { Provider, ProviderStore, ProviderWithSecrets } from "../../messaging/providers.ts";
import { SendFailure } from "../../messaging/transport.ts";
import type { ProviderType } from "../../platform/db/schema.ts";
import { forbidden, invalidParameter, notFound } from "../../platform/errors.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import { describeFetchError } from "../../platform/outbound.ts";
import { sameSecret } from "../../platform/secrets/secret-box.ts";

/** Meta's Graph API, versioned; a provider's `base_url` replaces it (a pinned version, a test double). */
export const GRAPH_API = "https://graph.facebook.com/v21.0";

export function graphBase(provider: Provider): string {
  return (provider.settings.base_url ?? GRAPH_API).replace(/\/$/, "");
}

/** An error as the Graph API reports it. */
const graphError = z.looseObject({
  message: z.string().optional(),
  code: z.number().optional(),
  error_subcode: z.number().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

/**
 * Codes Meta documents as passing: throttling (4, 17, 32, 613, 80007, 130429, 131048, 131056) and
 * its own trouble (1, 2, 131000, 131016). Anything else is a refusal that retrying cannot change.
 */
const PASSING = new Set([1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131048, 131056]);

/** Meta's ways of saying the customer service window is closed (WhatsApp; Messenger's code 10). */
function closedWindow(code: number | undefined, subcode: number | undefined): boolean {
  return code === 131047 || (code === 10 && subcode === 2018278);
}

/**
 * Posts JSON to the Graph API with the provider's access token and resolves with Meta's answer.
 * Rejects with a SendFailure carrying Meta's code and words when Meta refused (passing for
 * throttling and its own faults), and with a plain Error when no answer came (retried).
 */
export async function graphPost(
  url: string,
  accessToken: string,
  body: unknown,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(describeFetchError(error, timeoutMs));
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok) return answer;
  throw graphFailure(response.status, answer.error);
}

/**
 * Fetches a file a customer sent (WhatsApp media): its description from `{base}/{media ID}`, then
 * the bytes from the URL that names, both with the access token. Rejects when Meta does not hand
 * it over or it is larger than `maxBytes`.
 */
export async function graphDownload(
  provider: Provider,
  accessToken: string,
  mediaId: string,
  maxBytes: number,
  timeoutMs: number,
): Promise<{ content: Buffer; contentType: string }> {
  const headers = { Authorization: `Bearer ${accessToken}` };
  const described = await fetch(`${graphBase(provider)}/${encodeURIComponent(mediaId)}`, {
    headers,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const about = (await described.json().catch(() => ({}))) as {
    url?: unknown;
    mime_type?: unknown;
    file_size?: unknown;
  };
  if (!described.ok || typeof about.url !== "string")
    throw new Error(`Meta did not describe media ${mediaId} (HTTP ${described.status})`);
  if (typeof about.file_size === "number" && about.file_size > maxBytes)
    throw new Error(`Media ${mediaId} is ${about.file_size} bytes, over the ${maxBytes}-byte limit`);
  const file = await fetch(about.url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  if (!file.ok) throw new Error(`Meta did not hand over media ${mediaId} (HTTP ${file.status})`);
  const content = Buffer.from(await file.arrayBuffer());
  if (content.length > maxBytes) throw new Error(`Media ${mediaId} is over the ${maxBytes}-byte limit`);
  const contentType =
    typeof about.mime_type === "string"
      ? about.mime_type
      : (file.headers.get("content-type") ?? "application/octet-stream");
  return { content, contentType: contentType.split(";")[0]!.trim() };
}

/** A failure Meta reported, for a send or for a message it had taken (a WhatsApp status). */
export function graphFailure(httpStatus: number | undefined, reported: unknown): SendFailure {
  const error = graphError.safeParse(reported);
  const { code, error_subcode: subcode, message, error_data } = error.success ? error.data : {};
  const words = [message, error_data?.details].filter(Boolean).join(": ") || `HTTP ${httpStatus}`;
  if (closedWindow(code, subcode))
    return new SendFailure(OUTSIDE_WINDOW, `Outside the customer service window (Meta: ${words})`, true);
  const passing =
    (code !== undefined && PASSING.has(code)) ||
    httpStatus === 429 ||
    (httpStatus !== undefined && httpStatus >= 500);
  return new SendFailure(code ?? httpStatus ?? 0, `Meta refused the message: ${words}`, !passing);
}

/** `X-Hub-Signature-256`: "sha256=" and the hex HMAC-SHA256 of the raw body under the app secret. */
export function hubSignature(appSecret: string, rawBody: Buffer): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
}

const params = z.object({ ProviderSid: z.string() });
const handshake = z.object({
  "hub.mode": z.string().optional(),
  "hub.verify_token": z.string().optional(),
  "hub.challenge": z.string().optional(),
});

export interface GraphWebhook {
  /** The URL path, with `:ProviderSid`. */
  path: string;
  type: Extract<ProviderType, "whatsapp" | "messenger">;
  providers: ProviderStore;
  summary: string;
  /** Takes a payload whose signature was checked; a rejection answers 500, so Meta sends it again. */
  receive(found: ProviderWithSecrets, payload: unknown): Promise<void>;
}

/**
 * A Meta webhook for one provider: the GET handshake Meta makes when the URL is configured (it
 * must present the provider's verify token; its challenge is echoed), and the POSTed events, taken
 * only with a valid `X-Hub-Signature-256` over the raw body. The body is kept raw in this route's
 * own scope, so the signature is checked over exactly the bytes Meta signed, before any parsing.
 */
export async function graphWebhookRoutes(open: HttpServer, webhook: GraphWebhook): Promise<void> {
  const providerOf = async (sid: string, url: string): Promise<ProviderWithSecrets> => {
    const found = await webhook.providers.withSecrets(sid);
    if (!found || found.provider.type !== webhook.type)
      throw notFound(`The requested resource ${url.split("?")[0]} was not found`);
    return found;
  };

  open.get(
    webhook.path,
    {
      schema: {
        tags: ["Messaging"],
        summary: `${webhook.summary}: Meta's verification handshake`,
        params,
        querystring: handshake,
      },
    },
    async (request, reply) => {
      const { provider } = await providerOf(request.params.ProviderSid, request.url);
      const query = request.query;
      const token = query["hub.verify_token"] ?? "";
      if (
        query["hub.mode"] !== "subscribe" ||
        query["hub.challenge"] === undefined ||
        !sameSecret(token, webhook.providers.verifyToken(provider.sid))
      )
        throw forbidden("The verify token does not match this provider's verify_token");
      return reply.code(200).type("text/plain").send(query["hub.challenge"]);
    },
  );

  await open.register((scoped: HttpServer, _options, registered) => {
    scoped.removeContentTypeParser("application/json");
    scoped.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, raw, done) =>
      done(null, raw),
    );
    scoped.post(
      webhook.path,
      { schema: { tags: ["Messaging"], summary: `${webhook.summary}: events`, params } },
      async (request, reply) => {
        const found = await providerOf(request.params.ProviderSid, request.url);
        if (!Buffer.isBuffer(request.body)) throw invalidParameter("Expected a JSON body");
        const given = request.headers["x-hub-signature-256"];
        if (typeof given !== "string" || !sameSecret(given, hubSignature(found.webhookSecret, request.body)))
          throw forbidden("The request's X-Hub-Signature-256 does not match: it was not sent by this app");
        let payload: unknown;
        try {
          payload = JSON.parse(request.body.toString("utf8"));
        } catch {
          throw invalidParameter("The body is not valid JSON");
        }
        await webhook.receive(found, payload);
        return reply.code(200).send();
      },
    );
    registered();
  });
}

/**
 * The provider of the account that a Meta event names (`username` = a phone number ID, a page ID):
 * one app's webhook carries every number or page it serves, so the URL's provider may be a sibling.
 */
export async function addressedProvider(
  providers: ProviderStore,
  via: Provider,
  id: string,
): Promise<Provider | undefined> {
  if (via.settings.username === id) return via;
  const siblings = await providers.ofAccounts([via.account_sid]);
  return siblings.find((p) => p.type === via.type && p.settings.username === id);
}
