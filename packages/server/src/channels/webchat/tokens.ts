import { errors, jwtVerify, SignJWT } from "jose";

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

const ISSUER = "switchboard";
const AUDIENCE = "switchboard:webchat";

export class VisitorTokenError extends Error {}

/**
 * Web chat session tokens (JWT, HS256). The widget keeps its token (in the page's storage) so the
 * session survives reloads and network changes; the key is derived from the server's secret key.
 */
export class VisitorTokens {
  constructor(private readonly key: Uint8Array) {}

  async issue(
    grant: VisitorGrant,
    nowMs: number,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: number }> {
    const issuedAt = Math.floor(nowMs / 1000);
    const token = await new SignJWT({ acc: grant.accountSid, addr: grant.address, attr: grant.attributes })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(grant.identity)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(this.key);
    return { token, expiresAt: (issuedAt + ttlSeconds) * 1000 };
  }

  async verify(token: string, nowMs: number): Promise<VisitorGrant> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
        currentDate: new Date(nowMs),
      });
      const { acc, addr, attr, sub } = payload as Record<string, unknown>;
      if (
        typeof acc !== "string" ||
        typeof addr !== "string" ||
        typeof sub !== "string" ||
        typeof attr !== "string"
      )
        throw new VisitorTokenError("malformed token");
      return { accountSid: acc, address: addr, identity: sub, attributes: attr };
    } catch (error) {
      if (error instanceof VisitorTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new VisitorTokenError("token expired");
      throw new VisitorTokenError("invalid token");
    }
  }
}
