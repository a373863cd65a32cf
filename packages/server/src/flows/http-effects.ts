import type { Effect } from "@switchboard/engine";
import { describeFetchError } from "../platform/outbound.ts";

/** Studio reads at most this much of a response. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

type HttpEffect = Extract<Effect, { type: "http-request" | "run-function" }>;

/**
 * Performs a make-http-request or run-function widget's call and says which event the widget
 * leaves on, with Studio's outputs: `status_code`, `content_type`, `body`, and `parsed` when the body
 * is JSON. A 2xx answer is success; anything else, no answer in time, or a body over 64 KB is the
 * failure event, with the reason in `error`.
 *
 * run-function posts its parameters as a form, as Twilio Functions receive them; make-http-request
 * sends them as a form (POST) or query string (GET), or its JSON body for JSON requests.
 */
export async function callOut(
  effect: HttpEffect,
  timeoutMs: number,
): Promise<{ event: string; outputs: Record<string, unknown> }> {
  const failure = effect.type === "run-function" ? "fail" : "failed";
  const form = new URLSearchParams(effect.parameters.map(({ key, value }): [string, string] => [key, value]));
  let url: URL;
  try {
    url = new URL(effect.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
  } catch {
    return { event: failure, outputs: { error: `${JSON.stringify(effect.url)} is not an http(s) URL` } };
  }
  const init: RequestInit = { method: "POST", signal: AbortSignal.timeout(timeoutMs), redirect: "follow" };
  if (effect.type === "http-request" && effect.method === "GET") {
    for (const [key, value] of form) url.searchParams.append(key, value);
    init.method = "GET";
  } else if (effect.type === "http-request" && effect.contentType === "json") {
    init.headers = { "content-type": "application/json;charset=utf-8" };
    init.body = effect.body;
  } else {
    init.headers = { "content-type": "application/x-www-form-urlencoded;charset=utf-8" };
    init.body = form.toString();
  }
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, init);
    body = await readLimited(response);
  } catch (error) {
    const reason = error instanceof TooLarge ? error.message : describeFetchError(error, timeoutMs);
    return { event: failure, outputs: { error: reason } };
  }
  const contentType = response.headers.get("content-type") ?? "";
  const outputs: Record<string, unknown> = { status_code: response.status, content_type: contentType, body };
  try {
    if (body.trim() !== "") outputs.parsed = JSON.parse(body);
  } catch {
    // Not JSON: the body is still there as text.
  }
  if (response.status < 200 || response.status > 299)
    return { event: failure, outputs: { ...outputs, error: `the server answered ${response.status}` } };
  return { event: "success", outputs };
}

class TooLarge extends Error {}

async function readLimited(response: Response): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).byteLength;
    if (size > MAX_RESPONSE_BYTES) throw new TooLarge(`the response is over ${MAX_RESPONSE_BYTES / 1024} KB`);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks).toString("utf8");
}
