import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import twilio from "twilio";
import { afterEach, describe, expect, it } from "vitest";
import { dialects } from "./support/databases.ts";
import { ServerProcess, runCli } from "./support/process.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { eventually } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-cli-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function basic(sid: string, secret: string): string {
  return "Basic " + Buffer.from(`${sid}:${secret}`).toString("base64");
}

describe("switchboard CLI", () => {
  it("has --help on every command", async () => {
    for (const args of [[], ["start"], ["migrate"], ["account"], ["account", "create"]]) {
      const { code, stdout } = await runCli([...args, "--help"]);
      expect(code, args.join(" ")).toBe(0);
      expect(stdout).toMatch(/^Usage: switchboard/);
    }
    const { stdout } = await runCli(["start", "--help"]);
    expect(stdout).toContain("--port <n>");
    expect(stdout).toContain("--data <dir>");
  });

  it("reports every bad configuration value at once and exits with status 2", async () => {
    const { code, stderr } = await runCli(["start", "--port", "99999", "--data", tempDataDir()], {
      SWITCHBOARD_LOG_LEVEL: "loud",
      SWITCHBOARD_DATABASE_URL: "mysql://nope",
      SWITCHBOARD_SECRET_KEY: "short",
    });
    expect(code).toBe(2);
    expect(stderr).toContain("Invalid configuration:");
    expect(stderr).toContain('SWITCHBOARD_PORT (--port)="99999": expected a whole number from 0 to 65535');
    expect(stderr).toContain(
      'SWITCHBOARD_LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
    );
    expect(stderr).toContain('SWITCHBOARD_DATABASE_URL="mysql://nope": expected sqlite:PATH');
    expect(stderr).toContain("SWITCHBOARD_SECRET_KEY=");
  });

  it("makes accounts whose credentials work, and migrates on demand", async () => {
    const data = tempDataDir();
    const migrate = await runCli(["migrate", "--data", data]);
    expect(migrate.code).toBe(0);
    expect(migrate.stderr).toContain("Applied: 0001-foundation");
    expect((await runCli(["migrate", "--data", data])).stderr).toContain("Schema is up to date.");

    const created = await runCli(["account", "create", "--name", "Acme Support", "--json", "--data", data]);
    expect(created.code).toBe(0);
    const account = JSON.parse(created.stdout) as { sid: string; auth_token: string };
    expect(Object.keys(account)).toEqual(["sid", "auth_token"]);
    expect(account.sid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(account.auth_token).toMatch(/^[0-9a-f]{32}$/);
    expect((await runCli(["account", "create", "--json", "--data", data])).code).not.toBe(0);

    const server = await ServerProcess.start({ SWITCHBOARD_DEMO: "false" }, ["--data", data]);
    cleanups.push(() => server.kill("SIGKILL"));
    const response = await fetch(`${server.baseUrl}/2010-04-01/Accounts/${account.sid}.json`, {
      headers: { Authorization: basic(account.sid, account.auth_token) },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { friendly_name: string }).friendly_name).toBe("Acme Support");
    expect(server.stderr).not.toContain("Demo account");
  });

  it("starts with a demo account, says how to log in, and never logs a secret", async () => {
    const data = tempDataDir();
    const server = await ServerProcess.start({}, ["--data", data]);
    cleanups.push(() => server.kill("SIGKILL"));
    const sid = /Account SID: (AC[0-9a-f]{32})/.exec(server.stderr)?.[1];
    const token = /Auth token: +([0-9a-f]{32})/.exec(server.stderr)?.[1];
    expect(sid && token).toBeTruthy();
    const response = await fetch(`${server.baseUrl}/2010-04-01/Accounts/${sid}/Keys.json`, {
      method: "POST",
      headers: { Authorization: basic(sid!, token!), "Content-Type": "application/x-www-form-urlencoded" },
      body: "FriendlyName=probe",
    });
    const key = (await response.json()) as { secret: string };
    await fetch(`${server.baseUrl}/2010-04-01/Accounts/${sid}.json`, {
      headers: { Authorization: basic(sid!, "wrong") },
    });
    await server.kill("SIGTERM");
    // Logs are JSON lines on standard output, and carry no credential.
    const lines = server.stdout.trim().split("\n");
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(server.stdout).not.toContain(token!);
    expect(server.stdout).not.toContain(key.secret);
    expect(server.stdout).not.toContain(Buffer.from(`${sid}:${token}`).toString("base64"));

    // The demo account and contact center are made once and reused on later starts.
    const again = await ServerProcess.start({}, ["--data", data]);
    cleanups.push(() => again.kill("SIGKILL"));
    expect(again.stderr).toContain(`Account SID: ${sid}`);
    const workspaceSid = /TaskRouter workspace (WS[0-9a-f]{32})/.exec(server.stderr)?.[1];
    expect(again.stderr).toContain(`TaskRouter workspace ${workspaceSid}`);

    // The demo contact center is ready for agents: log one in and a support task rings them.
    const client = localTwilio(again.baseUrl, sid!, token!);
    expect((await client.taskrouter.v1.workspaces.list()).map((w) => w.sid)).toEqual([workspaceSid]);
    const ws = client.taskrouter.v1.workspaces(workspaceSid!);
    expect((await ws.activities.list()).map((a) => a.friendlyName)).toEqual(
      expect.arrayContaining(["Offline", "Available", "Break", "Wrap-up"]),
    );
    expect((await ws.taskQueues.list()).map((q) => q.friendlyName).sort()).toEqual([
      "Billing",
      "Everyone",
      "Sales",
      "Spanish",
      "Support",
    ]);
    const workers = await ws.workers.list();
    expect(workers.length).toBeGreaterThanOrEqual(5);
    const bob = workers.find((w) => w.friendlyName === "bob")!;
    expect(again.stderr).toContain(bob.sid);
    const available = /ActivitySid=(WA[0-9a-f]{32})/.exec(again.stderr)![1]!;
    await ws.workers(bob.sid).update({ activitySid: available });
    const [workflow] = await ws.workflows.list();
    const task = await ws.tasks.create({ workflowSid: workflow!.sid, attributes: '{"type":"billing"}' });
    const [offer] = await ws.tasks(task.sid).reservations.list();
    expect(offer).toMatchObject({ workerName: "bob", reservationStatus: "pending" });
  });

  it("finishes an in-flight request on SIGTERM, then exits cleanly", async () => {
    const data = tempDataDir();
    const account = JSON.parse(
      (await runCli(["account", "create", "--name", "A", "--json", "--data", data])).stdout,
    ) as {
      sid: string;
      auth_token: string;
    };
    const server = await ServerProcess.start({ SWITCHBOARD_DEMO: "false" }, ["--data", data]);
    cleanups.push(() => server.kill("SIGKILL"));
    const body = "FriendlyName=during-shutdown";
    const url = new URL(`${server.baseUrl}/2010-04-01/Accounts/${account.sid}/Keys.json`);
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(url, {
        method: "POST",
        headers: {
          Authorization: basic(account.sid, account.auth_token),
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": String(Buffer.byteLength(body)),
        },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.write(body.slice(0, 5)); // the request is in flight: headers sent, body half-way
      setTimeout(() => {
        server.child.kill("SIGTERM");
        setTimeout(() => req.end(body.slice(5)), 300);
      }, 200);
    });
    const answered = await response;
    expect(answered.status).toBe(201);
    expect((JSON.parse(answered.body) as { friendly_name: string }).friendly_name).toBe("during-shutdown");
    expect(await server.exited).toBe(0);
    expect(server.stdout).toContain("shutting down");
  });
});

describe.each(dialects())("webhook delivery across a crash on $dialect", ({ unavailable, create }) => {
  // Two server processes start in turn, and the waits inside allow 10 s and 20 s: on a 2-core machine
  // running the whole suite that took more than the default 30 s (17-18 s alone).
  it(
    "resumes after kill -9 mid-delivery and delivers every event, verifiably signed",
    { timeout: 90_000 },
    async (context) => {
      if (unavailable) return context.skip();
      // Dropped last, after the servers are killed: a live server's transactions would deadlock the drop.
      const db = await create();
      cleanups.push(() => db.drop());
      const env = {
        SWITCHBOARD_DATABASE_URL: db.url,
        SWITCHBOARD_DATA_DIR: db.dataDir,
        SWITCHBOARD_DEMO: "false",
        SWITCHBOARD_POLL_INTERVAL_MS: "100",
        SWITCHBOARD_WEBHOOK_TIMEOUT_MS: "1000",
        SWITCHBOARD_WEBHOOK_BACKOFF_BASE_MS: "100",
        SWITCHBOARD_WEBHOOK_CONCURRENCY: "2",
      };
      const account = JSON.parse(
        (await runCli(["account", "create", "--name", "Crashy", "--json"], env)).stdout,
      ) as {
        sid: string;
        auth_token: string;
      };
      const receiver = await new WebhookReceiver().start();
      cleanups.push(() => receiver.stop());
      let serverAlive = true;
      let hung = false;
      // While the first server lives, the receiver stalls on its third request: that delivery is in
      // flight when the server is killed.
      receiver.behave = (_request, index) => {
        if (serverAlive && index === 2) {
          hung = true;
          return "hang";
        }
        return serverAlive && index > 2 ? "hang" : { status: 200 };
      };

      const first = await ServerProcess.start(env);
      cleanups.push(() => first.kill("SIGKILL"));
      const auth = basic(account.sid, account.auth_token);
      const hookUrl = `${receiver.url}hook`;
      const hook = await fetch(`${first.baseUrl}/switchboard/v1/Webhooks`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ Url: hookUrl, EventTypes: "api-key.created" }).toString(),
      }).then((r) => r.json() as Promise<{ sid: string }>);

      const keySids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const key = await fetch(`${first.baseUrl}/2010-04-01/Accounts/${account.sid}/Keys.json`, {
          method: "POST",
          headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" },
          body: `FriendlyName=k${i}`,
        }).then((r) => r.json() as Promise<{ sid: string }>);
        keySids.push(key.sid);
      }
      await eventually(() => (hung ? true : undefined), 10_000, "a delivery in flight");
      expect(await first.kill("SIGKILL")).toBeNull();
      serverAlive = false;

      const second = await ServerProcess.start(env);
      cleanups.push(() => second.kill("SIGKILL"));
      const deliveredFor = () =>
        new Set(receiver.received.filter((r) => r.answered === 200).map((r) => r.params.ResourceSid));
      await eventually(
        () => (keySids.every((sid) => deliveredFor().has(sid)) ? true : undefined),
        20_000,
        "every event delivered",
      );

      // Every request a receiver got verifies with the account's auth token and the SDK's own validator.
      for (const request of receiver.received) {
        expect(
          twilio.validateRequest(
            account.auth_token,
            request.headers["x-twilio-signature"] as string,
            hookUrl,
            request.params,
          ),
        ).toBe(true);
      }
      // The API shows every delivery delivered, and the interrupted attempt for what was in flight.
      const deliveries = await eventually(
        async () => {
          const list = (await fetch(
            `${second.baseUrl}/switchboard/v1/Webhooks/${hook.sid}/Deliveries?PageSize=50`,
            {
              headers: { Authorization: auth },
            },
          ).then((r) => r.json())) as {
            deliveries: Array<{ sid: string; status: string; attempts: number }>;
          };
          return list.deliveries.length === 10 && list.deliveries.every((d) => d.status === "delivered")
            ? list.deliveries
            : undefined;
        },
        20_000,
        "deliveries recorded as delivered",
      );
      const retried = deliveries.filter((d) => d.attempts > 1);
      expect(retried.length).toBeGreaterThan(0);
      const attempts = (await fetch(
        `${second.baseUrl}/switchboard/v1/Webhooks/${hook.sid}/Deliveries/${retried[0]!.sid}/Attempts`,
        {
          headers: { Authorization: auth },
        },
      ).then((r) => r.json())) as { attempts: Array<{ outcome: string }> };
      expect(attempts.attempts.map((a) => a.outcome)).toEqual(["interrupted", "succeeded"]);
    },
  );
});
