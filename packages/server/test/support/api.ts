/** What an API call answered: the status and the JSON body (empty for a body-less answer). */
export interface Answer {
  status: number;
  body: Record<string, any>;
}

/**
 * Plain HTTP calls to a Switchboard API with an account's credentials (form-encoded, as Twilio's
 * SDKs send them), for our own endpoints that the twilio SDK does not know.
 */
export function apiCalls(baseUrl: () => string, account: () => { sid: string; token: string }) {
  const headers = (authenticated: boolean) =>
    authenticated
      ? {
          Authorization: `Basic ${Buffer.from(`${account().sid}:${account().token}`).toString("base64")}`,
        }
      : undefined;
  const answer = async (response: Response): Promise<Answer> => {
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  };
  return {
    post: async (path: string, params: Record<string, string>, authenticated = true) =>
      answer(
        await fetch(baseUrl() + path, {
          method: "POST",
          headers: { ...headers(authenticated), "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(params).toString(),
        }),
      ),
    get: async (path: string) => answer(await fetch(baseUrl() + path, { headers: headers(true) })),
    /** Uploads a file (the raw body) to the media API. */
    upload: async (content: string | Buffer, contentType: string, filename?: string) =>
      answer(
        await fetch(
          `${baseUrl()}/switchboard/v1/Media${filename ? `?Filename=${encodeURIComponent(filename)}` : ""}`,
          {
            method: "POST",
            headers: { ...headers(true), "Content-Type": contentType },
            body: typeof content === "string" ? content : new Uint8Array(content),
          },
        ),
      ),
  };
}
