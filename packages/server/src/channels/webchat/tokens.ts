import { SignedTokens, TokenError } from "../../platform/secrets/signed-tokens.ts";

/** A web chat visitor: who they are to us and which address of which account they write to. */
export interface VisitorGrant {
  accountSid: string;
  /** The web chat address (an address configuration of type `chat`). */
  address: string;
  /** The visitor's identity, made when the session started; their conversations are found by it. */
  identity: string;
  /** The name and pre-chat answers given when the session started (JSON object text). */
  attributes: string;
}

/**
 * Web chat session tokens. The widget keeps its token (in the page's storage) so the session
 * survives reloads and network changes.
 */
export class VisitorTokens {
  private readonly tokens: SignedTokens;

  constructor(key: Uint8Array) {
    this.tokens = new SignedTokens(key, "switchboard:webchat");
  }

  issue(
    grant: VisitorGrant,
    nowMs: number,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: number }> {
    const claims = { acc: grant.accountSid, addr: grant.address, attr: grant.attributes };
    return this.tokens.issue(grant.identity, claims, nowMs, ttlSeconds);
  }

  /** The grant of a valid, unexpired token; a TokenError saying why otherwise. */
  async verify(token: string, nowMs: number): Promise<VisitorGrant> {
    const { acc, addr, attr, sub } = await this.tokens.verify(token, nowMs);
    if (typeof acc !== "string" || typeof addr !== "string" || typeof attr !== "string")
      throw new TokenError("malformed token");
    return { accountSid: acc, address: addr, identity: sub, attributes: attr };
  }
}
