import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { onTestFailed } from "vitest";
import { DEMO_PASSWORD } from "../../src/demo.ts";
import { WEB_DIST } from "../../src/web/static.ts";

const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOTS = path.resolve("test-results/screenshots");
/** Browser steps wait this long for what they expect to see. */
export const SEE_MS = 10_000;

/**
 * Real Chromium for the end-to-end tests: pages opened by name, each in its own context (its own
 * cookies), with every uncaught page error collected (a test expects none) and screenshots of every
 * page written to test-results/screenshots when a test fails.
 */
export class ChromiumPages {
  /** Uncaught errors in any page. */
  readonly errors: string[] = [];
  private readonly pages: Array<{ name: string; page: Page }> = [];
  private browser: Browser | undefined;

  async launch(): Promise<void> {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`Chromium is needed at ${CHROMIUM} (apt-get install -y chromium)`);
    if (!fs.existsSync(path.join(WEB_DIST, "index.html")))
      throw new Error("Build the web apps first: npm run build");
    this.browser = await chromium.launch({ executablePath: CHROMIUM });
  }

  async open(
    name: string,
    viewport?: { width: number; height: number },
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser!.newContext(viewport && { viewport });
    const page = await context.newPage();
    page.on("pageerror", (error) => this.errors.push(`${name}: ${error.message}`));
    this.pages.push({ name, page });
    return { context, page };
  }

  async signIn(page: Page, baseUrl: string, email: string): Promise<void> {
    await page.goto(`${baseUrl}/signin`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${baseUrl}/`);
  }

  /** Call at the start of a test: on failure, the page errors are printed and every page photographed. */
  screenshotsOnFailure(test: string): void {
    onTestFailed(async () => {
      if (this.errors.length > 0) console.error(`Errors in the pages:\n${this.errors.join("\n")}`);
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      for (const { name, page } of this.pages)
        await page
          .screenshot({ path: path.join(SCREENSHOTS, `${test}-${name}.png`), fullPage: true })
          .catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    await this.browser?.close();
  }
}

/** A customer's site on another origin, embedding the web chat widget with one script tag. */
export async function widgetSite(scriptTag: string): Promise<{ url: string; close: () => Promise<void> }> {
  const site = http.createServer((_request, response) => {
    response.setHeader("Content-Type", "text/html");
    response.end(
      `<!doctype html><html><head><title>Acme</title></head><body><h1>Acme Shop</h1>${scriptTag}</body></html>`,
    );
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(site.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => site.close(() => resolve())),
  };
}
