import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Switchboard } from "../../src/app.ts";
import { ensureDemo, type DemoContactCenter } from "../../src/demo.ts";
import { apiCalls } from "../support/api.ts";
import { dialects, type TestDatabase } from "../support/databases.ts";
import { eventually, startServer } from "../support/server.ts";
import { ChromiumPages, SEE_MS } from "./chromium.ts";

/**
 * Priya's dashboard in real Chromium: the day's figures as tiles, the breakdown by queue, the
 * tasks behind an abandoned count, an export link, and the page in French.
 */
describe("insights dashboard in Chromium", () => {
  const sqlite = dialects().find((d) => d.dialect === "sqlite")!;
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let demo: DemoContactCenter;
  const chromium = new ChromiumPages();
  const api = apiCalls(
    () => baseUrl,
    () => ({ sid: demo.accountSid, token: demo.authToken }),
  );

  beforeAll(async () => {
    await chromium.launch();
    db = await sqlite.create();
    ({ switchboard, baseUrl } = await startServer(db));
    demo = await ensureDemo(switchboard);
  }, 60_000);

  afterAll(async () => {
    await chromium.close();
    await switchboard?.close();
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

    await page.getByLabel("Language").selectOption("fr");
    await expect
      .poll(() => page.getByText("Niveau de service").count(), { timeout: SEE_MS })
      .toBeGreaterThan(0);
    expect(chromium.errors).toEqual([]);
  });
});
