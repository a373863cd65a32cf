import { Command, InvalidArgumentError } from "commander";
import { Switchboard } from "../app.ts";
import { ConfigError, loadConfig, type Config, type ConfigOverrides } from "../config.ts";
import { Database } from "../platform/db/database.ts";
import { migrateToLatest } from "../platform/db/migrate.ts";
import { banner, ensureDemo } from "../demo.ts";
import { forgetFacts } from "../insights/projector.ts";

/**
 * `switchboard`: the one entry point operators use. Output meant for scripts (JSON) goes to standard
 * output; messages for people go to standard error, so `--json` output can be piped.
 */
export function program(): Command {
  const cli = new Command("switchboard")
    .description("Switchboard: an open-source, programmable contact center")
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  cli
    .command("start")
    .description("Run the server (migrates the database first)")
    .option("--port <n>", "port to listen on (env SWITCHBOARD_PORT, default 3000)")
    .option("--data <dir>", "data directory for SQLite and keys (env SWITCHBOARD_DATA_DIR, default ./data)")
    .action(async (options: { port?: string; data?: string }) => {
      await start(configFrom({ port: options.port, dataDir: options.data }));
    });

  cli
    .command("migrate")
    .description("Bring the database schema up to date, then exit")
    .option("--data <dir>", "data directory (env SWITCHBOARD_DATA_DIR, default ./data)")
    .action(async (options: { data?: string }) => {
      const config = configFrom({ dataDir: options.data });
      const database = Database.open(config.databaseUrl);
      try {
        const applied = await migrateToLatest(database);
        process.stderr.write(applied.length ? `Applied: ${applied.join(", ")}\n` : "Schema is up to date.\n");
      } finally {
        await database.close();
      }
    });

  const account = cli.command("account").description("Manage accounts (tenants)");
  account
    .command("create")
    .description("Create an account and print its SID and auth token")
    .requiredOption("--name <name>", "friendly name of the account", nonEmpty)
    .option("--json", 'print {"sid":"AC…","auth_token":"…"} on standard output')
    .option("--data <dir>", "data directory (env SWITCHBOARD_DATA_DIR, default ./data)")
    .action(async (options: { name: string; json?: boolean; data?: string }) => {
      const config = configFrom({ dataDir: options.data });
      const switchboard = await Switchboard.open({ ...config, logLevel: "warn" });
      try {
        const created = await switchboard.accounts.create({ friendlyName: options.name });
        if (options.json) {
          process.stdout.write(JSON.stringify({ sid: created.sid, auth_token: created.authToken }) + "\n");
        } else {
          process.stdout.write(`Account SID: ${created.sid}\nAuth token:  ${created.authToken}\n`);
          process.stderr.write("Keep the auth token safe: it is shown only now.\n");
        }
      } finally {
        await switchboard.close();
      }
    });

  const insights = cli.command("insights").description("Reporting facts");
  insights
    .command("rebuild")
    .description(
      "Forget the reporting facts so the next start rebuilds them from the event log (server stopped)",
    )
    .option("--data <dir>", "data directory (env SWITCHBOARD_DATA_DIR, default ./data)")
    .action(async (options: { data?: string }) => {
      const config = configFrom({ dataDir: options.data });
      const database = Database.open(config.databaseUrl);
      try {
        await migrateToLatest(database);
        await forgetFacts(database);
        process.stderr.write("Reporting facts cleared; the next start rebuilds them from the event log.\n");
      } finally {
        await database.close();
      }
    });

  return cli;
}

function nonEmpty(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError("must not be empty");
  return value;
}

function configFrom(overrides: ConfigOverrides): Config {
  return loadConfig(process.env, overrides);
}

async function start(config: Config): Promise<void> {
  const switchboard = await Switchboard.open(config);
  const demo = config.demo ? await ensureDemo(switchboard) : undefined;
  const address = await switchboard.listen();
  const port = new URL(address).port;
  process.stderr.write(banner(`http://localhost:${port}`, demo) + "\n");

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    switchboard.logger.info({ signal }, "shutting down: finishing in-flight work");
    const deadline = setTimeout(() => {
      switchboard.logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    switchboard.close().then(
      () => process.exit(0),
      (error: unknown) => {
        switchboard.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error(`switchboard: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
