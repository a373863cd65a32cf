import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { StreamTokens } from "./tokens.ts";

describe("stream tokens", () => {
  const tokens = new StreamTokens(randomBytes(32));
  const grant = { role: "worker" as const, accountSid: "AC1", workspaceSid: "WS1", workerSid: "WK1" };
  const now = Date.parse("2026-11-21T09:00:00Z");

  it("carries its grant and expiry", async () => {
    const { token, expiresAt } = await tokens.issue(grant, now, 600);
    expect(expiresAt).toBe(now + 600_000);
    expect(await tokens.verify(token, now + 599_000)).toEqual({ grant, expiresAt });
  });

  it("is refused once expired, when signed with another key, or when altered", async () => {
    const { token } = await tokens.issue(grant, now, 600);
    await expect(tokens.verify(token, now + 601_000)).rejects.toThrow("token expired");
    await expect(new StreamTokens(randomBytes(32)).verify(token, now)).rejects.toThrow("invalid token");
    const [header, , signature] = token.split(".");
    const forged = Buffer.from(
      JSON.stringify({ acc: "AC2", ws: "WS1", role: "supervisor", sub: "supervisor" }),
    );
    await expect(
      tokens.verify(`${header}.${forged.toString("base64url")}.${signature}`, now),
    ).rejects.toThrow("invalid token");
  });
});
