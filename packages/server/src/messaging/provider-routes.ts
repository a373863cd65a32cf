import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { list } from "../conversations/parameters.ts";
import { invalidParameter, notFound } from "../platform/errors.ts";
import { origin, pageRequest, pagingQuery, v1List } from "../platform/http/paging.ts";
import { formBoolean, httpUrl } from "../platform/http/parameters.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import { iso8601 } from "../platform/time.ts";
import { metaWebhookUrl, providerUrls } from "./provider-urls.ts";
import type { Provider, ProviderSettings, ProviderStore } from "./providers.ts";

const PATH = `${API_PREFIX}/Messaging/Providers`;
const tags = ["Messaging"];
const itemParams = z.object({ Sid: z.string() });

const settingsBody = {
  FriendlyName: z.string().min(1).max(255).optional(),
  Addresses: list.optional(),
  Username: z.string().min(1).max(255).optional(),
  Password: z.string().min(1).max(1024).optional(),
  BaseUrl: httpUrl.optional(),
  Host: z.string().min(1).max(255).optional(),
  Port: z.coerce.number().int().min(1).max(65535).optional(),
  SystemType: z.string().max(12).optional(),
  Secure: formBoolean.optional(),
  AppSecret: z.string().min(1).max(1024).optional(),
  HumanAgent: formBoolean.optional(),
};

const META_TYPES: ReadonlySet<string> = new Set(["whatsapp", "messenger"]);

/**
 * The account's messaging providers (Switchboard's own resource): how its numbers reach carriers.
 * A provider of type `twilio` is any HTTP API shaped like Twilio's Messages resource (`BaseUrl`,
 * `Username` = the upstream account SID, `Password` = its auth token); one of type `smpp` an SMSC
 * (`Host`, `Port`, `Username` = system_id, `Password`, `SystemType`); one of type `smtp` a mail relay
 * (`Host`, `Port`, `Username`, `Password`, `Secure` for TLS from the first byte). Types `whatsapp`
 * and `messenger` are Meta's APIs (`Username` = the phone number ID or page ID, `Password` = the
 * access token, `AppSecret` = the Meta app's secret its webhooks are signed with, `BaseUrl` = the
 * Graph API; `HumanAgent` lets a page answer for 7 days). The answer names what to configure at the
 * provider: the URLs for inbound messages and delivery reports, or Meta's webhook URL and verify
 * token. Passwords and app secrets are write-only.
 */
export function providerRoutes(
  app: HttpServer,
  providers: ProviderStore,
  publicUrl: string | undefined,
): void {
  const missing = (request: FastifyRequest) =>
    notFound(`The requested resource ${request.url.split("?")[0]} was not found`);
  const json = (request: FastifyRequest, provider: Provider) =>
    providerJson(provider, publicUrl ?? origin(request), providers);

  app.post(
    PATH,
    {
      schema: {
        tags,
        summary: "Connect a messaging provider",
        body: z.object({
          Type: z.enum(["twilio", "smpp", "smtp", "whatsapp", "messenger"]),
          ...settingsBody,
        }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!body.Username) throw invalidParameter("Username is required: the provider account to send as");
      if (!body.Password) throw invalidParameter("Password is required: the provider account's secret");
      if ((body.Type === "smpp" || body.Type === "smtp") && (!body.Host || !body.Port))
        throw invalidParameter(
          `Host and Port are required for an ${body.Type} provider: where its server listens`,
        );
      if (META_TYPES.has(body.Type) && !body.AppSecret)
        throw invalidParameter(
          `AppSecret is required for a ${body.Type} provider: Meta signs its webhooks with the app's secret`,
        );
      const provider = await providers.create(request.principal.accountSid, {
        type: body.Type,
        friendlyName: body.FriendlyName ?? `${body.Type} provider`,
        addresses: body.Addresses ?? [],
        settings: settingsOf(body) as ProviderSettings,
        password: body.Password,
        webhookSecret: body.AppSecret,
      });
      return reply.code(201).send(json(request, provider));
    },
  );

  app.get(
    PATH,
    { schema: { tags, summary: "List messaging providers, oldest first", querystring: pagingQuery } },
    async (request) => {
      const page = pageRequest(request.query);
      const result = await providers.list(request.principal.accountSid, page);
      return v1List(request, "providers", page, {
        ...result,
        items: result.items.map((p) => json(request, p)),
      });
    },
  );

  app.get(
    `${PATH}/:Sid`,
    { schema: { tags, summary: "Fetch a messaging provider", params: itemParams } },
    async (request) => {
      const provider = await providers.get(request.principal.accountSid, request.params.Sid);
      if (!provider) throw missing(request);
      return json(request, provider);
    },
  );

  app.post(
    `${PATH}/:Sid`,
    {
      schema: {
        tags,
        summary: "Change a messaging provider",
        params: itemParams,
        body: z.object(settingsBody).default({}),
      },
    },
    async (request) => {
      const body = request.body;
      const settings = settingsOf(body);
      const provider = await providers.update(request.principal.accountSid, request.params.Sid, {
        friendlyName: body.FriendlyName,
        addresses: body.Addresses,
        password: body.Password,
        webhookSecret: body.AppSecret,
        ...(Object.keys(settings).length > 0 && { settings: settings as ProviderSettings }),
      });
      if (!provider) throw missing(request);
      return json(request, provider);
    },
  );

  app.delete(
    `${PATH}/:Sid`,
    { schema: { tags, summary: "Disconnect a messaging provider", params: itemParams } },
    async (request, reply) => {
      if (!(await providers.remove(request.principal.accountSid, request.params.Sid))) throw missing(request);
      return reply.code(204).send();
    },
  );
}

function settingsOf(body: {
  Username?: string;
  BaseUrl?: string;
  Host?: string;
  Port?: number;
  SystemType?: string;
  Secure?: boolean;
  HumanAgent?: boolean;
}): Partial<ProviderSettings> {
  return {
    ...(body.Username !== undefined && { username: body.Username }),
    ...(body.BaseUrl !== undefined && { base_url: body.BaseUrl.replace(/\/$/, "") }),
    ...(body.Host !== undefined && { host: body.Host }),
    ...(body.Port !== undefined && { port: body.Port }),
    ...(body.SystemType !== undefined && { system_type: body.SystemType }),
    ...(body.Secure !== undefined && { secure: body.Secure }),
    ...(body.HumanAgent !== undefined && { human_agent: body.HumanAgent }),
  };
}

function providerJson(p: Provider, base: string, providers: ProviderStore) {
  return {
    sid: p.sid,
    account_sid: p.account_sid,
    type: p.type,
    friendly_name: p.friendly_name,
    addresses: p.addresses,
    username: p.settings.username,
    base_url: p.settings.base_url ?? null,
    host: p.settings.host ?? null,
    port: p.settings.port ?? null,
    system_type: p.settings.system_type ?? null,
    secure: p.settings.secure ?? null,
    ...(p.type === "twilio" && providerUrls(base, p.sid)),
    ...((p.type === "whatsapp" || p.type === "messenger") && {
      human_agent: p.settings.human_agent ?? false,
      webhook_url: metaWebhookUrl(base, p.sid, p.type),
      verify_token: providers.verifyToken(p.sid),
    }),
    date_created: iso8601(p.date_created),
    date_updated: iso8601(p.date_updated),
    url: `${base}${PATH}/${p.sid}`,
  };
}
