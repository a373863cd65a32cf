import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Switchboard } from "../../src/app.ts";
import { ensureDemo, type DemoContactCenter } from "../../src/demo.ts";
import { apiCalls } from "../support/api.ts";
import { dialects, type TestDatabase } from "../support/databases.ts";
import { Relay } from "../support/relay.ts";
import { eventually, startServer } from "../support/server.ts";
import { ChromiumPages, SEE_MS } from "./chromium.ts";

/**
 * Priya's dashboard in real Chromium: the day's figures as tiles, the breakdown by queue, the
 * tasks behind an abandoned count, an export link, a redefined metric, an alert, and the page in
 * French.
 */
describe("insights dashboard in Chromium", () => {
  const sqlite = dialects().find((d) => d.dialect === "sqlite")!;
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let demo: DemoContactCenter;
  let relay: Relay;
  const chromium = new ChromiumPages();
  const api = apiCalls(
    () => baseUrl,
    () => ({ sid: demo.accountSid, token: demo.authToken }),
  );

  beforeAll(async () => {
    await chromium.launch();
    db = await sqlite.create();
    relay = await new Relay().start();
    ({ switchboard, baseUrl } = await startServer(db, {
      SWITCHBOARD_MAIL_RELAY_URL: `smtp://relay-user:relay-pass@127.0.0.1:${relay.port}`,
      SWITCHBOARD_MAIL_FROM: "reports@switchboard.test",
    }));
    demo = await ensureDemo(switchboard);
  }, 60_000);

  afterAll(async () => {
    await chromium.close();
    await switchboard?.close();
    await relay?.stop();
    await db?.drop();
  });

  it("shows the day's figures, breaks them down by queue and drills into the abandoned tasks", async () => {
    chromium.screenshotsOnFailure("insights");
    // Three customers give up while every demo agent is offline: they wait in the Everyone queue.
    const tasks: string[] = [];
    for (const customer of ["Ada", "Ben", "Cy"]) {
      const created = await api.post(`/v1/Workspaces/${demo.workspaceSid}/Tasks`, {
        WorkflowSid: demo.workflowSid,
        Attributes: JSON.stringify({ customer }),
      });
      expect(created.status).toBe(201);
      tasks.push(created.body.sid as string);
    }
    for (const sid of tasks) {
      const canceled = await api.post(`/v1/Workspaces/${demo.workspaceSid}/Tasks/${sid}`, {
        AssignmentStatus: "canceled",
      });
      expect(canceled.status).toBe(200);
    }
    await eventually(async () => {
      const page = await api.get(
        `/switchboard/v1/Workspaces/${demo.workspaceSid}/Insights/Segments?Measure=abandoned`,
      );
      return page.body.segments?.length === 3 ? true : undefined;
    });

    const { page } = await chromium.open("priya", { width: 1600, height: 1100 });
    await chromium.signIn(page, baseUrl, "grace@switchboard.demo");
    await page.getByRole("link", { name: "Insights" }).click();
    await page.waitForURL(/\/insights$/);
    const tile = (metric: string) => page.locator(`[data-metric="${metric}"]`);
    await expect.poll(() => tile("offered").textContent(), { timeout: SEE_MS }).toBe("3");
    expect(await tile("abandoned").textContent()).toBe("3");
    expect(await tile("handled").textContent()).toBe("0");

    // Charting offered shows every hour of the week the page opened on, the quiet ones at zero.
    await tile("offered").click();
    const hours = await page.evaluate(() => {
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      const from = new Date(`${day(Date.now() - 6 * 86_400_000)}T00:00:00`);
      const to = new Date(`${day(Date.now() + 86_400_000)}T00:00:00`);
      return (to.getTime() - from.getTime()) / 3_600_000;
    });
    await expect
      .poll(() => page.locator(".recharts-line-dots circle").count(), { timeout: SEE_MS })
      .toBe(hours);

    const breakdown = page.getByRole("region", { name: "By Queue" });
    const row = breakdown.getByRole("row", { name: /Everyone/ });
    await row.waitFor({ timeout: SEE_MS });
    await row.getByRole("button", { name: "3" }).nth(1).click();
    const behind = page.getByRole("region", { name: "Tasks behind the figure" });
    await expect.poll(() => behind.getByRole("row").count(), { timeout: SEE_MS }).toBe(4);
    for (const sid of tasks) expect(await behind.getByText(sid).count()).toBe(1);
    expect(await behind.getByText("abandoned", { exact: true }).count()).toBe(3);

    const csv = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
    const download = await page.evaluate(async (href) => (await fetch(href!)).text(), csv);
    expect(download.split("\r\n")[0]).toBe(
      "interval_start,queue,queue_name,offered,handled,abandoned,service_level,average_speed_of_answer,average_handle_time,transfers",
    );

    // Grace asks for an email when service level is under 80 % for 15 minutes.
    const alerts = page.getByRole("region", { name: "Alerts" });
    await alerts.getByLabel("Name", { exact: true }).fill("Service level low");
    await alerts.getByLabel("Email to").fill("grace@switchboard.demo");
    await alerts.getByRole("button", { name: "Add alert" }).click();
    await expect
      .poll(() => alerts.getByText("service_level below 0.8 over 15 min").count(), { timeout: SEE_MS })
      .toBe(1);
    const stored = await api.get(`/switchboard/v1/Workspaces/${demo.workspaceSid}/Insights/Alerts`);
    expect(stored.body.alerts).toMatchObject([
      {
        friendly_name: "Service level low",
        metric: "service_level",
        comparison: "below",
        threshold: 0.8,
        window_minutes: 15,
        email_to: ["grace@switchboard.demo"],
      },
    ]);

    // The account's admin redefines service level without short abandons; all three were, so it
    // has no value now, on the admin's dashboard and on Grace's.
    expect(await tile("service_level").textContent()).toBe("0 %");
    expect(await page.getByRole("button", { name: "Edit service_level" }).count()).toBe(0);
    const admin = (await chromium.open("admin", { width: 1600, height: 1100 })).page;
    await chromium.signIn(admin, baseUrl, "admin@switchboard.demo");
    await admin.goto(`${baseUrl}/insights`);
    const definitions = admin.getByRole("region", { name: "Metric definitions" });
    await definitions.getByRole("button", { name: "Edit service_level" }).click();
    await definitions
      .getByLabel("Formula of service_level")
      .fill("answered_in_sl / (offered - short_abandoned)");
    await definitions.getByRole("button", { name: "Save" }).click();
    const adminTile = admin.locator('[data-metric="service_level"]');
    await expect.poll(() => adminTile.textContent(), { timeout: SEE_MS }).toBe("—");
    await page.reload();
    await expect.poll(() => tile("service_level").textContent(), { timeout: SEE_MS }).toBe("—");

    await page.getByLabel("Language").selectOption("fr");
    await expect
      .poll(() => page.getByText("Niveau de service").count(), { timeout: SEE_MS })
      .toBeGreaterThan(0);
    expect(chromium.errors).toEqual([]);
  });
});
