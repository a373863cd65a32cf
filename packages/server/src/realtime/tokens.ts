import { SignedTokens, TokenError } from "../platform/secrets/signed-tokens.ts";

/** Who a stream token lets in: one worker (their own reservations and tasks) or a workspace's supervisor. */
export type StreamGrant =
  | { role: "worker"; accountSid: string; workspaceSid: string; workerSid: string }
  | { role: "supervisor"; accountSid: string; workspaceSid: string };

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

/**
 * Tokens for the real-time stream. A backend holding API credentials asks for one and hands it to a
 * browser, which cannot keep an auth token secret.
 */
export class StreamTokens {
  private readonly tokens: SignedTokens;

  constructor(key: Uint8Array) {
    this.tokens = new SignedTokens(key, "switchboard:stream");
  }

  issue(grant: StreamGrant, nowMs: number, ttlSeconds: number): Promise<IssuedToken> {
    const subject = grant.role === "worker" ? grant.workerSid : "supervisor";
    const claims = { acc: grant.accountSid, ws: grant.workspaceSid, role: grant.role };
    return this.tokens.issue(subject, claims, nowMs, ttlSeconds);
  }

  /** The grant and expiry (ms) of a valid, unexpired token; a TokenError saying why otherwise. */
  async verify(token: string, nowMs: number): Promise<{ grant: StreamGrant; expiresAt: number }> {
    const { acc, ws, role, sub, exp } = await this.tokens.verify(token, nowMs);
    if (typeof acc !== "string" || typeof ws !== "string") throw new TokenError("malformed token");
    const expiresAt = exp * 1000;
    if (role === "worker")
      return { grant: { role, accountSid: acc, workspaceSid: ws, workerSid: sub }, expiresAt };
    if (role === "supervisor") return { grant: { role, accountSid: acc, workspaceSid: ws }, expiresAt };
    throw new TokenError("malformed token");
  }
}
