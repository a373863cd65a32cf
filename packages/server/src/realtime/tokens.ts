import { errors, jwtVerify, SignJWT } from "jose";

/** Who a stream token lets in: one worker (their own reservations and tasks) or a workspace's supervisor. */
export type StreamGrant =
  | { role: "worker"; accountSid: string; workspaceSid: string; workerSid: string }
  | { role: "supervisor"; accountSid: string; workspaceSid: string };

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

const ISSUER = "switchboard";
const AUDIENCE = "switchboard:stream";

export class TokenError extends Error {}

/**
 * Short-lived signed tokens (JWT, HS256) for the real-time stream. A backend holding API credentials
 * asks for one and hands it to a browser, which cannot keep an auth token secret. The signing key is
 * derived from the server's secret key, so every node of a cluster accepts every node's tokens.
 */
export class StreamTokens {
  constructor(private readonly key: Uint8Array) {}

  async issue(grant: StreamGrant, nowMs: number, ttlSeconds: number): Promise<IssuedToken> {
    const issuedAt = Math.floor(nowMs / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    const token = await new SignJWT({
      acc: grant.accountSid,
      ws: grant.workspaceSid,
      role: grant.role,
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(grant.role === "worker" ? grant.workerSid : "supervisor")
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt: expiresAt * 1000 };
  }

  /** The grant and expiry (ms) of a valid, unexpired token; a TokenError saying why otherwise. */
  async verify(token: string, nowMs: number): Promise<{ grant: StreamGrant; expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
        currentDate: new Date(nowMs),
      });
      const { acc, ws, role, sub, exp } = payload as Record<string, unknown>;
      if (
        typeof acc !== "string" ||
        typeof ws !== "string" ||
        typeof sub !== "string" ||
        typeof exp !== "number"
      )
        throw new TokenError("malformed token");
      const expiresAt = exp * 1000;
      if (role === "worker")
        return { grant: { role, accountSid: acc, workspaceSid: ws, workerSid: sub }, expiresAt };
      if (role === "supervisor") return { grant: { role, accountSid: acc, workspaceSid: ws }, expiresAt };
      throw new TokenError("malformed token");
    } catch (error) {
      if (error instanceof TokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new TokenError("token expired");
      throw new TokenError("invalid token");
    }
  }
}
