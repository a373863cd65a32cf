import type { IncomingMessage, Server, ServerResponse } from "node:http";
import formBody from "@fastify/formbody";
import swagger from "@fastify/swagger";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { ApiError, errorBody } from "../errors.ts";
import type { Metrics } from "./metrics.ts";

/** Where Switchboard's own APIs (beyond Twilio's) live; they follow the same conventions. */
export const API_PREFIX = "/switchboard/v1";

export type HttpServer = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>;

export interface HttpServerOptions {
  logger: Logger;
  bodyLimitBytes: number;
  metrics: Metrics;
  /** Resolves when the server can take traffic; rejects with the reason when it cannot. */
  checkReady: () => Promise<void>;
}

/**
 * The HTTP platform every bounded context mounts its routes on: Twilio's error body for every
 * failure, form-encoded and JSON bodies, zod validation that names the bad parameter, OpenAPI from
 * the route schemas, Prometheus metrics, and health probes.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    // Answer in-flight requests on close, but drop idle keep-alive sockets so shutdown is prompt.
    forceCloseConnections: "idle",
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Twilio APIs take form bodies; we also take JSON. Anything else is refused with 415.
  app.removeContentTypeParser("text/plain");
  await app.register(formBody);

  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(errorBody(404, 20404, `The requested resource ${request.url.split("?")[0]} was not found`));
  });

  app.addHook("onResponse", (request, reply, done) => {
    options.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: "Switchboard API",
        description:
          "Twilio-compatible REST APIs (2010-04-01 Accounts and Keys) and Switchboard's own additions under /switchboard/v1.",
        version: "0.1.0",
      },
      components: { securitySchemes: { basic: { type: "http", scheme: "basic" } } },
      security: [{ basic: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.get("/openapi.json", { schema: { hide: true } }, () => app.swagger());
  app.get("/healthz", { schema: { hide: true } }, () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    try {
      await options.checkReady();
      return { status: "ready" };
    } catch (error) {
      return reply.code(503).send({ status: "unavailable", reason: (error as Error).message });
    }
  });
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  return app;
}

/** The one place where failures become HTTP responses. */
function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ApiError) {
    if (error.status === 401) void reply.header("WWW-Authenticate", 'Basic realm="Switchboard API"');
    for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    return reply.code(error.status).send(errorBody(error.status, error.code, error.message, error.details));
  }
  if (error.validation) {
    return reply.code(400).send(errorBody(400, 20001, validationMessage(error)));
  }
  // Fastify's own client errors: bad JSON, empty bodies, unsupported media types, oversized bodies.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return reply.code(status).send(errorBody(status, 20000 + status, clientErrorMessage(error)));
  }
  request.log.error({ err: error }, "request failed");
  return reply.code(500).send(errorBody(500, 20500, "Internal server error"));
}

function clientErrorMessage(error: FastifyError): string {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "Unsupported Content-Type: send application/x-www-form-urlencoded or application/json";
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "Request body is too large";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "Body cannot be empty when Content-Type is application/json";
    default:
      return error.message;
  }
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: PropertyKey[]; code?: string; input?: unknown } };
}

/** "Invalid parameter FriendlyName: ..." or "Required parameter Url missing", as Twilio words them. */
function validationMessage(error: FastifyError): string {
  const issue = (error.validation as ValidationIssue[])[0];
  const path = issue?.params?.issue?.path ?? issue?.instancePath?.split("/").filter(Boolean) ?? [];
  const name = path.map(String).join(".") || (error.validationContext ?? "body");
  const detail = issue?.message ?? error.message;
  if (issue?.params?.issue?.input === undefined && /received undefined|required/i.test(detail)) {
    return `Required parameter ${name} missing`;
  }
  return `Invalid parameter ${name}: ${detail}`;
}
