import { type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Switchboard } from "../../src/app.ts";
import { ensureDemo, type DemoContactCenter } from "../../src/demo.ts";
import { apiCalls } from "../support/api.ts";
import { dialects, type TestDatabase } from "../support/databases.ts";
import { startServer } from "../support/server.ts";
import { ChromiumPages, SEE_MS, widgetSite } from "./chromium.ts";

/**
 * The admin console in real Chromium, against the demo contact center: an admin builds a flow in
 * the visual builder, test-runs it, publishes it and binds it to the web chat, and a customer goes
 * through it to an agent; a queue's expression preview follows the typing; the example plugin
 * adds its checklist to a ringing task and holds accepting until it is ticked.
 */
describe("admin console in Chromium", () => {
  const sqlite = dialects().find((d) => d.dialect === "sqlite")!;
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let demo: DemoContactCenter;
  let site: { url: string; close: () => Promise<void> };
  const chromium = new ChromiumPages();
  const errors = chromium.errors;
  const api = apiCalls(
    () => baseUrl,
    () => ({ sid: demo.accountSid, token: demo.authToken }),
  );

  beforeAll(async () => {
    await chromium.launch();
    db = await sqlite.create();
    ({ switchboard, baseUrl } = await startServer(db));
    demo = await ensureDemo(switchboard);
    site = await widgetSite(
      `<script src="${baseUrl}/widget.js" data-account="${demo.accountSid}" data-address="${demo.chatAddress}"></script>`,
    );
  }, 60_000);

  afterAll(async () => {
    await chromium.close();
    await site?.close();
    await switchboard?.close();
    await db?.drop();
  });

  const open = async (name: string) => (await chromium.open(name, { width: 1600, height: 1000 })).page;
  const signIn = (page: Page, email: string) => chromium.signIn(page, baseUrl, email);
  const screenshotsOnFailure = (test: string) => chromium.screenshotsOnFailure(test);
  const becomeAvailable = async (page: Page) => {
    await page.goto(`${baseUrl}/agent`);
    await page.getByLabel("Activity").selectOption({ label: "Available" });
    await expect.poll(() => page.getByText("● Connected").count(), { timeout: SEE_MS }).toBe(1);
  };

  it("an admin builds, test-runs, publishes and binds a flow, and a customer goes through it to an agent", async () => {
    screenshotsOnFailure("flow");
    const admin = await open("admin");
    await signIn(admin, "admin@switchboard.demo");
    await admin.goto(`${baseUrl}/admin/flows`);
    await admin.getByLabel("Name").fill("Web chat menu");
    await admin.getByRole("button", { name: "Create and open" }).click();
    await admin.waitForURL(/\/admin\/flows\/FW/);
    const canvas = admin.getByTestId("flow-canvas");
    await canvas.waitFor();

    // Four widgets dragged from the palette, one under the other.
    const place = async (type: string, x: number, y: number) =>
      admin.getByTestId(`palette-${type}`).dragTo(canvas, { targetPosition: { x, y } });
    const trigger = await admin.getByTestId("widget-Trigger").boundingBox();
    const canvasBox = (await canvas.boundingBox())!;
    const column = trigger!.x - canvasBox.x + 20;
    const top = trigger!.y - canvasBox.y;
    await place("send-message", column, top + 120);
    await place("send-and-wait-for-reply", column, top + 240);
    await place("split-based-on", column, top + 360);
    await place("send-to-flex", column + 320, top + 240);

    // Each gets a name and its properties in the side panel.
    const panel = admin.getByRole("complementary", { name: /^Widget / });
    const configure = async (widget: string, name: string, fields: Record<string, string>) => {
      await admin.getByTestId(`widget-${widget}`).click();
      await panel.getByLabel("Widget name").fill(name);
      await panel.getByLabel("Widget name").press("Enter");
      await admin.getByTestId(`widget-${name}`).waitFor();
      for (const [label, value] of Object.entries(fields)) await panel.getByLabel(label).fill(value);
    };
    await configure("send_message_1", "greeting", { "Message body": "Welcome to Acme!" });
    await configure("send_and_wait_for_reply_1", "menu", {
      "Message body": "Reply 1 for sales or 2 for support",
    });
    await configure("split_based_on_1", "split", { "Variable to test": "{{widgets.menu.inbound.Body}}" });
    await panel.getByRole("button", { name: "Add a condition" }).click();
    await panel.getByLabel("Value").fill("2");
    await configure("send_to_flex_1", "agent", {
      "Task attributes (JSON)":
        '{"type": "support", "customerName": "{{trigger.conversation.ChannelAttributes.customerName}}"}',
    });
    await panel.getByLabel("Workflow").selectOption({ label: "Skills with escalation" });
    await panel.getByLabel("Task channel").selectOption({ label: "chat" });

    // Transitions: dragged from a handle to a widget, or chosen in the panel.
    await admin
      .getByTestId("handle-Trigger-incomingConversationMessage")
      .dragTo(admin.getByTestId("in-greeting"));
    await admin.getByTestId("handle-greeting-sent").dragTo(admin.getByTestId("in-menu"));
    await admin.getByTestId("handle-menu-incomingMessage").dragTo(admin.getByTestId("in-split"));
    await admin.getByTestId("widget-split").click();
    await panel.getByLabel("Then go to").selectOption("agent");
    await panel.getByLabel("Where noMatch leads").selectOption("menu");

    // Nothing left to fix; a test run plays the draft before anyone sees it.
    await expect.poll(() => admin.getByTestId("flow-problems").count(), { timeout: SEE_MS }).toBe(0);
    await admin.getByRole("button", { name: "Test run" }).click();
    const testRun = admin.getByRole("complementary", { name: "Test run" });
    await testRun.getByLabel("Your message as the customer").fill("hi");
    await testRun.getByRole("button", { name: "Send" }).click();
    await expect
      .poll(() => testRun.getByText("Reply 1 for sales or 2 for support").count(), { timeout: SEE_MS })
      .toBe(1);
    await expect.poll(() => admin.getByText("◀ the test run is here").count(), { timeout: SEE_MS }).toBe(1);
    await testRun.getByRole("button", { name: "Close" }).click();

    await admin.getByRole("button", { name: "Publish" }).click();
    await expect
      .poll(() => admin.getByTestId("flow-status").textContent(), { timeout: SEE_MS })
      .toMatch(/^published/);
    const [flow] = (await api.get("/v2/Flows")).body.flows;
    const states = flow.definition.states.map((s: { name: string }) => s.name);
    expect(states).toEqual(["Trigger", "greeting", "menu", "split", "agent"]);

    // Bound to the web chat in the console.
    await admin.goto(`${baseUrl}/admin/addresses`);
    await admin.getByLabel(`What ${demo.chatAddress} starts`).selectOption("flow");
    await admin.getByLabel(`Flow for ${demo.chatAddress}`).selectOption({ label: "Web chat menu" });
    await expect
      .poll(
        async () =>
          (await api.get("/v1/Configuration/Addresses")).body.address_configurations[0].auto_creation,
      )
      .toMatchObject({ type: "studio", studio_flow_sid: flow.sid });

    // A customer goes through the flow to Alice.
    const agent = await open("agent");
    await signIn(agent, "alice@switchboard.demo");
    await becomeAvailable(agent);
    const customer = await open("customer");
    await customer.goto(site.url);
    await customer.getByRole("button", { name: "Open chat" }).click();
    const chat = customer.frameLocator("#switchboard-chat");
    await chat.getByLabel("Your name").fill("Eve");
    await chat.getByRole("button", { name: "Start chat" }).click();
    await chat.getByLabel("Message").fill("hello");
    await chat.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => chat.getByText("Welcome to Acme!").count(), { timeout: SEE_MS }).toBe(1);
    await expect
      .poll(() => chat.getByText("Reply 1 for sales or 2 for support").count(), { timeout: SEE_MS })
      .toBe(1);
    await chat.getByLabel("Message").fill("2");
    await chat.getByRole("button", { name: "Send" }).click();
    const offer = agent.getByRole("alert").filter({ hasText: "Incoming chat: Eve" });
    await offer.waitFor({ timeout: SEE_MS });
    await offer.getByRole("button", { name: "Accept" }).click();
    await expect
      .poll(() => agent.getByTestId("message").allTextContents(), { timeout: SEE_MS })
      .toEqual(expect.arrayContaining([expect.stringContaining("Reply 1 for sales or 2 for support")]));
    expect(errors).toEqual([]);
  }, 180_000);

  it("speaks the language each person chose, on every page they open", async () => {
    screenshotsOnFailure("language");
    const page = await open("language");
    await signIn(page, "carmen@switchboard.demo");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByLabel("Language").selectOption("fr");
    await page.getByRole("button", { name: "Se déconnecter" }).waitFor({ timeout: SEE_MS });
    await page.goto(`${baseUrl}/agent`);
    await page.getByText("Aucune tâche").waitFor({ timeout: SEE_MS });
    expect(await page.locator("html").getAttribute("lang")).toBe("fr");
    // The setting is the person's, not the browser's: a fresh browser signs in to French too.
    const elsewhere = await open("language-elsewhere");
    await signIn(elsewhere, "carmen@switchboard.demo");
    await elsewhere.getByRole("link", { name: "Poste de travail" }).waitFor({ timeout: SEE_MS });
    expect(errors).toEqual([]);
  }, 60_000);

  it("previews the workers a queue expression matches as it is typed", async () => {
    screenshotsOnFailure("queue");
    const admin = await open("queues");
    await signIn(admin, "admin@switchboard.demo");
    await admin.goto(`${baseUrl}/admin/queues`);
    await admin.getByRole("button", { name: "New queue" }).click();
    const expression = admin.getByLabel("Target workers (expression)");
    const preview = admin.getByTestId("preview-workers");
    await expression.fill("skills HAS 'billing'");
    await expect
      .poll(() => preview.locator("li").allTextContents(), { timeout: SEE_MS })
      .toEqual(["bob", "dmitri", "erin"]);
    await expression.pressSequentially(" AND level >= 2", { delay: 20 });
    await expect
      .poll(() => preview.locator("li").allTextContents(), { timeout: SEE_MS })
      .toEqual(["bob", "erin"]);
    await expression.fill("skills HAS");
    const region = admin.getByRole("region", { name: "Workers this expression matches" });
    await expect.poll(() => region.textContent(), { timeout: SEE_MS }).toMatch(/expected/i);
    await expression.fill("skills HAS 'billing' AND level >= 2");
    await admin.getByLabel("Name").fill("Senior billing");
    await admin.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => admin.getByText("Senior billing").count(), { timeout: SEE_MS }).toBe(1);
    expect(errors).toEqual([]);
  }, 60_000);

  it("the example plugin adds a checklist to a ringing task and blocks accepting until it is ticked", async () => {
    screenshotsOnFailure("plugin");
    const admin = await open("settings");
    await signIn(admin, "admin@switchboard.demo");
    await admin.goto(`${baseUrl}/admin/desktop`);
    const settings = admin.getByLabel("Desktop settings (JSON)");
    await expect.poll(() => settings.inputValue(), { timeout: SEE_MS }).toContain("plugins");
    const current = JSON.parse(await settings.inputValue());
    await settings.fill(
      JSON.stringify({ ...current, plugins: ["/plugins/accept-checklist/index.js"] }, null, 2),
    );
    await admin.getByRole("button", { name: "Save" }).click();
    await admin.getByText("Saved").waitFor({ timeout: SEE_MS });

    const agent = await open("plugin-agent");
    await signIn(agent, "bob@switchboard.demo");
    await becomeAvailable(agent);
    const created = await api.post(`/v1/Workspaces/${demo.workspaceSid}/Tasks`, {
      WorkflowSid: demo.workflowSid,
      TaskChannel: "chat",
      Attributes: JSON.stringify({ type: "billing", customerName: "Finn" }),
    });
    expect(created.status).toBe(201);
    const offer = agent.getByRole("alert").filter({ hasText: "Incoming chat: Finn" });
    await offer.waitFor({ timeout: SEE_MS });
    const checklist = offer.getByLabel("I have read the customer's details");
    await checklist.waitFor();
    await offer.getByRole("button", { name: "Accept" }).click();
    await agent
      .getByText("Tick “I have read the customer's details” before accepting.")
      .waitFor({ timeout: SEE_MS });
    const reservation = async () =>
      (await api.get(`/v1/Workspaces/${demo.workspaceSid}/Tasks/${created.body.sid}/Reservations`)).body
        .reservations[0].reservation_status;
    expect(await reservation()).toBe("pending");
    await checklist.check();
    await offer.getByRole("button", { name: "Accept" }).click();
    await expect.poll(reservation, { timeout: SEE_MS }).toBe("accepted");
    expect(errors).toEqual([]);
  }, 60_000);
});
