/**
 * One run of the UI: plan, optional demo agent, terminal, app, and the
 * shutdown path that every exit goes through (q, Ctrl-C, signals, crashes),
 * so the terminal is always restored and the demo agent always stopped.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { ArgError, type RunOptions } from "./args.js";
import { App, type DetailsViewFactory } from "./app.js";
import { connectorSource } from "./connector-source.js";
import type { DemoAgent } from "./demo.js";
import { detailsViewFactory } from "./details-view.js";
import type { FleetApp } from "./fleet-app.js";
import { planRun } from "./plan.js";
import { LineReader } from "./profiles.js";
import { checkTerminalSize, openTerminal, type TerminalIO } from "./terminal.js";
import { colorEnabled, createTheme } from "./theme.js";
import { VERSION } from "./version.js";

export interface RunExtras {
  /** Replaces the process details view (tests, embedders). */
  details?: DetailsViewFactory;
}

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Returns an exit status, or -1 once the UI runs (it then exits by itself). */
export async function run(options: RunOptions, extras: RunExtras = {}): Promise<number> {
  const interactive = !!(process.stdin.isTTY && process.stdout.isTTY);
  let reader: LineReader | null = null;
  let plan;
  try {
    plan = await planRun(options, {
      env: process.env,
      home: homedir(),
      cwd: process.cwd(),
      interactive,
      reader: () => (reader ??= new LineReader(process.stdin, process.stdout)),
      out: process.stdout,
    });
  } finally {
    (reader as LineReader | null)?.close();
  }
  if (plan.kind === "quit") return 0;
  // A CA file that cannot be read would otherwise become an endless retry loop.
  for (const ca of plan.kind === "fleet" ? plan.targets!.map((t) => t.tlsCa) : [plan.tlsCa]) {
    if (!ca || ca.includes("-----BEGIN")) continue;
    try {
      readFileSync(ca);
    } catch (error) {
      throw new ArgError(`cannot read the --tls-ca file ${ca}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  // The caller prefixes "socktop: ", so the message does not name the program again.
  if (!process.stdout.isTTY) throw new ArgError("standard output is not a terminal: run socktop in one (it draws a full-screen UI)");
  if (!process.stdin.isTTY) throw new ArgError("standard input is not a terminal: socktop reads keys from it");
  // Before the demo agent is started: a terminal without a size cannot be used at all.
  checkTerminalSize(process.stdout.columns ?? 0, process.stdout.rows ?? 0);

  let demo: DemoAgent | null = null;
  let url = plan.url ?? "";
  if (plan.kind === "demo") {
    // Loaded only for the demo: child processes and an HTTP client nothing else needs.
    const { DEMO_HOST, DEMO_PORT, startDemoAgent } = await import("./demo.js");
    // SOCKTOP_DEMO_PORT exists for tests that must not collide on 3231.
    const port = Number(process.env.SOCKTOP_DEMO_PORT) || DEMO_PORT;
    process.stdout.write(`Starting a local agent on ${DEMO_HOST}:${port}…\n`);
    demo = await startDemoAgent({ host: DEMO_HOST, port });
    url = demo.url;
  }

  let terminal: TerminalIO;
  try {
    terminal = await openTerminal();
  } catch (error) {
    await demo?.stop();
    throw error;
  }
  let demoDied: string | null = null;
  let shuttingDown = false;
  let app: App | FleetApp | null = null;

  const shutdown = async (code: number, error?: unknown, signal?: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    terminal.restore();
    // Whatever happens below, this process ends soon.
    setTimeout(() => process.exit(code), 3000).unref();
    if (error !== undefined) {
      process.stderr.write(`socktop: crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    const stopApp = app ? app.stop() : Promise.resolve();
    await Promise.race([stopApp.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    if (demo) await demo.stop(1500).catch(() => undefined);
    if (demoDied) process.stderr.write(`socktop: ${demoDied}\n`);
    if (signal === "SIGHUP") {
      // The terminal is gone. A normal exit would make Node reset the tty
      // modes and abort on the failure (a core dump instead of an exit), so
      // end the way an unhandled SIGHUP does.
      process.removeAllListeners("SIGHUP");
      process.kill(process.pid, "SIGHUP");
      return;
    }
    process.exit(code);
  };

  // The demo's agent is ours: when it dies, retrying cannot bring it back and
  // "connection refused" would hide why. Stop retrying and show its exit and
  // last words in the banner (and once more on stderr after quitting). Not
  // restarted: an agent that crashed would likely crash again, and its cause
  // is what the user needs to see.
  demo?.onExit((code, signal) => {
    if (shuttingDown) return;
    const how = signal ? `killed by ${signal}` : `exit status ${code}`;
    // Its log's last error line says why; "listening on …" would not.
    const last = demo!.log.filter((l) => /error|fatal|abort/i.test(l)).pop();
    demoDied = `the demo agent stopped unexpectedly (${how})${last ? `: ${last}` : ""}`;
    if (app instanceof App) app.halt(`the demo agent stopped unexpectedly (${how})`, last ?? "it printed no error");
  });

  // Last-resort guards. 'exit' runs synchronously only, hence restore() and
  // stopSync() being synchronous.
  process.on("exit", () => {
    terminal.restore();
    demo?.stopSync();
  });
  for (const signal of Object.keys(SIGNAL_CODES) as NodeJS.Signals[]) {
    process.on(signal, () => void shutdown(SIGNAL_CODES[signal]!, undefined, signal));
  }
  process.on("uncaughtException", (error) => {
    // Restore first: if the async shutdown itself fails, the terminal is already usable.
    terminal.restore();
    demo?.stopSync();
    void shutdown(1, error);
  });
  process.on("unhandledRejection", (reason) => {
    terminal.restore();
    demo?.stopSync();
    void shutdown(1, reason);
  });

  const theme = createTheme(colorEnabled(process.env));
  if (plan.kind === "fleet") {
    // Loaded only for a fleet: a single host (the usual run) does without its modules' memory.
    const { FleetApp } = await import("./fleet-app.js");
    if (shuttingDown) return -1;
    app = new FleetApp({
      terminal,
      targets: plan.targets!,
      theme,
      version: VERSION,
      details: extras.details ?? detailsViewFactory(),
      onQuit: () => void shutdown(0),
    });
    terminal.enter();
    app.start();
    return -1;
  }
  app = new App({
    terminal,
    source: connectorSource(url, { tlsCa: plan.tlsCa, verifyHostname: plan.verifyHostname, token: plan.token ?? null }),
    url,
    intervals: plan.intervals,
    theme,
    version: VERSION,
    tls: url.startsWith("wss:"),
    tlsCa: plan.tlsCa,
    verifyHostname: plan.verifyHostname,
    demo: demo !== null,
    details: extras.details ?? detailsViewFactory(),
    onQuit: () => void shutdown(0),
  });
  terminal.enter();
  app.start();
  return -1;
}
