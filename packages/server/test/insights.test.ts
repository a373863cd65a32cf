import { ManualClock, type SegmentFact } from "@switchboard/engine";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Switchboard } from "../src/app.ts";
import { forgetFacts } from "../src/insights/projector.ts";
import { Database } from "../src/platform/db/database.ts";
import { apiCalls } from "./support/api.ts";
import { dialects, type TestDatabase } from "./support/databases.ts";
import { WebhookReceiver } from "./support/receiver.ts";
import { Relay } from "./support/relay.ts";
import { eventually, startServer } from "./support/server.ts";
import { localTwilio } from "./support/twilio-client.ts";

const D = "2026-11-23";
const at = (time: string, day = D) => Date.parse(`${day}T${time}Z`);

/**
 * One evening of a small contact center, every time chosen so that each metric can be worked out by
 * hand (the expected figures below say how). Support's service-level threshold is the default 20 s,
 * Billing's 60 s; abandons under 5 s are short.
 *
 *   T1 Support 23:10:00 → alice accepts 23:10:04, wraps up 23:12:04, completes 23:12:34
 *   T2 Support 23:20:00 → rings alice, canceled 23:20:03 (a short abandon, while reserved)
 *   T3 Support 23:30:00 → alice accepts 23:30:30, transfers to Billing 23:31:30;
 *      T3b Billing → bob accepts 23:31:40 (T3 wraps up then), T3 completes 23:32:00, T3b 23:41:40
 *   alice on Unavailable 23:40:00–23:45:00
 *   T4 Support 23:50:00 → alice accepts 23:55:00, wraps up 00:05:00 (next day), completes 00:06:00
 *   T5 Support 00:10:00 (next day) → alice rejects 00:10:02, canceled 00:10:20
 */
describe.each(dialects())("insights on $dialect", ({ unavailable, create }) => {
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let account: { sid: string; token: string };
  let relay: Relay;
  let receiver: WebhookReceiver;
  const clock = () => new ManualClock(at("22:00:00"));
  let time: ManualClock;
  const api = apiCalls(
    () => baseUrl,
    () => account,
  );

  beforeEach(async (context) => {
    if (unavailable) return context.skip();
    db = await create();
    relay = await new Relay().start();
    receiver = await new WebhookReceiver().start();
    time = clock();
    ({ switchboard, baseUrl } = await startServer(
      db,
      {
        SWITCHBOARD_MAIL_RELAY_URL: `smtp://relay-user:relay-pass@127.0.0.1:${relay.port}`,
        SWITCHBOARD_MAIL_FROM: "reports@switchboard.test",
        SWITCHBOARD_INSIGHTS_CHECK_MS: "100",
        SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS: "1",
      },
      time,
    ));
    const created = await switchboard.accounts.create({ friendlyName: "Insights" });
    account = { sid: created.sid, token: created.authToken };
  });

  afterEach(async () => {
    if (unavailable) return;
    await switchboard.close();
    await relay.stop();
    await receiver.stop();
    await db.drop();
  });

  /** Runs the evening above; answers with the SIDs a test needs. */
  async function evening() {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const workspace = await client.taskrouter.v1.workspaces.create({ friendlyName: "Evening" });
    const ws = client.taskrouter.v1.workspaces(workspace.sid);
    const activities = await ws.activities.list();
    const activity = (name: string) => activities.find((a) => a.friendlyName === name)!.sid;
    const support = await ws.taskQueues.create({
      friendlyName: "Support",
      targetWorkers: "skills HAS 'support'",
    });
    const billing = await ws.taskQueues.create({
      friendlyName: "Billing",
      targetWorkers: "skills HAS 'billing'",
    });
    const workflow = await ws.workflows.create({
      friendlyName: "Front door",
      // Longer than any wait below (t4 is accepted 5 minutes after it was offered): the manual clock
      // jumps, and a reservation timer armed after a jump would otherwise fire before the answer.
      taskReservationTimeout: 600,
      configuration: JSON.stringify({
        task_routing: { filters: [], default_filter: { queue: support.sid } },
      }),
    });
    const settings = await send("POST", "/switchboard/v1/Insights/Settings", {
      measures: [{ name: "survey", path: "survey.score" }],
      attributes: [{ name: "language", path: "language" }],
      queue_service_level_seconds: { [billing.sid]: 60 },
    });
    expect(settings.status).toBe(200);
    const alice = await ws.workers.create({
      friendlyName: "alice",
      attributes: JSON.stringify({ skills: ["support"], team_name: "Blue" }),
    });
    const bob = await ws.workers.create({
      friendlyName: "bob",
      attributes: JSON.stringify({ skills: ["billing"], team_name: "Red" }),
    });

    const to = (time_: number) => time.set(time_);
    const task = async (attributes: object) =>
      (await ws.tasks.create({ workflowSid: workflow.sid, attributes: JSON.stringify(attributes) })).sid;
    const reservation = async (taskSid: string) => (await ws.tasks(taskSid).reservations.list())[0]!.sid;
    const respond = async (taskSid: string, status: "accepted" | "rejected") =>
      ws
        .tasks(taskSid)
        .reservations(await reservation(taskSid))
        .update({ reservationStatus: status });
    const status = (taskSid: string, assignmentStatus: "wrapping" | "completed" | "canceled") =>
      ws.tasks(taskSid).update({ assignmentStatus });

    to(at("23:00:00"));
    await ws.workers(alice.sid).update({ activitySid: activity("Available") });
    await ws.workers(bob.sid).update({ activitySid: activity("Available") });

    to(at("23:10:00"));
    const t1 = await task({ language: "fr", survey: { score: 4 } });
    to(at("23:10:04"));
    await respond(t1, "accepted");
    to(at("23:12:04"));
    await status(t1, "wrapping");
    to(at("23:12:34"));
    await status(t1, "completed");

    to(at("23:20:00"));
    const t2 = await task({ language: "en" });
    to(at("23:20:03"));
    await status(t2, "canceled");

    to(at("23:30:00"));
    const t3 = await task({ language: "en" });
    to(at("23:30:30"));
    await respond(t3, "accepted");
    to(at("23:31:30"));
    const router = switchboard.routing.get(account.sid, workspace.sid)!.router;
    await router.submit([{ op: "transferTask", sid: t3, to: { queueSid: billing.sid } }]);
    const t3b = (await ws.tasks.list()).find((t) => JSON.parse(t.attributes).transferredFrom === t3)!.sid;
    to(at("23:31:40"));
    await respond(t3b, "accepted");
    to(at("23:32:00"));
    await status(t3, "completed");

    to(at("23:40:00"));
    await ws.workers(alice.sid).update({ activitySid: activity("Unavailable") });
    to(at("23:41:40"));
    await status(t3b, "completed");
    to(at("23:45:00"));
    await ws.workers(alice.sid).update({ activitySid: activity("Available") });

    to(at("23:50:00"));
    const t4 = await task({ language: "en", survey: { score: 2 } });
    to(at("23:55:00"));
    await respond(t4, "accepted");
    to(at("00:05:00", "2026-11-24"));
    await status(t4, "wrapping");
    to(at("00:06:00", "2026-11-24"));
    await status(t4, "completed");

    to(at("00:10:00", "2026-11-24"));
    const t5 = await task({ language: "fr" });
    to(at("00:10:02", "2026-11-24"));
    await respond(t5, "rejected");
    to(at("00:10:20", "2026-11-24"));
    await status(t5, "canceled");

    await settled(workspace.sid);
    return {
      workspace: workspace.sid,
      support: support.sid,
      billing: billing.sid,
      alice: alice.sid,
      tasks: { t1, t2, t3, t3b, t4, t5 },
    };
  }

  /** A JSON request (or a bodyless one) with the account's credentials. */
  const send = (method: string, path: string, body?: object) =>
    fetch(baseUrl + path, {
      method,
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.sid}:${account.token}`).toString("base64")}`,
        ...(body && { "Content-Type": "application/json" }),
      },
      body: body && JSON.stringify(body),
    });

  /** Waits until the projection has taken in the workspace's latest event. */
  async function settled(workspaceSid: string) {
    const [latest] = await switchboard.events.list(account.sid, { scopeSid: workspaceSid }, { limit: 1 });
    await eventually(
      async () => ((await switchboard.insights.projector.position()) >= latest!.seq ? true : undefined),
      10_000,
      "the projection",
    );
  }

  const report = async (workspace: string, query: Record<string, string>) => {
    const answer = await api.get(
      `/switchboard/v1/Workspaces/${workspace}/Insights/Report?${new URLSearchParams({
        StartDate: `${D}T00:00:00Z`,
        EndDate: "2026-11-25T00:00:00Z",
        ...query,
      }).toString()}`,
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  };
  const row = (body: Record<string, any>, start: string | null, group?: string) =>
    body.rows.find(
      (r: any) =>
        r.interval_start === start &&
        (group === undefined ||
          Object.values(r.group).some((g: any) => g.label === group || g.key === group)),
    );

  it("computes every standard metric as worked out by hand, by day, queue, interval and time zone", async () => {
    const { workspace, billing } = await evening();
    const daily = await report(workspace, {
      Interval: "day",
      GroupBy: "queue",
      Metrics:
        "offered,handled,abandoned,short_abandoned,abandon_rate,service_level,average_speed_of_answer,average_handle_time,average_wrap_time,transfers,timed_out",
    });
    // Support on the 23rd: T1–T4 entered it. Handled T1, T3, T4; T2 abandoned after 3 s (short);
    // within 20 s: T1 only → 1/4. Waits 4 + 30 + 300 → 111.33 s. Handle (talk + wrap-up):
    // T1 120 + 30, T3 70 + 20 (it wrapped up when the transfer was accepted), T4 600 + 60 → 900 / 3.
    expect(row(daily, `${D}T00:00:00.000Z`, "Support").values).toEqual({
      offered: 4,
      handled: 3,
      abandoned: 1,
      short_abandoned: 1,
      abandon_rate: 0.25,
      service_level: 0.25,
      average_speed_of_answer: 334 / 3,
      average_handle_time: 300,
      average_wrap_time: 110 / 3,
      transfers: 1,
      timed_out: 0,
    });
    // Billing: T3b waited 10 s, within its own 60 s threshold; bob talked 600 s and did not wrap up.
    expect(row(daily, `${D}T00:00:00.000Z`, "Billing").values).toMatchObject({
      offered: 1,
      handled: 1,
      service_level: 1,
      average_speed_of_answer: 10,
      average_handle_time: 600,
      transfers: 0,
    });
    // T4 ended after midnight but counts on the day it was offered; T5 was offered on the 24th.
    expect(row(daily, "2026-11-24T00:00:00.000Z", "Support").values).toMatchObject({
      offered: 1,
      handled: 0,
      abandoned: 1,
      short_abandoned: 0,
      service_level: 0,
      average_speed_of_answer: null,
    });
    expect(daily.totals.values).toMatchObject({ offered: 6, handled: 4, abandoned: 2, transfers: 1 });

    // Hourly: everything but T5 fell in the 23:00 hour.
    const hourly = await report(workspace, { Interval: "60m", Metrics: "offered,handled" });
    expect(hourly.rows.map((r: any) => [r.interval_start, r.values.offered])).toEqual([
      [`${D}T23:00:00.000Z`, 5],
      ["2026-11-24T00:00:00.000Z", 1],
    ]);

    // In New York (UTC−5) the whole evening is one local day, the 23rd.
    const local = await report(workspace, {
      Interval: "day",
      TimeZone: "America/New_York",
      Metrics: "offered,abandoned",
    });
    expect(local.rows.map((r: any) => [r.interval_start, r.values])).toEqual([
      [`${D}T05:00:00.000Z`, { offered: 6, abandoned: 2 }],
    ]);

    // New thresholds recount what is already projected. Within 300 s: T1, T3 and T4 (exactly
    // 300 s) in Support; T2's 3 s is no longer a short abandon under 2 s.
    const wider = await send("POST", "/switchboard/v1/Insights/Settings", {
      measures: [{ name: "survey", path: "survey.score" }],
      attributes: [{ name: "language", path: "language" }],
      queue_service_level_seconds: { [billing]: 60 },
      service_level_seconds: 300,
      short_abandon_seconds: 2,
    });
    expect(wider.status).toBe(200);
    const recounted = await report(workspace, {
      Interval: "day",
      GroupBy: "queue",
      Metrics: "service_level,short_abandoned",
    });
    expect(row(recounted, `${D}T00:00:00.000Z`, "Support").values).toEqual({
      service_level: 0.75,
      short_abandoned: 0,
    });
    // By agent for the whole range the report reads rollups by hour, by agent and 15 minutes the
    // segments themselves; all agree: T1, T3, T4 and T3b (10 s, under Billing's 60 s) of 6.
    for (const Interval of ["all", "15m"]) {
      const byAgent = await report(workspace, { Interval, GroupBy: "worker", Metrics: "service_level" });
      expect(byAgent.totals.values).toEqual({ service_level: 4 / 6 });
    }
    expect(recounted.totals.values).toEqual({ service_level: 4 / 6, short_abandoned: 0 });
  });

  it("counts workers' time for occupancy and utilization, split at midnight", async () => {
    const { workspace, alice } = await evening();
    const body = await report(workspace, {
      Interval: "day",
      GroupBy: "worker",
      Worker: alice,
      Metrics: "occupancy,utilization,handled",
    });
    // The 23rd, 23:00–24:00: busy 150 (T1) + 90 (T3: accepted 23:30:30, completed 23:32:00) + 300
    // (T4 until midnight) = 540 s; Unavailable 300 s; so available and idle 3600 − 540 − 300 = 2760 s.
    const day = row(body, `${D}T00:00:00.000Z`, "alice");
    expect(day.measures).toMatchObject({ busy_ms: 540_000, available_ms: 2_760_000, staffed_ms: 3_600_000 });
    expect(day.values.occupancy).toBeCloseTo(540 / 3300, 10);
    expect(day.values.utilization).toBeCloseTo(540 / 3600, 10);
    // The 24th up to now (00:10:20): busy until 00:06:00 with T4, then available (a ringing
    // reservation is not busy) — the current stretch counts though no event has closed it.
    const next = row(body, "2026-11-24T00:00:00.000Z", "alice");
    expect(next.measures).toMatchObject({ busy_ms: 360_000, available_ms: 260_000, staffed_ms: 620_000 });
  });

  it("takes custom measures and attributes from tasks, and a redefined metric changes every report", async () => {
    const { workspace } = await evening();
    const definition = await api.post("/switchboard/v1/Insights/Metrics/service_level", {
      Formula: "answered_in_sl / (offered - short_abandoned)",
      Format: "percent",
      Description: "Short abandons excluded",
    });
    expect(definition.status, JSON.stringify(definition.body)).toBe(200);
    expect(
      (
        await api.post("/switchboard/v1/Insights/Metrics/csat", {
          Formula: "survey / survey_count",
          Format: "number",
        })
      ).status,
    ).toBe(200);
    const body = await report(workspace, {
      Interval: "all",
      GroupBy: "language",
      Metrics: "offered,service_level,csat",
    });
    // Support and Billing together: in SL T1 and T3b out of 6 offered, less the one short abandon.
    expect(body.totals.values.service_level).toBeCloseTo(2 / 5, 10);
    expect(body.totals.values.csat).toBe(3);
    expect(Object.fromEntries(body.rows.map((r: any) => [r.group.language.key, r.values.offered]))).toEqual({
      en: 4,
      fr: 2,
    });

    const broken = await api.post("/switchboard/v1/Insights/Metrics/ratio", {
      Formula: "handled / (offered",
    });
    expect(broken.body).toMatchObject({
      status: 400,
      code: 20001,
      message: 'Metric ratio expected ")" at position 18',
    });
    const unknown = await api.post("/switchboard/v1/Insights/Metrics/ratio", {
      Formula: "handled / visitors",
    });
    expect(unknown.body.message).toBe(
      'Metric ratio uses "visitors", which is neither a measure nor a metric',
    );
    const badDimension = await api.get(
      `/switchboard/v1/Workspaces/${workspace}/Insights/Report?GroupBy=planet`,
    );
    expect(badDimension.body).toMatchObject({ status: 400, code: 20001 });
    expect(badDimension.body.message).toContain("Unknown dimension planet");

    // Back to the standard definition.
    const restored = await send("DELETE", "/switchboard/v1/Insights/Metrics/service_level");
    expect(restored.status).toBe(204);
    expect(
      (await report(workspace, { Interval: "all", Metrics: "service_level" })).totals.values.service_level,
    ).toBeCloseTo(2 / 6, 10);

    // What a metric still needs cannot be taken away from under it.
    const withoutSurvey = await send("POST", "/switchboard/v1/Insights/Settings", { measures: [] });
    expect(withoutSurvey.status).toBe(409);
    expect(((await withoutSurvey.json()) as { message: string }).message).toContain(
      'Metric csat uses "survey"',
    );
    const alert = await api.post(`/switchboard/v1/Workspaces/${workspace}/Insights/Alerts`, {
      FriendlyName: "Unhappy customers",
      Metric: "csat",
      Comparison: "below",
      Threshold: "3",
      WebhookUrl: receiver.url,
    });
    expect(alert.status).toBe(201);
    const removed = await send("DELETE", "/switchboard/v1/Insights/Metrics/csat");
    expect(removed.status).toBe(409);
    expect(((await removed.json()) as { message: string }).message).toBe(
      'Metric csat is still used by alert "Unhappy customers"',
    );
  });

  it("drills into the segments behind a figure, exports CSV and Excel, and pages a warehouse export", async () => {
    const { workspace, support, billing, tasks } = await evening();
    const abandoned = await api.get(
      `/switchboard/v1/Workspaces/${workspace}/Insights/Segments?StartDate=${D}T00:00:00Z&EndDate=${D}T23:59:59Z&Queue=${support}&Measure=abandoned`,
    );
    expect(abandoned.body.segments).toMatchObject([
      { task_sid: tasks.t2, outcome: "abandoned", queue_seconds: 3, reservations: 1, date_accepted: null },
    ]);
    const transferred = await api.get(
      `/switchboard/v1/Workspaces/${workspace}/Insights/Segments?Measure=transferred&StartDate=${D}T00:00:00Z`,
    );
    expect(transferred.body.segments).toMatchObject([
      { task_sid: tasks.t3, talk_seconds: 70, wrap_seconds: 20, worker_name: "alice", team: "Blue" },
    ]);

    const query = `StartDate=${D}T00:00:00Z&EndDate=2026-11-25T00:00:00Z&Interval=day&GroupBy=queue&Metrics=offered,service_level`;
    const csv = await send("GET", `/switchboard/v1/Workspaces/${workspace}/Insights/Report.csv?${query}`);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect((await csv.text()).split("\r\n")).toEqual([
      "interval_start,queue,queue_name,offered,service_level",
      `${D}T00:00:00.000Z,${billing},Billing,1,1`,
      `${D}T00:00:00.000Z,${support},Support,4,0.25`,
      `2026-11-24T00:00:00.000Z,${support},Support,1,0`,
      "total,,,6,0.3333333333333333",
      "",
    ]);
    const xlsx = await send("GET", `/switchboard/v1/Workspaces/${workspace}/Insights/Report.xlsx?${query}`);
    expect(xlsx.headers.get("content-type")).toContain("spreadsheetml");
    const bytes = Buffer.from(await xlsx.arrayBuffer());
    expect(bytes.subarray(0, 2).toString()).toBe("PK");

    // The warehouse reads every segment once, two at a time, in the order they last changed.
    const seen: string[] = [];
    let next: string | null = "/switchboard/v1/Insights/Exports/Segments?PageSize=2";
    while (next) {
      const page: Record<string, any> = (await api.get(next.replace(baseUrl, ""))).body;
      seen.push(...page.segments.map((s: any) => `${s.task_sid}/${s.segment}`));
      next = page.meta.next_page_url;
    }
    expect(seen.sort()).toEqual(
      Object.values(tasks)
        .map((sid) => `${sid}/1`)
        .sort(),
    );
    const conversations = await api.get("/switchboard/v1/Insights/Exports/Conversations");
    expect(conversations.body.conversations).toEqual([]);
  });

  it("rebuilds the same facts from the event log", async () => {
    const { workspace } = await evening();
    const query = {
      Interval: "15m",
      GroupBy: "queue",
      Metrics: "offered,handled,service_level,average_handle_time,occupancy",
    };
    const before = await report(workspace, query);
    await switchboard.close();
    const database = Database.open(db.url);
    await forgetFacts(database);
    expect(await database.db.selectFrom("insight_segments").select("task_sid").execute()).toEqual([]);
    await database.close();
    ({ switchboard, baseUrl } = await startServer(db, {}, time));
    await settled(workspace);
    expect((await report(workspace, query)).rows).toEqual(before.rows);
  });

  it("fires an alert by email and webhook, and mails a scheduled report with its attachment", async () => {
    const { workspace, support } = await evening();
    const alert = await api.post(`/switchboard/v1/Workspaces/${workspace}/Insights/Alerts`, {
      FriendlyName: "Support service level",
      Metric: "service_level",
      Comparison: "below",
      Threshold: "0.8",
      WindowMinutes: "60",
      TaskQueueSid: support,
      EmailTo: "priya@acme.test",
      WebhookUrl: receiver.url + "alerts",
    });
    expect(alert.status, JSON.stringify(alert.body)).toBe(201);
    // The last hour (23:00–00:15 in whole slices): T1 of T1–T5 within 20 s → 0.2.
    const fired = await eventually(
      () => relay.received.find((m) => m.subject?.includes("Alert")),
      10_000,
      "the alert email",
    );
    expect(fired.subject).toBe("[Switchboard] Alert: Support service level");
    expect(fired.text).toContain("service_level is 0.2");
    const hook = await eventually(
      () => receiver.received.find((r) => r.params.EventType === "insights.alert.fired"),
      10_000,
      "the alert webhook",
    );
    expect(hook.params).toMatchObject({
      AlertSid: alert.body.sid,
      Metric: "service_level",
      Value: "0.2",
      Threshold: "0.8",
    });
    expect(hook.headers["x-twilio-signature"]).toBeTruthy();
    expect(
      (await api.get(`/switchboard/v1/Workspaces/${workspace}/Insights/Alerts/${alert.body.sid}`)).body,
    ).toMatchObject({
      state: "firing",
      last_value: 0.2,
    });

    const refused = await api.post(`/switchboard/v1/Workspaces/${workspace}/Insights/Alerts`, {
      FriendlyName: "x",
      Metric: "nope",
      Comparison: "below",
      Threshold: "1",
      EmailTo: "priya@acme.test",
    });
    expect(refused.body).toMatchObject({
      status: 400,
      message: "Invalid parameter Metric: no metric named nope",
    });

    const schedule = await api.post(`/switchboard/v1/Workspaces/${workspace}/Insights/Schedules`, {
      FriendlyName: "Daily queues",
      Frequency: "daily",
      Hour: "6",
      TimeZone: "UTC",
      Interval: "all",
      GroupBy: "queue",
      Metrics: "offered,handled,service_level",
      Format: "csv",
      EmailTo: "priya@acme.test",
    });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    expect(schedule.body.next_run_at).toBe("2026-11-24T06:00:00.000Z");
    const sent = await api.post(
      `/switchboard/v1/Workspaces/${workspace}/Insights/Schedules/${schedule.body.sid}/Send`,
      {},
    );
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const mail = await eventually(
      () => relay.received.find((m) => m.subject?.includes("Daily queues")),
      10_000,
      "the report email",
    );
    expect(mail.subject).toBe(`[Switchboard] Daily queues: ${D}`);
    const attachment = mail.attachments[0]!;
    expect(attachment.filename).toBe(`daily-queues-${D}.csv`);
    expect(attachment.content.toString()).toContain(",Support,4,3,0.25\r\n");

    // At 06:00 the scheduler sends it on its own.
    const before = relay.received.length;
    time.set(at("06:00:01", "2026-11-24"));
    await eventually(() => (relay.received.length > before ? true : undefined), 10_000, "the scheduled send");
    expect(
      (await api.get(`/switchboard/v1/Workspaces/${workspace}/Insights/Schedules/${schedule.body.sid}`)).body,
    ).toMatchObject({
      next_run_at: "2026-11-25T06:00:00.000Z",
      last_error: null,
    });
  });

  it("sums local days across both of a year's clock changes, from each kind of rollup and from segments", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const workspace = await client.taskrouter.v1.workspaces.create({ friendlyName: "Paris" });
    // Paris is UTC+1 in winter, UTC+2 from 01:00 UTC on 29 March to 01:00 UTC on 25 October.
    const offeredAt = [
      "2026-03-28T22:30:00Z", // 28 March 23:30 local
      "2026-03-28T23:30:00Z", // 29 March 00:30
      "2026-03-29T01:30:00Z", // 29 March 03:30, summer time
      "2026-03-29T21:30:00Z", // 29 March 23:30 (a day of 23 hours)
      "2026-03-29T22:30:00Z", // 30 March 00:30
      "2026-10-24T21:30:00Z", // 24 October 23:30
      "2026-10-24T22:30:00Z", // 25 October 00:30
      "2026-10-25T01:30:00Z", // 25 October 02:30, winter time again
      "2026-10-25T22:30:00Z", // 25 October 23:30 (a day of 25 hours)
      "2026-10-25T23:30:00Z", // 26 October 00:30
    ].map((iso, i) => segmentAt(account.sid, workspace.sid, Date.parse(iso), i));
    await switchboard.database.transaction((tx) =>
      switchboard.insights.facts.write(tx.db, {
        segments: offeredAt,
        workers: [],
        removedWorkers: [],
        slices: [],
        conversations: [],
      }),
    );
    const expected = [
      ["2026-03-27T23:00:00.000Z", 1],
      ["2026-03-28T23:00:00.000Z", 3],
      ["2026-03-29T22:00:00.000Z", 1],
      ["2026-10-23T22:00:00.000Z", 1],
      ["2026-10-24T22:00:00.000Z", 3],
      ["2026-10-25T23:00:00.000Z", 1],
    ];
    // By queue the report reads rollups by slice, by agent rollups by hour, by agent in one queue
    // the segments themselves.
    const scopes: Record<string, string>[] = [
      { GroupBy: "queue" },
      { GroupBy: "worker" },
      { GroupBy: "worker", Queue: QUEUE },
    ];
    for (const scope of scopes) {
      const days = await report(workspace.sid, {
        StartDate: "2026-03-01T00:00:00Z",
        EndDate: "2026-11-01T00:00:00Z",
        Interval: "day",
        TimeZone: "Europe/Paris",
        Metrics: "offered",
        ...scope,
      });
      expect(days.rows.map((r: any) => [r.interval_start, r.values.offered])).toEqual(expected);
    }
  });

  it("answers the same from rollups as from the segments, however the segments were written and rewritten", async () => {
    const client = localTwilio(baseUrl, account.sid, account.token);
    const workspace = await client.taskrouter.v1.workspaces.create({ friendlyName: "Random" });
    // A seeded generator: the same mixed traffic every run (a linear congruential one is enough).
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    const first = Date.parse("2026-11-10T01:00:00Z");
    const segments = Array.from({ length: 300 }, (_, i) => {
      const handled = random(4) > 0;
      const base = segmentAt(account.sid, workspace.sid, first + random(3 * 86_400) * 1_000, i);
      return {
        ...base,
        queueSid: `WQ${String(random(3)).padStart(32, "0")}`,
        channel: ["voice", "chat"][random(2)]!,
        workerSid: handled ? `WK${String(random(4)).padStart(32, "0")}` : null,
        team: handled ? ["Blue", "Red"][random(2)]! : null,
        acceptedAt: handled ? base.enteredAt + 1_000 : null,
        outcome: handled ? (random(10) === 0 ? "transferred" : "handled") : "abandoned",
        queueMs: random(60_000),
      } satisfies SegmentFact;
    });
    // Written in three batches, then a fifth of them rewritten the way later events change them.
    const write = (batch: SegmentFact[]) =>
      switchboard.database.transaction((tx) =>
        switchboard.insights.facts.write(tx.db, {
          segments: batch,
          workers: [],
          removedWorkers: [],
          slices: [],
          conversations: [],
        }),
      );
    for (let i = 0; i < 300; i += 100) await write(segments.slice(i, i + 100));
    await write(
      segments
        .filter((_, i) => i % 5 === 0)
        .map((segment) => ({ ...segment, outcome: "timed_out" as const, queueMs: 90_000, lastSeq: 1_000 })),
    );
    const metrics =
      "offered,handled,abandoned,short_abandoned,service_level,average_speed_of_answer,average_handle_time,transfers,timed_out";
    const range = { EndDate: "2026-11-14T00:00:00Z", Interval: "day", Metrics: metrics };
    const read = (query: Record<string, string>) =>
      report(workspace.sid, { ...range, StartDate: "2026-11-10T00:00:00Z", ...query });
    // From 00:15, not a whole hour, the agent report cannot use the hourly rollups; no segment
    // entered before 01:00, so it covers the same segments.
    const fromSegments = await read({ GroupBy: "worker", StartDate: "2026-11-10T00:15:00Z" });
    const fromAgentRollups = await read({ GroupBy: "worker" });
    const fromQueueRollups = await read({ GroupBy: "queue" });
    expect(fromAgentRollups.rows).toEqual(fromSegments.rows);
    expect(fromAgentRollups.rows.length).toBeGreaterThan(10);
    expect(fromQueueRollups.totals).toEqual(fromSegments.totals);
    expect(fromSegments.totals.values.offered).toBe(300);
    expect(fromSegments.totals.values.timed_out).toBe(60);
  });

  it("keeps facts for the account's retention only", async () => {
    const { workspace } = await evening();
    const { sweepExpiredFacts } = await import("../src/insights/retention.ts");
    expect(await sweepExpiredFacts(switchboard.database, time)).toBe(0);
    time.set(Date.parse("2028-11-23T23:30:00Z"));
    // 24 months later the 23:00–23:15 slices are gone; later ones stay.
    expect(await sweepExpiredFacts(switchboard.database, time)).toBeGreaterThan(0);
    const left = await report(workspace, { Interval: "all", Metrics: "offered" });
    expect(left.totals.values.offered).toBe(4);
  });
});

const QUEUE = `WQ${"0".repeat(32)}`;

/** A handled segment offered at `enteredAt` in one queue, to one worker: for reports over time. */
function segmentAt(accountSid: string, workspaceSid: string, enteredAt: number, i: number): SegmentFact {
  return {
    taskSid: `WT${i.toString(16).padStart(32, "0")}`,
    segment: 1,
    accountSid,
    workspaceSid,
    workflowSid: null,
    queueSid: QUEUE,
    queueName: "Support",
    channel: "voice",
    direction: "inbound",
    conversationSid: null,
    transferredFrom: null,
    taskCreatedAt: enteredAt,
    enteredAt,
    firstReservedAt: enteredAt + 1_000,
    acceptedAt: enteredAt + 2_000,
    wrapupAt: enteredAt + 60_000,
    endedAt: enteredAt + 90_000,
    workerSid: `WK${"0".repeat(32)}`,
    workerName: "alice",
    team: null,
    outcome: "handled",
    queueMs: 2_000,
    ringMs: 1_000,
    talkMs: 58_000,
    wrapMs: 30_000,
    reservations: 1,
    rejected: 0,
    missed: 0,
    transferred: false,
    measures: [],
    attributes: [],
    ringing: {},
    lastSeq: i + 1,
  };
}
