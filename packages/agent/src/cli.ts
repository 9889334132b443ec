#!/usr/bin/env node
/**
 * socktop_agent command line: parse, start, report one line, stop cleanly.
 * Every failure the user can cause ends in one line on stderr and a non-zero
 * exit status, never a stack trace.
 */
// First: heap sizing before anything allocates (see v8-tuning.ts). The rest is
// imported dynamically: static imports would all be loaded and compiled before
// this module runs, growing the heap the tuning is meant to keep small.
import { adaptToClients } from "./v8-tuning.js";
import type { StartedAgent } from "./agent.js";
import { createLogger } from "./log.js";

const log = createLogger();

function describeListenError(error: NodeJS.ErrnoException, bind: string, port: number): string {
  switch (error.code) {
    case "EADDRINUSE":
      return `port ${port} is already in use on ${bind} (is another agent running? choose another with --port)`;
    case "EACCES":
      return `not allowed to listen on ${bind}:${port} (ports below 1024 need privileges; choose another with --port)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot listen on ${bind}: no such host name (check --bind)`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${bind}: no such address on this machine (check --bind)`;
    default:
      return `cannot listen on ${bind}:${port}: ${error.message}`;
  }
}

async function main(): Promise<number> {
  // Not a top-level await: the single executable is bundled as CommonJS, which has none.
  const [{ startAgent }, { ConfigError, HELP, parseCommand }, { AGENT_NAME, AGENT_VERSION }] = await Promise.all([
    import("./agent.js"),
    import("./config.js"),
    import("./version.js"),
  ]);
  let command;
  try {
    command = parseCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // A usage error: "socktop_agent: <what>", the same shape as socktop's own.
      process.stderr.write(`socktop_agent: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  if (command.kind === "version") {
    process.stdout.write(`${AGENT_NAME} ${AGENT_VERSION}\n`);
    return 0;
  }
  const { config } = command;
  let agent: StartedAgent;
  try {
    // The collectors and the request handler are loaded when the first client connects (see AgentExtras.deferServing).
    agent = await startAgent(config, log, { onClientCount: adaptToClients, deferServing: true });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.syscall === "listen" || e.syscall === "getaddrinfo") {
      log.error(describeListenError(e, config.bind, config.port));
      return 1;
    }
    log.error(e.message ?? String(error));
    return 1;
  }
  log.info(`v${AGENT_VERSION} listening on ${agent.url} (bound to ${config.bind}:${agent.address.port})`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, shutting down`);
    const exit = (): void => {
      if (agent.stuckSensorReads() === 0) process.exit(0);
      // process.exit() would wait for ever: it joins libuv's threadpool, where a
      // hung sensor read holds a thread. Dying by the signal, as if it had no
      // handler, ends the process without waiting (status 128 + signal).
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    };
    agent.close().then(exit, exit);
    // Never hang on shutdown: exit within a second whatever happens.
    setTimeout(exit, 1000).unref();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    log.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
