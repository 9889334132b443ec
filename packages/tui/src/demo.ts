/**
 * `socktop --demo`: run our own agent on 127.0.0.1:3231 as a child process,
 * for as long as socktop runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const DEMO_HOST = "127.0.0.1";
export const DEMO_PORT = 3231;

export class DemoError extends Error {
  override readonly name = "DemoError";
}

export interface DemoAgent {
  readonly url: string;
  readonly pid: number;
  /** Last lines the agent wrote to stderr (for a crash report). */
  readonly log: string[];
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** For process 'exit' handlers, where nothing asynchronous runs any more. */
  stopSync(): void;
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
}

/**
 * The agent's command line entry: the package's main module is dist/index.js
 * and cli.js sits next to it. Under the test runner's "source" condition the
 * same lookup lands on src/index.ts, and src/cli.ts is used instead.
 */
export function agentCliPath(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve("@socktop/agent");
  return join(dirname(main), main.endsWith(".ts") ? "cli.ts" : "cli.js");
}

function guardPath(): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), here.endsWith(".ts") ? "demo-guard.ts" : "demo-guard.js");
}

/** Fails fast with a clear message instead of letting the agent die on EADDRINUSE. */
export function checkPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new DemoError(
            `port ${port} on ${host} is already in use: is another socktop --demo or socktop_agent running? ` +
              `Stop it, or connect to it with: socktop ws://${host}:${port}/ws`,
          ),
        );
      } else if (error.code === "EACCES") {
        reject(new DemoError(`not allowed to listen on ${host}:${port}`));
      } else {
        reject(new DemoError(`cannot listen on ${host}:${port}: ${error.message}`));
      }
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

function healthy(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: "/healthz", method: "GET", timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** Agent settings a user may have exported for their own agent, not for the demo one. */
const STRIPPED_ENV = ["SOCKTOP_TOKEN", "SOCKTOP_ENABLE_SSL", "SOCKTOP_PORT", "SOCKTOP_BIND"];

export interface DemoOptions {
  host?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  cliPath?: string;
}

export async function startDemoAgent(options: DemoOptions = {}): Promise<DemoAgent> {
  const host = options.host ?? DEMO_HOST;
  const port = options.port ?? DEMO_PORT;
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  await checkPortFree(host, port);

  let cli: string;
  try {
    cli = options.cliPath ?? agentCliPath();
  } catch (error) {
    throw new DemoError(`cannot find the socktop agent (@socktop/agent): ${(error as Error).message}`);
  }
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  for (const k of STRIPPED_ENV) delete env[k];
  // Our own execArgv (e.g. a TypeScript loader in development) applies to
  // the agent too, so it runs the same way socktop does; debugging and
  // profiling flags stay with socktop (two inspectors cannot share a port).
  const inherited = process.execArgv.filter((a) => !/^--(inspect|debug|cpu-prof|heap-prof|prof)/.test(a));
  const args = [...inherited, "--import", pathToFileURL(guardPath()).href, cli, "--bind", host, "--port", String(port)];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["pipe", "ignore", "pipe"], env });
  const log: string[] = [];
  child.stderr!.setEncoding("utf8");
  // Keep draining stderr for the whole run: a full pipe would block the agent.
  child.stderr!.on("data", (chunk: string) => {
    for (const line of chunk.split("\n")) {
      if (line.trim() === "") continue;
      log.push(line);
      if (log.length > 20) log.shift();
    }
  });
  child.stdin!.on("error", () => undefined);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      for (const l of exitListeners) l(code, signal);
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));

  const agent: DemoAgent = {
    url: `ws://${host}:${port}/ws`,
    pid: child.pid ?? -1,
    log,
    async stop(graceMs = 1500) {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exitPromise;
      clearTimeout(timer);
    },
    stopSync() {
      if (!exited) child.kill("SIGTERM");
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = await Promise.race([
      spawnError.then((e) => `cannot start the agent: ${e.message}`),
      exitPromise.then(() => {
        const last = log.filter((l) => /error/i.test(l)).pop() ?? log[log.length - 1];
        return `the demo agent exited at start${last ? `: ${last}` : ""}`;
      }),
      new Promise<null>((r) => setTimeout(() => r(null), 60).unref()),
    ]);
    if (failure !== null) {
      await agent.stop(200);
      throw new DemoError(failure);
    }
    if (await healthy(host, port)) return agent;
    if (Date.now() > deadline) {
      await agent.stop(200);
      throw new DemoError(`the demo agent did not come up on ${host}:${port} within ${Math.round(timeoutMs / 1000)}s`);
    }
  }
}
