import { isSid } from "@switchboard/engine";
import { z } from "zod";
import { forbidden, notFound } from "../platform/errors.ts";
import type { HttpServer } from "../platform/http/server.ts";
import { pageRequest, pagingQuery, v2010List } from "../platform/http/paging.ts";
import { rfc2822 } from "../platform/time.ts";
import type { Principal } from "./authenticate.ts";
import type { Account, AccountStore } from "./accounts.ts";
import type { ApiKey, ApiKeyStore } from "./api-keys.ts";

const BASE = "/2010-04-01/Accounts";
/** People signed in to the web apps manage credentials only as admins. */
const ADMIN_ONLY = { access: "admin" } as const;
const accountParams = z.object({ AccountSid: z.string() });
const keyParams = z.object({ AccountSid: z.string(), Sid: z.string() });
const keyBody = z
  .object({ FriendlyName: z.string().max(64, "at most 64 characters").optional() })
  .default({});

/** Accounts (read-only here: operators make accounts with `switchboard account create`) and API keys, as in the 2010-04-01 API. */
export function identityRoutes(app: HttpServer, accounts: AccountStore, apiKeys: ApiKeyStore): void {
  app.get(
    `${BASE}/:AccountSid.json`,
    { schema: { tags: ["Accounts"], summary: "Fetch your account", params: accountParams } },
    async (request) => accountJson(await ownAccount(accounts, request.principal)),
  );

  app.get(
    `${BASE}.json`,
    {
      schema: {
        tags: ["Accounts"],
        summary: "List the accounts you can see (your own)",
        querystring: pagingQuery,
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const account = await ownAccount(accounts, request.principal);
      const items = page.offset === 0 && !page.after ? [accountJson(account)] : [];
      return v2010List(request, "accounts", page, { items, nextKey: undefined });
    },
  );

  app.post(
    `${BASE}/:AccountSid/Keys.json`,
    {
      config: ADMIN_ONLY,
      schema: {
        tags: ["Keys"],
        summary: "Create an API key; its secret is returned this once",
        params: accountParams,
        body: keyBody,
      },
    },
    async (request, reply) => {
      requireAuthToken(request.principal);
      const key = await apiKeys.create(request.principal.accountSid, request.body.FriendlyName ?? "");
      return reply.code(201).send({ ...keyJson(key), secret: key.secret });
    },
  );

  app.get(
    `${BASE}/:AccountSid/Keys.json`,
    {
      config: ADMIN_ONLY,
      schema: { tags: ["Keys"], summary: "List API keys", params: accountParams, querystring: pagingQuery },
    },
    async (request) => {
      requireAuthToken(request.principal);
      const page = pageRequest(request.query);
      const result = await apiKeys.list(request.principal.accountSid, page);
      return v2010List(request, "keys", page, { ...result, items: result.items.map(keyJson) });
    },
  );

  app.get(
    `${BASE}/:AccountSid/Keys/:Sid.json`,
    { config: ADMIN_ONLY, schema: { tags: ["Keys"], summary: "Fetch an API key", params: keyParams } },
    async (request) => {
      requireAuthToken(request.principal);
      const { Sid } = request.params;
      return keyJson(
        found(isSid(Sid, "SK") ? await apiKeys.get(request.principal.accountSid, Sid) : undefined, Sid),
      );
    },
  );

  app.post(
    `${BASE}/:AccountSid/Keys/:Sid.json`,
    {
      config: ADMIN_ONLY,
      schema: { tags: ["Keys"], summary: "Rename an API key", params: keyParams, body: keyBody },
    },
    async (request) => {
      requireAuthToken(request.principal);
      const { Sid } = request.params;
      const key = isSid(Sid, "SK")
        ? await apiKeys.update(request.principal.accountSid, Sid, { friendlyName: request.body.FriendlyName })
        : undefined;
      return keyJson(found(key, Sid));
    },
  );

  app.delete(
    `${BASE}/:AccountSid/Keys/:Sid.json`,
    {
      config: ADMIN_ONLY,
      schema: { tags: ["Keys"], summary: "Delete an API key; it stops working at once", params: keyParams },
    },
    async (request, reply) => {
      requireAuthToken(request.principal);
      const { Sid } = request.params;
      if (!isSid(Sid, "SK") || !(await apiKeys.remove(request.principal.accountSid, Sid)))
        throw missingKey(Sid);
      return reply.code(204).send();
    },
  );
}

/** Keys are managed with the account's own auth token, so a leaked key cannot mint or revoke others. */
function requireAuthToken(principal: Principal): void {
  if (principal.apiKeySid) throw forbidden("API keys cannot manage API keys: use the account's auth token");
}

async function ownAccount(accounts: AccountStore, principal: Principal): Promise<Account> {
  const account = await accounts.get(principal.accountSid);
  if (!account) throw notFound(`The requested resource ${BASE}/${principal.accountSid}.json was not found`);
  return account;
}

function found(key: ApiKey | undefined, sid: string): ApiKey {
  if (!key) throw missingKey(sid);
  return key;
}

const missingKey = (sid: string) => notFound(`The requested resource /Keys/${sid}.json was not found`);

function accountJson(account: Account) {
  const uri = `${BASE}/${account.sid}.json`;
  return {
    sid: account.sid,
    owner_account_sid: account.sid,
    friendly_name: account.friendlyName,
    status: account.status,
    type: "Full",
    date_created: rfc2822(account.dateCreated),
    date_updated: rfc2822(account.dateUpdated),
    uri,
    subresource_uris: { keys: `${BASE}/${account.sid}/Keys.json` },
  };
}

function keyJson(key: ApiKey) {
  return {
    sid: key.sid,
    friendly_name: key.friendlyName || null,
    date_created: rfc2822(key.dateCreated),
    date_updated: rfc2822(key.dateUpdated),
  };
}
