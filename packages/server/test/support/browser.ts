import { DEMO_PASSWORD } from "../../src/demo.ts";

/** A browser's view of the API: a session cookie, and our own origin on every request. */
export class Browser {
  cookie = "";

  constructor(private readonly baseUrl: string) {}

  async call(
    method: "GET" | "POST",
    path: string,
    body?: Record<string, string | string[]>,
    origin = this.baseUrl,
  ) {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(body ?? {}))
      for (const item of [value].flat()) form.append(key, item);
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: {
        ...(this.cookie && { Cookie: this.cookie }),
        ...(method === "POST" && { Origin: origin }),
        ...(body && { "Content-Type": "application/x-www-form-urlencoded" }),
      },
      body: body ? form : undefined,
    });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, setCookie };
  }

  signIn(email: string, password = DEMO_PASSWORD) {
    return this.call("POST", "/switchboard/v1/SignIn", { Email: email, Password: password });
  }
}
