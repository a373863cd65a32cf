import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Switchboard } from "../packages/server/src/app.ts";
import { emit, note, throughput } from "./figures.ts";
import { bareFastifyPost, databases, httpThroughput, openServer } from "./support.ts";

/**
 * Platform figures, per database:
 * - platform.write_with_event_per_s: state row + its event in one transaction (API key creation),
 *   against a bare single-row insert transaction measured in the same run;
 * - api.key_create_per_s: the same write through HTTP (auth, validation, JSON), against a bare
 *   Fastify JSON POST (api.baseline_post_per_s);
 * - platform.webhook_deliveries_per_s: events logged → signed POSTs answered by a local receiver.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

export async function run(): Promise<void> {
  const baselinePost = await bareFastifyPost(SECONDS);
  emit({ name: "api.baseline_post_per_s", value: baselinePost, unit: "1/s", params: { concurrency: 16 } });

  for (const db of await databases()) {
    note(`platform benchmarks on ${db.name}`);
    const switchboard = await openServer(db);
    try {
      const baseUrl = await switchboard.listen();
      const account = await switchboard.accounts.create({ friendlyName: "bench" });

      let n = 0;
      const bareInsert = await throughput(
        () =>
          switchboard.database.transaction((tx) =>
            tx.db
              .insertInto("consumer_cursors")
              .values({ consumer: `bench-${n++}`, position: 0, date_updated: new Date().toISOString() })
              .execute(),
          ),
        SECONDS,
      );
      const writeWithEvent = await throughput(
        () => switchboard.apiKeys.create(account.sid, "bench"),
        SECONDS,
      );
      emit({
        name: "platform.write_with_event_per_s",
        value: writeWithEvent,
        unit: "1/s",
        params: { db: db.name },
        baseline: { name: "bare single-row insert transaction", value: bareInsert },
      });

      const auth = "Basic " + Buffer.from(`${account.sid}:${account.authToken}`).toString("base64");
      const keyCreate = await httpThroughput(
        {
          url: `${baseUrl}/2010-04-01/Accounts/${account.sid}/Keys.json`,
          method: "POST",
          headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" },
          body: "FriendlyName=bench",
        },
        SECONDS,
      );
      emit({
        name: "api.key_create_per_s",
        value: keyCreate,
        unit: "1/s",
        params: { db: db.name, concurrency: 16 },
        baseline: { name: "bare JSON POST", value: baselinePost },
      });

      emit({
        ...(await webhookDeliveries(switchboard, account.sid, baseUrl, auth)),
        params: { db: db.name, events: 2000 },
      });
    } finally {
      await switchboard.close();
      await db.drop();
    }
  }
}

async function webhookDeliveries(
  switchboard: Switchboard,
  accountSid: string,
  baseUrl: string,
  auth: string,
) {
  const EVENTS = 2000;
  let received = 0;
  let allReceived: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.end();
      if (++received === EVENTS) allReceived();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  await fetch(`${baseUrl}/switchboard/v1/Webhooks`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ Url: url, EventTypes: "bench.tick" }).toString(),
  });
  const started = performance.now();
  for (let i = 0; i < EVENTS; i += 100) {
    await switchboard.database.transaction((tx) =>
      switchboard.events.append(
        tx,
        accountSid,
        Array.from({ length: 100 }, (_, j) => ({
          eventType: "bench.tick",
          resourceType: "bench",
          resourceSid: accountSid,
          description: `tick ${i + j}`,
        })),
      ),
    );
  }
  await done;
  const perSecond = Math.round(EVENTS / ((performance.now() - started) / 1000));
  receiver.close();
  return { name: "platform.webhook_deliveries_per_s", value: perSecond, unit: "1/s" };
}
