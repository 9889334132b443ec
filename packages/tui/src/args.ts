/**
 * The command line, as the original socktop spells it:
 *   socktop [--tls-ca PEM | -t PEM] [--verify-hostname] [--profile NAME | -P NAME]
 *           [--save] [--demo] [--metrics-interval-ms N] [--processes-interval-ms N]
 *           [ws://HOST:PORT/ws]
 * plus --help and --version. Pure: argv in, a value or an ArgError out.
 */
import { CommandLineError, parseCommandLine, type OptionsConfig } from "@socktop/agent/cli-args";
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

function interval(flag: string, value: string | undefined, min: number): number | null {
  if (value === undefined) return null;
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
  if (url.username || url.password) throw new ArgError("agent URLs carry no user name or password: give the token as ?token=SECRET");
  if (tls && url.protocol === "ws:") url.protocol = "wss:";
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/ws";
  return url.toString();
}

/**
 * Every option, once: util.parseArgs reads this table (strict, the rule both
 * socktop programs share, see @socktop/agent/cli-args). `profile` is parsed
 * as repeatable so that a fleet of profiles can be allowed by relaxing one
 * check below rather than changing the parser.
 */
export const OPTIONS = {
  "tls-ca": { type: "string", short: "t" },
  "verify-hostname": { type: "boolean" },
  profile: { type: "string", short: "P", multiple: true },
  save: { type: "boolean" },
  demo: { type: "boolean" },
  "metrics-interval-ms": { type: "string" },
  "processes-interval-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const satisfies OptionsConfig;

/** What util.parseArgs made of the command line, before any meaning is given to it. */
export interface ParsedLine {
  values: ReturnType<typeof parseCommandLine<typeof OPTIONS>>["values"];
  positionals: string[];
}

/** Tokenize strictly; refusals become ArgError (exit status 2). */
export function parseLine(argv: readonly string[]): ParsedLine {
  try {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    return { values, positionals };
  } catch (error) {
    if (error instanceof CommandLineError) throw new ArgError(error.message);
    throw error;
  }
}

export function parseArgs(argv: readonly string[]): Command {
  const { values, positionals } = parseLine(argv);
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  // A subcommand (`socktop status …`) would be recognised here, from positionals[0].
  return { kind: "run", options: runOptions(values, positionals) };
}

function runOptions(values: ParsedLine["values"], positionals: readonly string[]): RunOptions {
  const profiles = values.profile ?? [];
  if (profiles.length > 1) throw new ArgError(`only one --profile may be given (got '${profiles[0]}' and '${profiles[1]}')`);
  const profile = profiles[0] ?? null;
  if (profile !== null && profile.trim() === "") throw new ArgError("--profile needs a non-empty name");
  if (positionals.length > 1) throw new ArgError(`only one agent URL may be given (got '${positionals[0]}' and '${positionals[1]}')`);
  const tlsCa = values["tls-ca"] ?? null;
  const o: RunOptions = {
    url: positionals[0] !== undefined ? normalizeUrl(positionals[0], tlsCa !== null) : null,
    tlsCa,
    verifyHostname: values["verify-hostname"] ?? false,
    profile,
    save: values.save ?? false,
    demo: values.demo ?? false,
    metricsIntervalMs: interval("--metrics-interval-ms", values["metrics-interval-ms"], MIN_METRICS_MS),
    processesIntervalMs: interval("--processes-interval-ms", values["processes-interval-ms"], MIN_PROCESSES_MS),
  };
  if (o.demo && o.url !== null) throw new ArgError("--demo starts its own agent: give no URL with it");
  if (o.demo && o.profile !== null) throw new ArgError("--demo cannot be combined with --profile");
  if (o.save && o.profile === null) throw new ArgError("--save only makes sense with --profile NAME");
  return o;
}
