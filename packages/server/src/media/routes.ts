import type { Clock } from "@switchboard/engine";
import type { FastifyContextConfig, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { forbidden, invalidParameter, notFound } from "../platform/errors.ts";
import { origin } from "../platform/http/paging.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import { iso8601 } from "../platform/time.ts";
import { MEDIA_CONTENT_PATH, type MediaLinks } from "./links.ts";
import type { Media, MediaStore } from "./store.ts";
import type { MediaTable } from "../platform/db/schema.ts";

const PATH = `${API_PREFIX}/Media`;
const tags = ["Media"];
const itemParams = z.object({ Sid: z.string() });
/** How long the direct link in a media resource lasts, as on Twilio's media service. */
export const DIRECT_LINK_MS = 300_000;

/** Types a browser may show in place; anything else is offered as a download. */
const INLINE = /^(image\/(png|jpeg|gif|webp)|audio\/|video\/|application\/pdf$|text\/plain$)/;

/** Sends a stored file so that it can never run as a page of ours, whatever its type claims. */
export function sendContent(reply: FastifyReply, media: MediaTable) {
  const name = encodeURIComponent(media.filename ?? media.sid);
  return reply
    .code(200)
    .header("Content-Type", media.content_type)
    .header(
      "Content-Disposition",
      `${INLINE.test(media.content_type) ? "inline" : "attachment"}; filename*=UTF-8''${name}`,
    )
    .header("X-Content-Type-Options", "nosniff")
    .header("Content-Security-Policy", "sandbox; default-src 'none'")
    .header("Cache-Control", "private, max-age=300")
    .send(media.content);
}

/**
 * Raw uploads: the body is the file, `Content-Type` its type, `Filename` (query) its name. They get
 * their own scope, where every content type is taken as bytes up to the media limit.
 */
export async function uploadRoute(
  app: HttpServer,
  path: string,
  maxBytes: number,
  summary: string,
  take: (
    request: FastifyRequest,
    upload: { contentType: string; filename?: string; content: Buffer },
  ) => Promise<unknown>,
  config: FastifyContextConfig = {},
): Promise<void> {
  await app.register((scoped: HttpServer, _options, registered) => {
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: maxBytes }, (_request, raw, done) =>
      done(null, raw),
    );
    scoped.post(
      path,
      {
        bodyLimit: maxBytes,
        config,
        schema: { tags, summary, querystring: z.object({ Filename: z.string().min(1).max(255).optional() }) },
      },
      async (request, reply) => {
        const contentType = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
        if (!contentType || !/^[\w.+-]+\/[\w.+-]+$/.test(contentType))
          throw invalidParameter("Content-Type must name the file's media type, such as image/png");
        if (!Buffer.isBuffer(request.body) || request.body.length === 0)
          throw invalidParameter("The request body must be the file, and not empty");
        const answer = await take(request, {
          contentType,
          filename: request.query.Filename,
          content: request.body,
        });
        return reply.code(201).send(answer);
      },
    );
    registered();
  });
}

/**
 * Media for conversation messages (Switchboard's counterpart of Twilio's Media Content Service):
 * upload a file, attach it with the message's `MediaSid`, fetch its description (with a link valid
 * for five minutes that needs no credentials) or its bytes.
 */
export async function mediaRoutes(
  api: HttpServer,
  store: MediaStore,
  links: MediaLinks,
  clock: Clock,
  maxBytes: number,
): Promise<void> {
  const json = (request: FastifyRequest, media: Media) => mediaJson(media, origin(request), links, clock);

  await uploadRoute(api, PATH, maxBytes, "Upload a file to attach to a message", async (request, upload) =>
    json(request, await store.upload(request.principal.accountSid, upload)),
  );

  api.get(
    `${PATH}/:Sid`,
    { schema: { tags, summary: "Fetch a file's description", params: itemParams } },
    async (request) => {
      const media = await store.get(request.principal.accountSid, request.params.Sid);
      if (!media) throw notFound(`The requested resource ${request.url.split("?")[0]} was not found`);
      return json(request, media);
    },
  );

  api.get(
    `${PATH}/:Sid/Content`,
    { schema: { tags, summary: "Download a file", params: itemParams } },
    async (request, reply) => {
      const media = await store.withContent(request.params.Sid, request.principal.accountSid);
      if (!media) throw notFound(`The requested resource ${request.url.split("?")[0]} was not found`);
      return sendContent(reply, media);
    },
  );
}

/** The open route behind signed links: the signature stands in for credentials. */
export function mediaContentRoute(
  open: HttpServer,
  store: MediaStore,
  links: MediaLinks,
  clock: Clock,
): void {
  open.get(
    `${MEDIA_CONTENT_PATH}/:Sid`,
    {
      schema: {
        tags,
        summary: "Download a file through a signed, expiring link",
        params: itemParams,
        querystring: z.object({ Expires: z.coerce.number().int(), Signature: z.string() }),
      },
    },
    async (request, reply) => {
      const { Expires, Signature } = request.query;
      if (!links.valid(request.params.Sid, Expires, Signature, clock.now()))
        throw forbidden("This link is not valid, or has expired");
      const media = await store.withContent(request.params.Sid);
      if (!media) throw notFound(`The requested resource ${request.url.split("?")[0]} was not found`);
      return sendContent(reply, media);
    },
  );
}

function mediaJson(m: Media, base: string, links: MediaLinks, clock: Clock) {
  return {
    sid: m.sid,
    account_sid: m.account_sid,
    content_type: m.content_type,
    filename: m.filename,
    size: m.size,
    category: "media",
    conversation_sid: m.conversation_sid,
    message_sid: m.message_sid,
    date_created: iso8601(m.date_created),
    url: `${base}${PATH}/${m.sid}`,
    links: {
      content: `${base}${PATH}/${m.sid}/Content`,
      content_direct_temporary: base + links.path(m.sid, clock.now() + DIRECT_LINK_MS),
    },
  };
}
