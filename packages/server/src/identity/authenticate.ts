import { isSid } from "@switchboard/engine";
import type { FastifyRequest } from "fastify";
import { forbidden, unauthenticated } from "../platform/errors.ts";
import { sameSecret } from "../platform/secrets/secret-box.ts";
import type { AccountStore } from "./accounts.ts";
import type { ApiKeyStore } from "./api-keys.ts";

/** Who is calling: always an account, reached through its auth token or one of its API keys. */
export interface Principal {
  accountSid: string;
  /** The API key used, when the caller used one. */
  apiKeySid: string | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the authentication hook on every route of the authenticated API. */
    principal: Principal;
  }
}

const BAD_CREDENTIALS = "Authenticate: the AccountSid/AuthToken or API key SID/secret is incorrect";

/**
 * HTTP Basic authentication as Twilio does it: `AccountSid:AuthToken`, or `ApiKeySid:ApiKeySecret`.
 * Runs before the body is read, so an unauthenticated caller costs no parsing. A path naming an
 * account (`/Accounts/{AccountSid}/...`) must name the caller's own.
 */
export function authenticator(accounts: AccountStore, apiKeys: ApiKeyStore) {
  async function principalFor(header: string | undefined): Promise<Principal> {
    const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? "");
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
      return { accountSid: account.sid, apiKeySid: undefined };
    }
    if (isSid(username, "SK")) {
      const accountSid = await apiKeys.verify(username, password);
      const account = accountSid && (await accounts.get(accountSid));
      if (!account) throw unauthenticated(BAD_CREDENTIALS);
      if (account.status !== "active")
        throw unauthenticated(`Authenticate: account ${account.sid} is ${account.status}`);
      return { accountSid: account.sid, apiKeySid: username };
    }
    throw unauthenticated(BAD_CREDENTIALS);
  }

  return async function authenticate(request: FastifyRequest): Promise<void> {
    request.principal = await principalFor(request.headers.authorization);
    const pathAccount = (request.params as Record<string, string | undefined> | undefined)?.AccountSid;
    if (pathAccount !== undefined && pathAccount !== request.principal.accountSid) {
      throw forbidden(`Credentials for ${request.principal.accountSid} cannot act on account ${pathAccount}`);
    }
  };
}
