import type { BrowserContext, FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Switchboard } from "../../src/app.ts";
import { ensureDemo, type DemoContactCenter } from "../../src/demo.ts";
import { dialects, type TestDatabase } from "../support/databases.ts";
import { startServer } from "../support/server.ts";
import { ChromiumPages, SEE_MS, widgetSite } from "./chromium.ts";

/**
 * The people of a contact center in real Chromium, against the demo contact center: a customer
 * writes in the widget on another site's page, the agent is offered the task, accepts and replies;
 * the supervisor watches the queue change, monitors the chat and whispers; the agent's network
 * drops mid-chat and comes back with nothing lost or doubled; the agent wraps up and completes.
 */
describe("agent desktop, supervisor and widget in Chromium", () => {
  const sqlite = dialects().find((d) => d.dialect === "sqlite")!;
  let db: TestDatabase;
  let switchboard: Switchboard;
  let baseUrl: string;
  let demo: DemoContactCenter;
  let site: { url: string; close: () => Promise<void> };
  const chromium = new ChromiumPages();
  const errors = chromium.errors;

  beforeAll(async () => {
    await chromium.launch();
    db = await sqlite.create();
    ({ switchboard, baseUrl } = await startServer(db));
    demo = await ensureDemo(switchboard);
    site = await widgetSite(
      `<script src="${baseUrl}/widget.js" data-account="${demo.accountSid}" data-address="${demo.chatAddress}"
          data-title="Talk to Acme" data-color="#047857" data-fields="topic"></script>`,
    );
  }, 60_000);

  afterAll(async () => {
    await chromium.close();
    await site?.close();
    await switchboard?.close();
    await db?.drop();
  });

  const open = (name: string): Promise<{ context: BrowserContext; page: Page }> => chromium.open(name);
  const signIn = (page: Page, email: string) => chromium.signIn(page, baseUrl, email);

  it("a chat goes from the widget to an agent and back, watched by a supervisor, through a network drop", async () => {
    chromium.screenshotsOnFailure("desktop");

    // Alice, an agent, signs in and makes herself available.
    const agent = await open("agent");
    await signIn(agent.page, "alice@switchboard.demo");
    await agent.page.getByLabel("Activity").selectOption({ label: "Available" });
    await expect.poll(() => agent.page.getByText("● Connected").count(), { timeout: SEE_MS }).toBe(1);

    // Grace, a supervisor, watches the queues.
    const supervisor = await open("supervisor");
    await signIn(supervisor.page, "grace@switchboard.demo");
    const everyone = supervisor.page.getByTestId("queue-Everyone");
    await everyone.waitFor({ timeout: SEE_MS });

    // A customer opens the widget on the shop's page and writes.
    const customer = await open("customer");
    await customer.page.goto(site.url);
    await customer.page.getByRole("button", { name: "Open chat" }).click();
    const chat: FrameLocator = customer.page.frameLocator("#switchboard-chat");
    await chat.getByLabel("Your name").fill("Dana");
    await chat.getByLabel("Topic").fill("billing");
    await chat.getByRole("button", { name: "Start chat" }).click();
    await chat.getByLabel("Message").fill("Hello, my invoice is wrong");
    await chat.getByRole("button", { name: "Send" }).click();

    // The supervisor sees the queue change, pushed over the stream.
    await expect.poll(() => everyone.getByTestId("waiting").textContent(), { timeout: SEE_MS }).toBe("1");

    // Alice is offered the task, accepts and sees the customer's message and pre-chat answer.
    const offer = agent.page.getByRole("alert").filter({ hasText: "Incoming chat: Dana" });
    await offer.waitFor({ timeout: SEE_MS });
    await offer.getByRole("button", { name: "Accept" }).click();
    const agentMessages = agent.page.getByTestId("message");
    await expect
      .poll(() => agentMessages.allTextContents(), { timeout: SEE_MS })
      .toEqual(["DanaHello, my invoice is wrong"]);
    await expect
      .poll(() => agent.page.getByRole("region", { name: "Customer" }).textContent())
      .toContain("billing");
    await expect.poll(() => agent.page.getByTestId("capacity-chat").textContent()).toBe("chat 1/3");
    await expect.poll(() => everyone.getByTestId("waiting").textContent(), { timeout: SEE_MS }).toBe("0");

    // She replies; the customer sees it.
    await agent.page.getByLabel("Reply").fill("Hi Dana, let me check that invoice");
    await agent.page.getByRole("button", { name: "Send", exact: true }).click();
    const customerMessages = chat.getByTestId("chat-message");
    await expect
      .poll(() => customerMessages.allTextContents(), { timeout: SEE_MS })
      .toEqual(["Hello, my invoice is wrong", "aliceHi Dana, let me check that invoice"]);

    // Grace monitors the chat live and whispers to Alice; the customer never sees the whisper.
    await supervisor.page.getByRole("button", { name: /Monitor Dana/ }).click();
    const monitor = supervisor.page.getByRole("region", { name: "Live monitor" });
    await expect.poll(() => monitor.getByTestId("message").count(), { timeout: SEE_MS }).toBe(2);
    await chat.getByLabel("Message").fill("It says 120 instead of 100");
    await chat.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => monitor.getByTestId("message").count(), { timeout: SEE_MS }).toBe(3);
    await supervisor.page.getByLabel(/Whisper to alice/).fill("Offer a 10% credit");
    await supervisor.page.getByRole("button", { name: "Whisper" }).click();
    await expect
      .poll(() => agent.page.getByTestId("whisper").textContent(), { timeout: SEE_MS })
      .toContain("Offer a 10% credit");
    expect(await customer.page.frameLocator("#switchboard-chat").locator("body").textContent()).not.toContain(
      "credit",
    );

    // Alice's network drops: the customer writes meanwhile, and she writes too; then it comes back.
    await agent.context.setOffline(true);
    await expect.poll(() => agent.page.getByText("● Reconnecting…").count(), { timeout: SEE_MS }).toBe(1);
    await chat.getByLabel("Message").fill("Are you still there?");
    await chat.getByRole("button", { name: "Send" }).click();
    await agent.page.getByLabel("Reply").fill("Still here, one moment");
    await agent.page.getByRole("button", { name: "Send", exact: true }).click();
    await expect.poll(() => agent.page.getByText(/Not sent yet/).count(), { timeout: SEE_MS }).toBe(1);
    await agent.context.setOffline(false);
    const expected = [
      "DanaHello, my invoice is wrong",
      "aliceHi Dana, let me check that invoice",
      "DanaIt says 120 instead of 100",
      "DanaAre you still there?",
      "aliceStill here, one moment",
    ];
    await expect.poll(() => agentMessages.allTextContents(), { timeout: 15_000 }).toEqual(expected);
    await expect
      .poll(() => customerMessages.allTextContents(), { timeout: SEE_MS })
      .toEqual(expected.map((text) => text.replace(/^Dana/, "")));

    // The customer reloads the page: the session and the whole conversation are still there.
    await customer.page.reload();
    await customer.page.getByRole("button", { name: "Close chat" }).waitFor({ timeout: SEE_MS });
    await expect
      .poll(() => customer.page.frameLocator("#switchboard-chat").getByTestId("chat-message").count(), {
        timeout: SEE_MS,
      })
      .toBe(5);

    // Alice wraps up with a disposition code and completes the task.
    await agent.page.getByLabel("Disposition").selectOption("Resolved");
    await agent.page.getByRole("button", { name: "Wrap up" }).click();
    await agent.page.getByRole("button", { name: "Complete task" }).click();
    await expect.poll(() => agent.page.getByText("No tasks").count(), { timeout: SEE_MS }).toBe(1);
    const engine = switchboard.routing.get(demo.accountSid, demo.workspaceSid)!.router.routing;
    const task = engine.allTasks().find((t) => t.attributes.customerName === "Dana")!;
    expect(task.status).toBe("completed");
    expect(task.attributes.disposition).toBe("Resolved");
    expect(task.attributes.pre_engagement_data).toEqual({ topic: "billing" });
    expect(errors).toEqual([]);
  }, 120_000);
});
