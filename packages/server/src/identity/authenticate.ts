import { isSid } from "@switchboard/engine";
import type { FastifyRequest } from "fastify";
import type { UserRole } from "../platform/db/schema.ts";
import { forbidden, unauthenticated } from "../platform/errors.ts";
import { origin } from "../platform/http/paging.ts";
import { sameSecret } from "../platform/secrets/secret-box.ts";
import type { AccountStore } from "./accounts.ts";
import type { ApiKeyStore } from "./api-keys.ts";
import { ROLE_RANK, type User, type UserStore } from "./users.ts";

/**
 * Who is calling: always an account, reached through its auth token, one of its API keys, or a
 * person's sign-in session (then `user` says who, and their role limits what they may do).
 */
export interface Principal {
  accountSid: string;
  /** The API key used, when the caller used one. */
  apiKeySid: string | undefined;
  /** The signed-in person, when the caller is a browser with a session cookie. */
  user: User | undefined;
}

/**
 * The least role a route needs from a signed-in person. Routes say so in their config; the default
 * is `supervisor`, so only routes written for agents (the desktop's) let agents in, and only admins
 * manage people and credentials. Account credentials (auth token, API keys) may call every route.
 */
export type Access = UserRole;

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the authentication hook on every route of the authenticated API. */
    principal: Principal;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

export const SESSION_COOKIE = "switchboard_session";

const BAD_CREDENTIALS = "Authenticate: the AccountSid/AuthToken or API key SID/secret is incorrect";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * HTTP Basic authentication as Twilio does it: `AccountSid:AuthToken`, or `ApiKeySid:ApiKeySecret`;
 * else the session cookie of a signed-in person. Runs before the body is read, so an
 * unauthenticated caller costs no parsing. A path naming an account (`/Accounts/{AccountSid}/...`)
 * must name the caller's own.
 */
export function authenticator(accounts: AccountStore, apiKeys: ApiKeyStore, users: UserStore) {
  async function basicPrincipal(header: string): Promise<Principal> {
    const match = /^Basic\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw unauthenticated("Authenticate: HTTP Basic credentials are required");
    const decoded = Buffer.from(match[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw unauthenticated(BAD_CREDENTIALS);
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);

    if (isSid(username, "AC")) {
      const found = await accounts.withAuthToken(username);
      if (!found || !sameSecret(found.authToken, password)) throw unauthenticated(BAD_CREDENTIALS);
      const { account } = found;
      if (account.status !== "active")
        throw unauthenticated(`Authenticate: account ${account.sid} is ${account.status}`);
      return { accountSid: account.sid, apiKeySid: undefined, user: undefined };
    }
    if (isSid(username, "SK")) {
      const accountSid = await apiKeys.verify(username, password);
      const account = accountSid && (await accounts.get(accountSid));
      if (!account) throw unauthenticated(BAD_CREDENTIALS);
      if (account.status !== "active")
        throw unauthenticated(`Authenticate: account ${account.sid} is ${account.status}`);
      return { accountSid: account.sid, apiKeySid: username, user: undefined };
    }
    throw unauthenticated(BAD_CREDENTIALS);
  }

  async function sessionPrincipal(request: FastifyRequest, token: string): Promise<Principal> {
    const session = await users.session(token);
    if (!session) throw unauthenticated("Your session has ended; sign in again");
    // A cookie rides along on requests other sites make; only our own pages may change anything.
    if (!SAFE_METHODS.has(request.method) && request.headers.origin !== origin(request))
      throw forbidden("Requests made with a session must come from this server's own pages");
    const access = request.routeOptions.config.access ?? "supervisor";
    if (ROLE_RANK[session.user.role] < ROLE_RANK[access])
      throw forbidden(`This needs the ${access} role; you are signed in as ${session.user.role}`);
    return { accountSid: session.user.accountSid, apiKeySid: undefined, user: session.user };
  }

  return async function authenticate(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    const cookie = request.cookies[SESSION_COOKIE];
    if (header === undefined && cookie) request.principal = await sessionPrincipal(request, cookie);
    else request.principal = await basicPrincipal(header ?? "");
    const pathAccount = (request.params as Record<string, string | undefined> | undefined)?.AccountSid;
    if (pathAccount !== undefined && pathAccount !== request.principal.accountSid) {
      throw forbidden(`Credentials for ${request.principal.accountSid} cannot act on account ${pathAccount}`);
    }
  };
}
