import pino, { type Logger } from "pino";
import type { LogLevel } from "../config.ts";

/**
 * Structured JSON logs on standard output. Anything that could carry a credential is redacted by
 * path, as a second line of defence: code never passes secrets to the logger in the first place.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: "switchboard" },
    redact: {
      paths: [
        "req.headers.authorization",
        "headers.authorization",
        "*.authToken",
        "*.auth_token",
        "*.secret",
        "*.password",
        "authToken",
        "secret",
      ],
      censor: "[redacted]",
    },
  });
}
