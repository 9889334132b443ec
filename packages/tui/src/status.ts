/**
 * `socktop status`: ask each host once, print one line per host (or one line
 * for all, or JSON Lines), exit 0 when every host answered, 1 when any did
 * not, 2 for a usage error. Every host is asked at the same time and each has
 * the same deadline, so the whole run takes at most the timeout, whatever the
 * hosts do (a dead one never hangs a status bar).
 */
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from "node:util";
import { homedir } from "node:os";
import { CommandLineError, parseCommandLine } from "@socktop/agent/cli-args";
import { connect, type AgentConnection } from "@socktop/connector";
import { ArgError } from "./args.js";
import { formatPercent, hostOf, hostPort, redactUrl, sanitize } from "./format.js";
import { busiestProcess, fullestDisk, gpuPct, memPct, clampPct, stateOfError, temperature } from "./host-summary.js";
import { loadProfiles, ProfileError, profilesPath } from "./profiles.js";
import { describeConnectionError } from "./connection-messages.js";
import type { HostStatus } from "./status-schema.js";
import { resolveTargets, type HostTarget, type TargetItem } from "./targets.js";
import { colorEnabled } from "./theme.js";

export const STATUS_USAGE =
  "Usage: socktop status [URL | -P NAME | -G GROUP | --all]… [--json] [--oneline] [--watch SECONDS] [--timeout MS]\n" +
  "                      [--tls-ca PEM] [--verify-hostname]";

export const DEFAULT_STATUS_TIMEOUT_MS = 3000;

export function statusHelpText(): string {
  return `${STATUS_USAGE}

Asks each host once for its metrics and prints one line per host:
name, up/down, CPU %, memory %, fullest disk %, busiest process.
With no host given, every saved profile is asked.

Options:
  -P, --profile NAME    a saved profile (repeatable)
  -G, --group NAME      a group of the profiles file ("groups": {"NAME": [profiles or URLs]})
      --all             every saved profile
      --json            one JSON object per host per line (schema: packages/tui/schema/status-host.schema.json)
      --oneline         every host on one line, for a tmux or zellij status bar
      --watch SECONDS   repeat every SECONDS, in place on a terminal
      --timeout MS      how long each host may take (default ${DEFAULT_STATUS_TIMEOUT_MS}); bounds the whole run
  -t, --tls-ca PEM      pin this CA for the URLs given on the command line
      --verify-hostname also check that the certificate names the host
  -h, --help            show this help

Tokens: SOCKTOP_TOKEN from the environment, or "token_file" in a profile.
A ?token= in a URL works too, but shows in ps to every user of the machine.

Exit status: 0 every host answered, 1 some did not, 2 usage error.
`;
}

export interface StatusOptions {
  items: TargetItem[];
  json: boolean;
  oneline: boolean;
  watchSeconds: number | null;
  timeoutMs: number;
  tlsCa: string | null;
  verifyHostname: boolean;
}

export type StatusCommand = { kind: "help" } | { kind: "run"; options: StatusOptions };

const CONFIG = {
  options: {
    profile: { type: "string", short: "P", multiple: true },
    group: { type: "string", short: "G", multiple: true },
    all: { type: "boolean" },
    json: { type: "boolean" },
    oneline: { type: "boolean" },
    watch: { type: "string" },
    timeout: { type: "string" },
    "tls-ca": { type: "string", short: "t" },
    "verify-hostname": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
  allowPositionals: true,
  strict: true,
  tokens: true,
} as const satisfies ParseArgsConfig;

export function parseStatusArgs(argv: readonly string[]): StatusCommand {
  try {
    // The command-line rule every socktop program follows (one wording for refusals).
    parseCommandLine(argv, CONFIG.options);
  } catch (error) {
    if (error instanceof CommandLineError) throw new ArgError(error.message.replace("(see --help)", "(see socktop status --help)"));
    throw error;
  }
  // Again with tokens: the order of the command line is the order of the output.
  const parsed = nodeParseArgs({ ...CONFIG, args: [...argv] });
  const v = parsed.values;
  if (v.help) return { kind: "help" };
  // The order of the command line is the order of the output.
  const items: TargetItem[] = [];
  for (const t of parsed.tokens ?? []) {
    if (t.kind === "positional") items.push({ kind: "url", value: t.value });
    else if (t.kind === "option" && t.name === "profile") {
      if (!t.value || t.value.trim() === "") throw new ArgError("--profile needs a non-empty name");
      items.push({ kind: "profile", value: t.value });
    } else if (t.kind === "option" && t.name === "group") {
      if (!t.value || t.value.trim() === "") throw new ArgError("--group needs a non-empty name");
      items.push({ kind: "group", value: t.value });
    } else if (t.kind === "option" && t.name === "all") items.push({ kind: "all" });
  }
  let watchSeconds: number | null = null;
  if (v.watch !== undefined) {
    const n = Number(v.watch);
    if (!/^\d+(\.\d+)?$/.test(v.watch) || !(n > 0) || n > 86_400) throw new ArgError(`--watch needs a number of seconds above 0, not '${v.watch}'`);
    watchSeconds = n;
  }
  let timeoutMs = DEFAULT_STATUS_TIMEOUT_MS;
  if (v.timeout !== undefined) {
    const n = Number(v.timeout);
    if (!/^\d+$/.test(v.timeout) || n < 1 || n > 600_000) throw new ArgError(`--timeout needs a whole number of milliseconds from 1 to 600000, not '${v.timeout}'`);
    timeoutMs = n;
  }
  if (v.json && v.oneline) throw new ArgError("--json and --oneline cannot be combined");
  return {
    kind: "run",
    options: {
      items,
      json: v.json ?? false,
      oneline: v.oneline ?? false,
      watchSeconds,
      timeoutMs,
      tlsCa: v["tls-ca"] ?? null,
      verifyHostname: v["verify-hostname"] ?? false,
    },
  };
}

/** Opens a connection; tests replace it. */
export type Connect = typeof connect;

function emptyStatus(target: HostTarget, at: Date): HostStatus {
  return {
    name: target.name,
    url: redactUrl(target.url),
    up: false,
    state: "down",
    error: null,
    rtt_ms: null,
    hostname: null,
    cpu_pct: null,
    mem_pct: null,
    mem_used: null,
    mem_total: null,
    disk_pct: null,
    disk_name: null,
    gpu_pct: null,
    temp_c: null,
    process_count: null,
    busiest: null,
    checked_at: at.toISOString(),
  };
}

class Deadline extends Error {
  readonly code = "TIMEOUT";
}

/** Ask one host for metrics, disks and processes, all within `timeoutMs`. */
export async function queryHost(target: HostTarget, timeoutMs: number, open: Connect = connect): Promise<HostStatus> {
  const started = Date.now();
  const status = emptyStatus(target, new Date(started));
  let conn: AgentConnection | null = null;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Deadline(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const work = (async () => {
    const c = await open(target.url, {
      ...(target.token ? { token: target.token } : {}),
      ...(target.tlsCa ? { tlsCa: target.tlsCa } : {}),
      verifyHostname: target.verifyHostname,
      connectTimeoutMs: timeoutMs,
      requestTimeoutMs: timeoutMs,
      reconnect: false,
    });
    // The deadline may have passed while connecting: nobody waits for this one.
    if (timedOut) {
      void c.close().catch(() => undefined);
      return;
    }
    conn = c;
    const t0 = performance.now();
    const metricsP = c.metrics().then((m) => {
      status.rtt_ms = Math.round((performance.now() - t0) * 10) / 10;
      return m;
    });
    const [m, disks, procs] = await Promise.all([metricsP, c.disks(), c.processes()]);
    status.hostname = sanitize(m.hostname);
    status.cpu_pct = Math.round(clampPct(m.cpu_total) * 10) / 10;
    const mp = memPct(m);
    status.mem_pct = mp === null ? null : Math.round(mp * 10) / 10;
    status.mem_used = m.mem_used == null ? null : Math.max(0, Math.round(m.mem_used));
    status.mem_total = m.mem_total == null ? null : Math.max(0, Math.round(m.mem_total));
    const disk = fullestDisk(disks);
    status.disk_pct = disk ? Math.round(disk.pct * 10) / 10 : null;
    status.disk_name = disk ? sanitize(disk.name) : null;
    const g = gpuPct(m);
    status.gpu_pct = g === null ? null : Math.round(g * 10) / 10;
    status.temp_c = temperature(m);
    status.process_count = procs.process_count;
    const b = busiestProcess(procs.processes);
    status.busiest = b ? { pid: b.pid, name: sanitize(b.name), cpu_pct: Math.round(b.cpu_pct * 10) / 10 } : null;
    status.up = true;
    status.state = "up";
  })();
  try {
    await Promise.race([work, deadline]);
  } catch (error) {
    status.up = false;
    status.rtt_ms = null;
    status.state = error instanceof Deadline ? "timeout" : (stateOfError(error) as HostStatus["state"]);
    status.error = error instanceof Deadline ? `timed out: no answer within ${timeoutMs} ms` : describeConnectionError(error, {
            target: hostPort(target.url),
            host: hostOf(target.url),
            pinned: target.tlsCa !== null,
            verifyHostname: target.verifyHostname,
            secure: target.url.startsWith("wss:"),
          }).title;
    // A late failure of the abandoned work must not become an unhandled rejection.
    work.catch(() => undefined);
  } finally {
    clearTimeout(timer);
    const c = conn as AgentConnection | null;
    if (c) void c.close().catch(() => undefined);
  }
  return status;
}

export function queryAll(targets: readonly HostTarget[], timeoutMs: number, open: Connect = connect): Promise<HostStatus[]> {
  return Promise.all(targets.map((t) => queryHost(t, timeoutMs, open)));
}

const SGR = { green: "\x1b[32m", red: "\x1b[1;31m", dim: "\x1b[2m", reset: "\x1b[0m" };

function pct(v: number | null): string {
  return v === null ? "–" : formatPercent(v, 0);
}

/** One line per host, columns aligned across hosts; colour only on a terminal. */
export function formatLines(list: readonly HostStatus[], color: boolean): string {
  const paint = (code: string, text: string): string => (color ? `${code}${text}${SGR.reset}` : text);
  const nameW = Math.max(4, ...list.map((s) => s.name.length));
  return list
    .map((s) => {
      const name = s.name.padEnd(nameW);
      if (!s.up) return `${name}  ${paint(SGR.red, "down")}  ${s.error ?? s.state}`;
      const cells = [`cpu ${pct(s.cpu_pct).padStart(4)}`, `mem ${pct(s.mem_pct).padStart(4)}`, `disk ${pct(s.disk_pct).padStart(4)}`];
      const top = s.busiest ? `top ${s.busiest.name} (${formatPercent(s.busiest.cpu_pct, 1)})` : "";
      return `${name}  ${paint(SGR.green, "up  ")}  ${cells.join("  ")}  ${top}`.trimEnd();
    })
    .join("\n");
}

/** Every host on one line: `pi1 cpu 12% mem 45% disk 79% · pi2 down (refused)`. */
export function formatOneLine(list: readonly HostStatus[], color: boolean): string {
  const paint = (code: string, text: string): string => (color ? `${code}${text}${SGR.reset}` : text);
  return list
    .map((s) =>
      s.up
        ? `${s.name} cpu ${pct(s.cpu_pct)} mem ${pct(s.mem_pct)} disk ${pct(s.disk_pct)}`
        : `${s.name} ${paint(SGR.red, "down")} (${s.state})`,
    )
    .join(" · ");
}

export function formatJson(list: readonly HostStatus[]): string {
  return list.map((s) => JSON.stringify(s)).join("\n");
}

export interface StatusIO {
  env: NodeJS.ProcessEnv;
  home: string;
  cwd: string;
  out: { write(text: string): unknown; isTTY?: boolean };
  open?: Connect;
}

/** The hosts of a status run; no host named means every saved profile. */
export function statusTargets(options: StatusOptions, io: Pick<StatusIO, "env" | "home" | "cwd">): HostTarget[] {
  const path = profilesPath(io.env, io.home);
  const file = loadProfiles(path);
  const items = options.items.length > 0 ? options.items : [{ kind: "all" } as TargetItem];
  const targets = resolveTargets(
    items,
    file,
    path,
    { tlsCa: options.tlsCa, verifyHostname: options.verifyHostname, metricsIntervalMs: null, processesIntervalMs: null },
    io,
  );
  if (targets.length === 0) throw new ArgError(`no hosts: give URLs, -P NAME or -G GROUP (no profiles saved in ${path})`);
  return targets;
}

/** One round: ask, print, return the exit status. */
export async function statusOnce(options: StatusOptions, targets: readonly HostTarget[], io: StatusIO, inPlace: boolean): Promise<number> {
  const list = await queryAll(targets, options.timeoutMs, io.open);
  const color = !!io.out.isTTY && colorEnabled(io.env) && !options.json;
  let text = options.json ? formatJson(list) : options.oneline ? formatOneLine(list, color) : formatLines(list, color);
  if (inPlace) text = options.oneline ? `\r\x1b[K${text}` : `\x1b[H\x1b[2J${text}\n`;
  else text += "\n";
  io.out.write(text);
  return list.every((s) => s.up) ? 0 : 1;
}

/** The whole command: returns the exit status (or runs until a signal with --watch). */
export async function runStatus(argv: readonly string[], io: StatusIO): Promise<number> {
  let command: StatusCommand;
  let targets: HostTarget[];
  try {
    command = parseStatusArgs(argv);
    if (command.kind === "help") {
      io.out.write(statusHelpText());
      return 0;
    }
    targets = statusTargets(command.options, io);
  } catch (error) {
    if (error instanceof ArgError || error instanceof ProfileError) {
      process.stderr.write(`socktop status: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const options = command.options;
  if (options.watchSeconds === null) return statusOnce(options, targets, io, false);
  const inPlace = !!io.out.isTTY && !options.json;
  for (;;) {
    const started = Date.now();
    await statusOnce(options, targets, io, inPlace);
    const wait = Math.max(0, options.watchSeconds * 1000 - (Date.now() - started));
    await new Promise((r) => setTimeout(r, wait));
  }
}

export function defaultStatusIO(): StatusIO {
  return { env: process.env, home: homedir(), cwd: process.cwd(), out: process.stdout };
}
