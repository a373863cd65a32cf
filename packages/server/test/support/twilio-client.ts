import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient";

/**
 * The official twilio SDK, pointed at a local Switchboard: the SDK builds https://<product>.twilio.com
 * URLs and this client sends them to our server instead, path and query unchanged.
 */
class LocalRequestClient extends twilio.RequestClient {
  constructor(private readonly base: URL) {
    super();
  }

  override request<TData>(options: RequestClient.RequestOptions<TData>) {
    const target = new URL(options.uri);
    target.protocol = this.base.protocol;
    target.host = this.base.host;
    return super.request<TData>({ ...options, uri: target.toString() });
  }
}

export function localTwilio(baseUrl: string, username: string, password: string, accountSid?: string) {
  return twilio(username, password, {
    httpClient: new LocalRequestClient(new URL(baseUrl)),
    ...(accountSid ? { accountSid } : {}),
  });
}
