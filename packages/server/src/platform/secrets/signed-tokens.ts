import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";

const ISSUER = "switchboard";

/** Why a token was not taken: "token expired", "invalid token" or "malformed token". */
export class TokenError extends Error {}

/**
 * Short-lived signed tokens (JWT, HS256) for callers who cannot hold API credentials (an agent's
 * browser, a web chat visitor). The key is derived from the server's secret key, so every node of a
 * cluster takes every node's tokens; each audience (`switchboard:<purpose>`) gets its own key and
 * refuses the others' tokens.
 */
export class SignedTokens {
  constructor(
    private readonly key: Uint8Array,
    private readonly audience: string,
  ) {}

  async issue(
    subject: string,
    claims: Record<string, string>,
    nowMs: number,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: number }> {
    const issuedAt = Math.floor(nowMs / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(subject)
      .setIssuer(ISSUER)
      .setAudience(this.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt: expiresAt * 1000 };
  }

  /** The claims of a valid, unexpired token of this audience; a TokenError saying why otherwise. */
  async verify(token: string, nowMs: number): Promise<JWTPayload & { sub: string; exp: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: this.audience,
        algorithms: ["HS256"],
        currentDate: new Date(nowMs),
      }));
    } catch (error) {
      throw new TokenError(error instanceof errors.JWTExpired ? "token expired" : "invalid token");
    }
    if (typeof payload.sub !== "string" || typeof payload.exp !== "number")
      throw new TokenError("malformed token");
    return payload as JWTPayload & { sub: string; exp: number };
  }
}
