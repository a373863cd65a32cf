/** Calling other systems: when to try again, and how to say why a call failed. */

/**
 * The wait before retry number `attempt` (1 for the first retry): base · 2^(attempt-1), capped, with
 * ±20 % jitter so that work which failed together does not retry together.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}

/** Why an HTTP request got no answer, in words for a delivery log. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no response within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `connection failed: ${cause.code}`;
  return `request failed: ${cause?.message ?? (error instanceof Error ? error.message : String(error))}`;
}
