import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/switchboard.js");

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Servers still running. A test that times out while one starts never registers its clean-up, and
 * the server would outlive the test file, polling a dropped database: they all go when the file's
 * tests end (a hook, as the file's process is ended by a signal, which skips exit handlers).
 */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

/** A `switchboard start` process, with what it printed so far. */
export class ServerProcess {
  stdout = "";
  stderr = "";
  baseUrl = "";
  readonly exited: Promise<number | null>;
  private constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.on("exit", (code) => {
        running.delete(child);
        resolve(code);
      }),
    );
  }

  /** Starts the server on a free port and waits until /healthz answers. */
  static async start(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
    const server = new ServerProcess(
      spawn(process.execPath, [CLI, "start", "--port", "0", ...args], {
        env: { ...process.env, SWITCHBOARD_HOST: "127.0.0.1", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    const deadline = Date.now() + 60_000;
    while (!server.baseUrl) {
      const match = /running at (http:\/\/localhost:\d+)/.exec(server.stderr);
      if (match?.[1]) server.baseUrl = match[1].replace("localhost", "127.0.0.1");
      else if (server.child.exitCode !== null)
        throw new Error(`server exited early:\n${server.stderr}\n${server.stdout}`);
      else if (Date.now() > deadline) throw new Error(`server did not start:\n${server.stderr}`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const health = await fetch(server.baseUrl + "/healthz");
    if (!health.ok) throw new Error("healthz failed");
    return server;
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

/** What a server process needs to run on a test database, with the demo contact center off. */
export function serverEnv(
  db: { url: string; dataDir: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SWITCHBOARD_DATABASE_URL: db.url,
    SWITCHBOARD_DATA_DIR: db.dataDir,
    SWITCHBOARD_DEMO: "false",
    ...extra,
  };
}

/** An account made with the CLI, as its `--json` output describes it. */
export async function cliAccount(env: Record<string, string>): Promise<{ sid: string; auth_token: string }> {
  const { stdout } = await runCli(["account", "create", "--name", "Crash", "--json"], env);
  return JSON.parse(stdout) as { sid: string; auth_token: string };
}
