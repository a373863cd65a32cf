import rateLimit from "@fastify/rate-limit";
import { tooManyRequests } from "../errors.ts";
import type { HttpServer } from "./server.ts";

/**
 * At most `max` requests per client address per window in this scope (0: no limit), else 429: for
 * routes called without credentials (web chat visitors, sign-in), where the account is not known yet.
 */
export async function limitPerClient(scope: HttpServer, max: number, windowMs: number): Promise<void> {
  if (max === 0) return;
  await scope.register(rateLimit, {
    max,
    timeWindow: windowMs,
    errorResponseBuilder: (_request, context) => tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
