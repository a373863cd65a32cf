import path from "node:path";
import { z } from "zod";

/**
 * Server configuration, read once from environment variables (and the CLI flags that override them)
 * and validated before anything starts. Every bad value is reported at once, each with the variable's
 * name, what it got and what it expects, so an operator fixes a deployment in one pass.
 */

/** The plugins that ship in the repository (the example among them). */
const PLUGIN_DIR = path.resolve(import.meta.dirname, "../../../plugins");

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `expected a whole number from ${min} to ${max}`)
        .max(max, `expected a whole number from ${min} to ${max}`),
    );

const boolean = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const databaseUrl = z.string().refine((v) => /^sqlite:.+/.test(v) || /^postgres(ql)?:\/\/.+/.test(v), {
  message: "expected sqlite:PATH (e.g. sqlite:./data/switchboard.db) or postgres://USER@HOST:PORT/DB",
});

const secretKey = z
  .string()
  .refine((v) => Buffer.from(v, "base64").length === 32 && /^[A-Za-z0-9+/]+=*$/.test(v), {
    message: "expected 32 random bytes in base64 (e.g. the output of `openssl rand -base64 32`)",
  });

const publicUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^/]+$/.test(v.replace(/\/$/, "")), {
    message: "expected the server's public origin, such as https://switchboard.example.com",
  })
  .transform((v) => v.replace(/\/$/, ""));

/** Environment variable → schema. Unset variables take the default shown in the README. */
const environmentSchema = z.object({
  SWITCHBOARD_PORT: integer(0, 65535).default(3000),
  SWITCHBOARD_HOST: z.string().min(1).default("0.0.0.0"),
  SWITCHBOARD_DATA_DIR: z.string().min(1).default("./data"),
  SWITCHBOARD_DATABASE_URL: databaseUrl.optional(),
  SWITCHBOARD_SECRET_KEY: secretKey.optional(),
  SWITCHBOARD_LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(", ")}` })
    .default("info"),
  SWITCHBOARD_DEMO: boolean.default(true),
  SWITCHBOARD_SESSION_HOURS: integer(1, 24 * 30).default(12),
  SWITCHBOARD_SIGN_INS_PER_MINUTE: integer(0, 100_000).default(20),
  SWITCHBOARD_BODY_LIMIT_BYTES: integer(1024, 100 * 1024 * 1024).default(1024 * 1024),
  SWITCHBOARD_RATE_LIMIT_PER_SECOND: integer(0, 1_000_000).default(500),
  SWITCHBOARD_SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(30_000),
  SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS: integer(1, 100).default(10),
  SWITCHBOARD_WEBHOOK_BACKOFF_BASE_MS: integer(1, 3_600_000).default(1_000),
  SWITCHBOARD_WEBHOOK_BACKOFF_MAX_MS: integer(1, 86_400_000).default(3_600_000),
  SWITCHBOARD_WEBHOOK_TIMEOUT_MS: integer(100, 300_000).default(10_000),
  SWITCHBOARD_WEBHOOK_CONCURRENCY: integer(1, 256).default(8),
  SWITCHBOARD_POLL_INTERVAL_MS: integer(10, 60_000).default(500),
  SWITCHBOARD_ASSIGNMENT_CALLBACK_TIMEOUT_MS: integer(100, 60_000).default(5_000),
  SWITCHBOARD_FLOW_HTTP_TIMEOUT_MS: integer(100, 60_000).default(10_000),
  SWITCHBOARD_WEBCHAT_SESSIONS_PER_MINUTE: integer(0, 1_000_000).default(30),
  SWITCHBOARD_WEBCHAT_MESSAGES_PER_10S: integer(0, 1_000_000).default(20),
  SWITCHBOARD_PUBLIC_URL: publicUrl.optional(),
  SWITCHBOARD_MESSAGING_MAX_ATTEMPTS: integer(1, 100).default(8),
  SWITCHBOARD_MESSAGING_BACKOFF_BASE_MS: integer(1, 3_600_000).default(2_000),
  SWITCHBOARD_MESSAGING_BACKOFF_MAX_MS: integer(1, 86_400_000).default(300_000),
  SWITCHBOARD_MESSAGING_TIMEOUT_MS: integer(100, 300_000).default(10_000),
  SWITCHBOARD_MESSAGING_CONCURRENCY: integer(1, 256).default(16),
  SWITCHBOARD_SMPP_ENQUIRE_LINK_MS: integer(1_000, 600_000).default(30_000),
  SWITCHBOARD_SMPP_RECONNECT_BASE_MS: integer(10, 600_000).default(1_000),
  SWITCHBOARD_SMTP_PORT: integer(0, 65535).optional(),
  SWITCHBOARD_MEDIA_MAX_BYTES: integer(1024, 100 * 1024 * 1024).default(16 * 1024 * 1024),
  SWITCHBOARD_PLUGIN_DIR: z.string().min(1).optional(),
  SWITCHBOARD_MAIL_RELAY_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, "expected smtp://[USER:PASSWORD@]HOST[:PORT] or smtps://…")
    .optional(),
  SWITCHBOARD_MAIL_FROM: z.string().email("expected an email address").default("switchboard@localhost"),
  SWITCHBOARD_INSIGHTS_CHECK_MS: integer(100, 3_600_000).default(60_000),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  /** Base64 key for encrypting secrets at rest; when absent one is kept in `<dataDir>/secret.key`. */
  secretKey: string | undefined;
  logLevel: LogLevel;
  /** Seed a demo account on first start and print how to use it. */
  demo: boolean;
  bodyLimitBytes: number;
  /** Requests per second per account; 0 turns rate limiting off. */
  rateLimitPerSecond: number;
  shutdownTimeoutMs: number;
  webhooks: {
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    timeoutMs: number;
    concurrency: number;
  };
  /** How long an Assignment Callback receiver has to answer before the fallback URL is tried. */
  assignmentCallbackTimeoutMs: number;
  /** How long a flow's make-http-request and run-function widgets wait for an answer. */
  flowHttpTimeoutMs: number;
  /** How often consumers look at the event log when nothing woke them (another node may have written). */
  pollIntervalMs: number;
  /** How long a person stays signed in to the web apps. */
  sessionHours: number;
  /** Served at /plugins/: the desktop plugins an admin can enable (docs/PLUGINS.md). */
  pluginDir: string;
  /** Sign-in attempts per client address per minute (0: no limit). */
  signInsPerMinute: number;
  /** Limits on web chat visitors, who call without credentials; 0 turns a limit off. */
  webchat: {
    /** Sessions started per client address per minute. */
    sessionsPerMinute: number;
    /** Messages per visitor socket per 10 seconds. */
    messagesPer10s: number;
  };
  /**
   * The origin providers reach this server at (for the callback URLs we give them and for checking
   * their signatures); unset, the origin each request arrived at, and the bound address for callbacks.
   */
  publicUrl: string | undefined;
  /** Sending through messaging providers. */
  messaging: {
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    timeoutMs: number;
    concurrency: number;
  };
  /** Inbound mail: the SMTP listener's port (0: any free one), or undefined for no listener. */
  email: { smtpPort: number | undefined };
  /** The largest file one upload or one email attachment may be. */
  mediaMaxBytes: number;
  /** Mail the server itself sends (alerts, scheduled reports): relay URL, or undefined for none. */
  mail: { relayUrl: string | undefined; from: string };
  /** How often alert rules are evaluated and scheduled reports looked for. */
  insightsCheckMs: number;
  /** SMPP links to SMSCs. */
  smpp: {
    /** How often an idle link checks the SMSC with enquire_link. */
    enquireLinkMs: number;
    /** First wait before reconnecting a lost link (doubling, up to a minute). */
    reconnectBaseMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Flags given on the command line win over the environment. */
export interface ConfigOverrides {
  port?: string;
  dataDir?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(environmentSchema.shape)) {
    const value = env[key];
    // An empty variable means "unset" (as in `SWITCHBOARD_DATABASE_URL= npm start`).
    if (value !== undefined && value !== "") input[key] = value;
  }
  if (overrides.port !== undefined) input.SWITCHBOARD_PORT = overrides.port;
  if (overrides.dataDir !== undefined) input.SWITCHBOARD_DATA_DIR = overrides.dataDir;

  const parsed = environmentSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const flag = name === "SWITCHBOARD_PORT" && overrides.port !== undefined ? " (--port)" : "";
      return `${name}${flag}=${JSON.stringify(input[name])}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SWITCHBOARD_DATA_DIR);
  return {
    port: e.SWITCHBOARD_PORT,
    host: e.SWITCHBOARD_HOST,
    dataDir,
    databaseUrl: e.SWITCHBOARD_DATABASE_URL ?? `sqlite:${path.join(dataDir, "switchboard.db")}`,
    secretKey: e.SWITCHBOARD_SECRET_KEY,
    logLevel: e.SWITCHBOARD_LOG_LEVEL,
    demo: e.SWITCHBOARD_DEMO,
    bodyLimitBytes: e.SWITCHBOARD_BODY_LIMIT_BYTES,
    rateLimitPerSecond: e.SWITCHBOARD_RATE_LIMIT_PER_SECOND,
    shutdownTimeoutMs: e.SWITCHBOARD_SHUTDOWN_TIMEOUT_MS,
    webhooks: {
      maxAttempts: e.SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS,
      backoffBaseMs: e.SWITCHBOARD_WEBHOOK_BACKOFF_BASE_MS,
      backoffMaxMs: e.SWITCHBOARD_WEBHOOK_BACKOFF_MAX_MS,
      timeoutMs: e.SWITCHBOARD_WEBHOOK_TIMEOUT_MS,
      concurrency: e.SWITCHBOARD_WEBHOOK_CONCURRENCY,
    },
    assignmentCallbackTimeoutMs: e.SWITCHBOARD_ASSIGNMENT_CALLBACK_TIMEOUT_MS,
    flowHttpTimeoutMs: e.SWITCHBOARD_FLOW_HTTP_TIMEOUT_MS,
    pollIntervalMs: e.SWITCHBOARD_POLL_INTERVAL_MS,
    sessionHours: e.SWITCHBOARD_SESSION_HOURS,
    pluginDir: e.SWITCHBOARD_PLUGIN_DIR ? path.resolve(e.SWITCHBOARD_PLUGIN_DIR) : PLUGIN_DIR,
    signInsPerMinute: e.SWITCHBOARD_SIGN_INS_PER_MINUTE,
    webchat: {
      sessionsPerMinute: e.SWITCHBOARD_WEBCHAT_SESSIONS_PER_MINUTE,
      messagesPer10s: e.SWITCHBOARD_WEBCHAT_MESSAGES_PER_10S,
    },
    publicUrl: e.SWITCHBOARD_PUBLIC_URL,
    messaging: {
      maxAttempts: e.SWITCHBOARD_MESSAGING_MAX_ATTEMPTS,
      backoffBaseMs: e.SWITCHBOARD_MESSAGING_BACKOFF_BASE_MS,
      backoffMaxMs: e.SWITCHBOARD_MESSAGING_BACKOFF_MAX_MS,
      timeoutMs: e.SWITCHBOARD_MESSAGING_TIMEOUT_MS,
      concurrency: e.SWITCHBOARD_MESSAGING_CONCURRENCY,
    },
    email: { smtpPort: e.SWITCHBOARD_SMTP_PORT },
    mediaMaxBytes: e.SWITCHBOARD_MEDIA_MAX_BYTES,
    mail: { relayUrl: e.SWITCHBOARD_MAIL_RELAY_URL, from: e.SWITCHBOARD_MAIL_FROM },
    insightsCheckMs: e.SWITCHBOARD_INSIGHTS_CHECK_MS,
    smpp: {
      enquireLinkMs: e.SWITCHBOARD_SMPP_ENQUIRE_LINK_MS,
      reconnectBaseMs: e.SWITCHBOARD_SMPP_RECONNECT_BASE_MS,
    },
  };
}
