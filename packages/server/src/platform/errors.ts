/**
 * Errors that reach an API caller. Each carries Twilio's error shape (a stable numeric code, an HTTP
 * status, a message) and says who must act:
 * - `caller`: the request was wrong; retrying it unchanged fails again.
 * - `transient`: a passing fault; the same request may succeed later.
 * Anything that is not an ApiError is a bug and becomes a 500 in the one HTTP error handler.
 */

export type ErrorActor = "caller" | "transient";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly actor: ErrorActor = "caller",
    /** Extra response headers, e.g. Retry-After on 429. */
    readonly headers: Record<string, string> = {},
    /** Structured detail beside the message (Studio's validation errors with property paths). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Twilio's generic codes follow "20" + HTTP status (20404, 20429, ...); 20001 is an invalid parameter. */
export const invalidParameter = (message: string) => new ApiError(400, 20001, message);
export const badRequest = (message: string) => new ApiError(400, 20400, message);
export const unauthenticated = (message = "Authenticate") => new ApiError(401, 20003, message);
export const forbidden = (message: string) => new ApiError(403, 20403, message);
export const notFound = (message: string) => new ApiError(404, 20404, message);
export const conflict = (message: string) => new ApiError(409, 20409, message);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(
    429,
    20429,
    "Too many requests. Retry after the time given in the Retry-After header.",
    "transient",
    {
      "Retry-After": String(retryAfterSeconds),
    },
  );
export const unavailable = (message: string) => new ApiError(503, 20503, message, "transient");

export function moreInfo(code: number): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}

/** The wire body of every error response. */
export interface ErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
  details?: Record<string, unknown>;
}

export function errorBody(
  status: number,
  code: number,
  message: string,
  details?: Record<string, unknown>,
): ErrorBody {
  return { code, message, more_info: moreInfo(code), status, ...(details && { details }) };
}
