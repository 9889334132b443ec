/**
 * The command line, as the original socktop spells it:
 *   socktop [--tls-ca PEM | -t PEM] [--verify-hostname] [--profile NAME | -P NAME]
 *           [--save] [--demo] [--metrics-interval-ms N] [--processes-interval-ms N]
 *           [ws://HOST:PORT/ws]
 * plus --help and --version. Pure: argv in, a value or an ArgError out.
 */
import { CommandLineError, parseCommandLine, type OptionsConfig } from "@socktop/agent/cli-args";
import { CGROUPS_KEY_TABLE, DETAILS_KEY_TABLE, FLEET_KEY_TABLE, keyTableText } from "./keys.js";
import { MIN_METRICS_MS, MIN_PROCESSES_MS } from "./session.js";
import type { TargetItem } from "./targets.js";

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
  /** Several hosts (URLs, -P, -G, --all): the fleet view. Empty for one host. */
  fleet: TargetItem[];
  /** --delete-profile NAME: remove it from the profiles file and exit. */
  deleteProfile: string | null;
}

export type Command = { kind: "help" } | { kind: "version" } | { kind: "run"; options: RunOptions };

export const USAGE =
  "Usage: socktop [--tls-ca PEM | -t PEM] [--verify-hostname] [--profile NAME | -P NAME] [--save] [--demo]\n" +
  "               [--metrics-interval-ms N] [--processes-interval-ms N] [ws://HOST:PORT/ws]\n" +
  "       socktop [URL | -P NAME | -G GROUP | --all]…      (several hosts: the fleet view)\n" +
  "       socktop status [URL | -P NAME | -G GROUP | --all]… [--json] [--oneline] [--watch S] [--timeout MS]\n" +
  "       socktop --delete-profile NAME";

export function helpText(): string {
  return `${USAGE}

Terminal UI for socktop agents.

Tokens: set SOCKTOP_TOKEN, or "token_file": "/path" in a profile. ?token=SECRET in
the URL works too, but avoid it: every user of the machine sees it in ps.

Options:
  -t, --tls-ca PEM              pin the agent's certificate (a PEM file); upgrades ws:// to wss://
      --verify-hostname         also check that the certificate names the host (off by default)
  -P, --profile NAME            use a saved profile; with a URL, save it under NAME;
                                a missing one is asked for; -P demo starts the demo
  -G, --group NAME              the hosts of a group ("groups" in profiles.json)
      --all                     every saved profile
      --delete-profile NAME     remove a saved profile and exit
      --save                    overwrite an existing profile without asking
      --demo                    start a local agent on 127.0.0.1:3231 and watch this machine
      --metrics-interval-ms N   metrics polling interval (default 500, at least ${MIN_METRICS_MS})
      --processes-interval-ms N process list polling interval (default 2000, at least ${MIN_PROCESSES_MS})
  -h, --help                    show this help
  -V, --version                 show the version

With no arguments, socktop lists the saved profiles to choose from
($XDG_CONFIG_HOME/socktop/profiles.json, else ~/.config/socktop/profiles.json).
Several URLs or profiles, a group or --all open the fleet view: one line (or
card) per host; Enter opens a host, Esc comes back. socktop status --help
describes the one-shot status command.

Keys in the fleet view:
${keyTableText("  ", FLEET_KEY_TABLE)}

Keys:
${keyTableText()}

Keys in the process details view (Enter on a row):
${keyTableText("  ", DETAILS_KEY_TABLE)}

Keys in the cgroups view (s):
${keyTableText("  ", CGROUPS_KEY_TABLE)}
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
  group: { type: "string", short: "G", multiple: true },
  all: { type: "boolean" },
  "delete-profile": { type: "string" },
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
  const groups = values.group ?? [];
  for (const name of profiles) if (name.trim() === "") throw new ArgError("--profile needs a non-empty name");
  for (const name of groups) if (name.trim() === "") throw new ArgError("--group needs a non-empty name");
  // Several hosts in any form: the fleet view.
  // (-P NAME URL, one of each, is the original's "save this profile" form.)
  const many = profiles.length > 1 || positionals.length > 1 || groups.length > 0 || values.all === true;
  const fleet: TargetItem[] = many
    ? [
        ...positionals.map((value) => ({ kind: "url" as const, value })),
        ...profiles.map((value) => ({ kind: "profile" as const, value })),
        ...groups.map((value) => ({ kind: "group" as const, value })),
        ...(values.all ? [{ kind: "all" as const }] : []),
      ]
    : [];
  const profile = many ? null : (profiles[0] ?? null);
  const tlsCa = values["tls-ca"] ?? null;
  const deleteProfile = values["delete-profile"] ?? null;
  if (deleteProfile !== null && (deleteProfile.trim() === "" || Object.keys(values).length > 1 || positionals.length > 0)) {
    throw new ArgError("--delete-profile takes one profile name and nothing else");
  }
  const o: RunOptions = {
    url: !many && positionals[0] !== undefined ? normalizeUrl(positionals[0], tlsCa !== null) : null,
    tlsCa,
    verifyHostname: values["verify-hostname"] ?? false,
    profile,
    save: values.save ?? false,
    demo: values.demo ?? false,
    metricsIntervalMs: interval("--metrics-interval-ms", values["metrics-interval-ms"], MIN_METRICS_MS),
    processesIntervalMs: interval("--processes-interval-ms", values["processes-interval-ms"], MIN_PROCESSES_MS),
    fleet,
    deleteProfile,
  };
  // Every URL of a fleet must at least parse, before the screen is taken over.
  for (const item of fleet) if (item.kind === "url") normalizeUrl(item.value, tlsCa !== null);
  if (many && values.demo) throw new ArgError("--demo watches this machine only: give no other hosts with it");
  if (many && values.save) throw new ArgError("--save saves one profile: give one URL with one --profile");
  if (o.demo && o.url !== null) throw new ArgError("--demo starts its own agent: give no URL with it");
  if (o.demo && o.profile !== null) throw new ArgError("--demo cannot be combined with --profile");
  if (o.save && o.profile === null) throw new ArgError("--save only makes sense with --profile NAME");
  return o;
}
