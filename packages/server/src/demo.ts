import type { Switchboard } from "./app.ts";

export interface DemoCredentials {
  accountSid: string;
  authToken: string;
}

/**
 * The demo contact center that `npm start` brings up: an account to try the API with, made on the
 * first start and reused afterwards. (Routing, channels and demo users join it as those parts land.)
 */
export async function ensureDemo(switchboard: Switchboard): Promise<DemoCredentials> {
  const existing = await switchboard.accounts.demo();
  if (existing) {
    const authToken = await switchboard.accounts.authToken(existing.sid);
    if (authToken !== undefined) return { accountSid: existing.sid, authToken };
  }
  const created = await switchboard.accounts.create({ friendlyName: "Demo contact center", isDemo: true });
  return { accountSid: created.sid, authToken: created.authToken };
}

/** What a person sees in the terminal after `npm start`: where the server is and how to log in. */
export function banner(baseUrl: string, demo: DemoCredentials | undefined): string {
  const lines = ["", `Switchboard is running at ${baseUrl}`, ""];
  if (demo) {
    lines.push(
      "Demo account (HTTP Basic auth, as with Twilio):",
      `  Account SID: ${demo.accountSid}`,
      `  Auth token:  ${demo.authToken}`,
      "",
      "Try it:",
      `  curl -u ${demo.accountSid}:${demo.authToken} ${baseUrl}/2010-04-01/Accounts/${demo.accountSid}.json`,
      "",
      "Turn the demo off with SWITCHBOARD_DEMO=false; make accounts with `npx switchboard account create --name NAME`.",
    );
  }
  lines.push(`API description: ${baseUrl}/openapi.json   Health: ${baseUrl}/healthz`, "");
  return lines.join("\n");
}
