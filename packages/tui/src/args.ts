/**
 * The command line, as the original socktop spells it:
 *   socktop [--tls-ca PEM | -t PEM] [--verify-hostname] [--profile NAME | -P NAME]
 *           [--save] [--demo] [--metrics-interval-ms N] [--processes-interval-ms N]
 *           [ws://HOST:PORT/ws]
 * plus --help and --version. Pure: argv in, a value or an ArgError out.
 */
import { DETAILS_KEY_TABLE, keyTableText } from "./keys.js";
import { MIN_METRICS_MS, MIN_PROCESSES_MS } from "./session.js";

export class ArgError extends Error {
  override readonly name = "ArgError";
}

export interface RunOptions {
  url: string | null;
  tlsCa: string | null;
  verifyHostname: boolean;
  profile: string | null;
  save: boolean;
  demo: boolean;
  metricsIntervalMs: number | null;
  processesIntervalMs: number | null;
}

export type Command = { kind: "help" } | { kind: "version" } | { kind: "run"; options: RunOptions };

export const USAGE =
  "Usage: socktop [--tls-ca PEM | -t PEM] [--verify-hostname] [--profile NAME | -P NAME] [--save] [--demo]\n" +
  "               [--metrics-interval-ms N] [--processes-interval-ms N] [ws://HOST:PORT/ws]";

export function helpText(): string {
  return `${USAGE}

Terminal UI for socktop agents. Add ?token=SECRET to the URL when the agent has a token.

Options:
  -t, --tls-ca PEM              pin the agent's certificate (a PEM file); upgrades ws:// to wss://
      --verify-hostname         also check that the certificate names the host (off by default)
  -P, --profile NAME            use a saved profile; with a URL, save it under NAME
      --save                    overwrite an existing profile without asking
      --demo                    start a local agent on 127.0.0.1:3231 and watch this machine
      --metrics-interval-ms N   metrics polling interval (default 500, at least ${MIN_METRICS_MS})
      --processes-interval-ms N process list polling interval (default 2000, at least ${MIN_PROCESSES_MS})
  -h, --help                    show this help
  -V, --version                 show the version

With no arguments, socktop lists the saved profiles to choose from
($XDG_CONFIG_HOME/socktop/profiles.json, else ~/.config/socktop/profiles.json).

Keys:
${keyTableText()}

Keys in the process details view (Enter on a row):
${keyTableText("  ", DETAILS_KEY_TABLE)}
`;
}

function parseInterval(flag: string, value: string, min: number): number {
  if (!/^\d+$/.test(value)) throw new ArgError(`${flag} needs a whole number of milliseconds, not '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1) throw new ArgError(`${flag} is too large: ${value}`);
  // The original clamps rather than refusing: a too-eager interval still works.
  return Math.max(min, n);
}

/**
 * Normalize what the user typed into a WebSocket URL: "host:port" gets
 * ws://, a URL without a path gets /ws, and a pinned CA turns ws:// into wss://.
 */
export function normalizeUrl(input: string, tls: boolean): string {
  let text = input.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `ws://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ArgError(`not a valid agent URL: '${input}' (expected ws://HOST:PORT/ws)`);
  }
  const scheme = url.protocol.toLowerCase();
  if (scheme === "http:") url.protocol = "ws:";
  else if (scheme === "https:") url.protocol = "wss:";
  else if (scheme !== "ws:" && scheme !== "wss:") {
    throw new ArgError(`unsupported URL scheme '${scheme.slice(0, -1)}' in '${input}' (use ws:// or wss://)`);
  }
  if (!url.hostname) throw new ArgError(`no host in '${input}' (expected ws://HOST:PORT/ws)`);
  if (tls && url.protocol === "ws:") url.protocol = "wss:";
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/ws";
  return url.toString();
}

export function parseArgs(argv: readonly string[]): Command {
  const o: RunOptions = {
    url: null,
    tlsCa: null,
    verifyHostname: false,
    profile: null,
    save: false,
    demo: false,
    metricsIntervalMs: null,
    processesIntervalMs: null,
  };
  const args = [...argv];
  let positional: string | null = null;
  for (let i = 0; i < args.length; i++) {
    let arg = args[i]!;
    let inline: string | null = null;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    if (eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== null) return inline;
      const v = args[++i];
      if (v === undefined || (v.startsWith("-") && v.length > 1)) throw new ArgError(`${arg} needs a value`);
      return v;
    };
    const flagOnly = (): void => {
      if (inline !== null) throw new ArgError(`${arg} takes no value`);
    };
    switch (arg) {
      case "-h":
      case "--help":
        return { kind: "help" };
      case "-V":
      case "--version":
        return { kind: "version" };
      case "-t":
      case "--tls-ca":
        o.tlsCa = value();
        break;
      case "--verify-hostname":
        flagOnly();
        o.verifyHostname = true;
        break;
      case "-P":
      case "--profile": {
        const name = value();
        if (name.trim() === "") throw new ArgError("--profile needs a non-empty name");
        o.profile = name;
        break;
      }
      case "--save":
        flagOnly();
        o.save = true;
        break;
      case "--demo":
        flagOnly();
        o.demo = true;
        break;
      case "--metrics-interval-ms":
        o.metricsIntervalMs = parseInterval(arg, value(), MIN_METRICS_MS);
        break;
      case "--processes-interval-ms":
        o.processesIntervalMs = parseInterval(arg, value(), MIN_PROCESSES_MS);
        break;
      default:
        if (arg.startsWith("-") && arg.length > 1) throw new ArgError(`unknown option '${arg}' (see socktop --help)`);
        if (positional !== null) throw new ArgError(`only one agent URL may be given (got '${positional}' and '${arg}')`);
        positional = arg;
    }
  }
  if (positional !== null) o.url = normalizeUrl(positional, o.tlsCa !== null);
  if (o.demo && o.url !== null) throw new ArgError("--demo starts its own agent: give no URL with it");
  if (o.demo && o.profile !== null) throw new ArgError("--demo cannot be combined with --profile");
  if (o.save && o.profile === null) throw new ArgError("--save only makes sense with --profile NAME");
  return { kind: "run", options: o };
}
