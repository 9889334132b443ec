/**
 * Which hosts a run watches: agent URLs, profiles (-P), groups (-G) and
 * --all, resolved against the profiles file into one list of hosts, each with
 * its own URL, TLS pin, token and intervals. The fleet view and
 * `socktop status` both start from here, so they agree on what a name means.
 *
 * Tokens, strongest first: `?token=` in the URL (works, but shows in `ps`),
 * the profile's `token_file`, then `SOCKTOP_TOKEN` from the environment.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ArgError, normalizeUrl } from "./args.js";
import { compareNames, hostPort } from "./format.js";
import { groupsOf, ProfileError, type Profile, type ProfilesFile } from "./profiles.js";
import { DEFAULT_INTERVALS, MIN_METRICS_MS, MIN_PROCESSES_MS, type Intervals } from "./session.js";

export interface HostTarget {
  /** What the user calls it: the profile name, else host:port. */
  name: string;
  /** ws:// or wss:// URL; may carry ?token= when the user put it there. */
  url: string;
  tlsCa: string | null;
  verifyHostname: boolean;
  /** A token from token_file or SOCKTOP_TOKEN; null when none (or the URL has its own). */
  token: string | null;
  intervals: Intervals;
}

/** One item of the command line, in the order given. */
export type TargetItem = { kind: "url"; value: string } | { kind: "profile"; value: string } | { kind: "group"; value: string } | { kind: "all" };

export interface TargetDefaults {
  tlsCa: string | null;
  verifyHostname: boolean;
  metricsIntervalMs: number | null;
  processesIntervalMs: number | null;
}

export interface TargetIO {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Reads a token file (tests replace it). */
  readFile?: (path: string) => string;
}

export function urlHasToken(url: string): boolean {
  try {
    return new URL(url).searchParams.has("token");
  } catch {
    return false;
  }
}

/** The first line of a token file, without surrounding blanks. */
export function readTokenFile(path: string, profile: string, io: TargetIO): string {
  const read = io.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  let text: string;
  try {
    text = read(resolve(io.cwd, path));
  } catch (error) {
    throw new ProfileError(`profile '${profile}': cannot read token_file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const token = (text.split(/\r?\n/)[0] ?? "").trim();
  if (token === "") throw new ProfileError(`profile '${profile}': token_file ${path} is empty`);
  return token;
}

function intervalsOf(defaults: TargetDefaults, profile: Profile | null): Intervals {
  const m = defaults.metricsIntervalMs ?? profile?.metrics_interval_ms ?? DEFAULT_INTERVALS.metricsMs;
  const p = defaults.processesIntervalMs ?? profile?.processes_interval_ms ?? DEFAULT_INTERVALS.processesMs;
  return { metricsMs: Math.max(MIN_METRICS_MS, m), processesMs: Math.max(MIN_PROCESSES_MS, p), disksMs: DEFAULT_INTERVALS.disksMs };
}

function envToken(env: NodeJS.ProcessEnv): string | null {
  const t = env.SOCKTOP_TOKEN;
  return t !== undefined && t !== "" ? t : null;
}

export function targetFromUrl(raw: string, defaults: TargetDefaults, io: TargetIO): HostTarget {
  const url = normalizeUrl(raw, defaults.tlsCa !== null);
  return {
    name: hostPort(url),
    url,
    tlsCa: defaults.tlsCa,
    verifyHostname: defaults.verifyHostname,
    token: urlHasToken(url) ? null : envToken(io.env),
    intervals: intervalsOf(defaults, null),
  };
}

export function targetFromProfile(name: string, profile: Profile, defaults: TargetDefaults, io: TargetIO): HostTarget {
  const tlsCa = defaults.tlsCa ?? profile.tls_ca ?? null;
  let url: string;
  try {
    url = normalizeUrl(profile.url, tlsCa !== null);
  } catch (error) {
    if (error instanceof ArgError) throw new ProfileError(`profile '${name}': ${error.message}`);
    throw error;
  }
  let token: string | null = null;
  if (!urlHasToken(url)) token = profile.token_file ? readTokenFile(profile.token_file, name, io) : envToken(io.env);
  return { name, url, tlsCa, verifyHostname: defaults.verifyHostname, token, intervals: intervalsOf(defaults, profile) };
}

function missingProfile(name: string, file: ProfilesFile, path: string): ProfileError {
  const known = Object.keys(file.profiles).sort();
  return new ProfileError(`no profile named '${name}' in ${path}${known.length ? ` (saved: ${known.join(", ")})` : ""}`);
}

/**
 * The hosts of `items`, in order, each once (the same URL or profile named
 * twice, directly or through a group, is one host).
 */
export function resolveTargets(items: readonly TargetItem[], file: ProfilesFile, path: string, defaults: TargetDefaults, io: TargetIO): HostTarget[] {
  const out: HostTarget[] = [];
  const seen = new Set<string>();
  const add = (t: HostTarget): void => {
    const key = `${t.url}\n${t.tlsCa ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(t);
  };
  const profile = (name: string): void => {
    const p = file.profiles[name];
    if (!p) throw missingProfile(name, file, path);
    add(targetFromProfile(name, p, defaults, io));
  };
  const groups = groupsOf(file);
  for (const item of items) {
    switch (item.kind) {
      case "url":
        add(targetFromUrl(item.value, defaults, io));
        break;
      case "profile":
        profile(item.value);
        break;
      case "group": {
        const members = groups[item.value];
        if (!members) {
          const known = Object.keys(groups).sort();
          throw new ProfileError(`no group named '${item.value}' in ${path}${known.length ? ` (groups: ${known.join(", ")})` : ""}`);
        }
        for (const m of members) {
          if (Object.hasOwn(file.profiles, m)) profile(m);
          else if (/^[a-z]+:\/\//i.test(m) || /:\d+/.test(m)) add(targetFromUrl(m, defaults, io));
          else throw new ProfileError(`group '${item.value}': '${m}' is neither a saved profile nor an agent URL`);
        }
        break;
      }
      case "all":
        for (const name of Object.keys(file.profiles).sort(compareNames)) profile(name);
        break;
    }
  }
  // Two hosts may not share a name on screen (the same address with two
  // tokens, say): the later ones are numbered.
  const taken = new Map<string, number>();
  for (const t of out) {
    const n = (taken.get(t.name) ?? 0) + 1;
    taken.set(t.name, n);
    if (n > 1) t.name = `${t.name} #${n}`;
  }
  return out;
}
