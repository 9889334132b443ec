/**
 * From the command line (and the profiles file, and maybe a question or two
 * on the terminal) to what this run connects to. Runs before the screen is
 * taken over, so prompts and messages are plain lines.
 */
import type { Writable } from "node:stream";
import { ArgError, normalizeUrl, type RunOptions } from "./args.js";
import {
  absoluteCaPath,
  chooseInteractively,
  decideSave,
  isYes,
  loadProfiles,
  overwriteQuestion,
  ProfileError,
  profilesPath,
  saveProfiles,
  type LineReader,
  type Profile,
} from "./profiles.js";
import { DEFAULT_INTERVALS, MIN_METRICS_MS, MIN_PROCESSES_MS, type Intervals } from "./session.js";

export interface Plan {
  kind: "connect" | "demo" | "quit";
  /** ws:// or wss:// URL (token included); null for demo and quit. */
  url: string | null;
  tlsCa: string | null;
  verifyHostname: boolean;
  intervals: Intervals;
  profile: string | null;
}

export interface PlanIO {
  env: NodeJS.ProcessEnv;
  home: string;
  cwd: string;
  /** Whether questions can be asked (stdin and stdout are terminals). */
  interactive: boolean;
  /** Created on first use, so a run that asks nothing never touches stdin. */
  reader: () => LineReader;
  /** Where messages and prompts go. */
  out: Writable;
}

function intervalsOf(options: RunOptions, profile: Profile | null): Intervals {
  const m = options.metricsIntervalMs ?? profile?.metrics_interval_ms ?? DEFAULT_INTERVALS.metricsMs;
  const p = options.processesIntervalMs ?? profile?.processes_interval_ms ?? DEFAULT_INTERVALS.processesMs;
  return {
    metricsMs: Math.max(MIN_METRICS_MS, m),
    processesMs: Math.max(MIN_PROCESSES_MS, p),
    disksMs: DEFAULT_INTERVALS.disksMs,
  };
}

function connectPlan(options: RunOptions, profile: Profile, name: string | null): Plan {
  const tlsCa = options.tlsCa ?? profile.tls_ca ?? null;
  let url: string;
  try {
    url = normalizeUrl(profile.url, tlsCa !== null);
  } catch (error) {
    if (error instanceof ArgError && name !== null) throw new ProfileError(`profile '${name}': ${error.message}`);
    throw error;
  }
  return { kind: "connect", url, tlsCa, verifyHostname: options.verifyHostname, intervals: intervalsOf(options, profile), profile: name };
}

function withOverrides(base: Profile, options: RunOptions, cwd: string): Profile {
  const p: Profile = { ...base };
  if (options.tlsCa !== null) p.tls_ca = absoluteCaPath(options.tlsCa, cwd)!;
  if (options.metricsIntervalMs !== null) p.metrics_interval_ms = options.metricsIntervalMs;
  if (options.processesIntervalMs !== null) p.processes_interval_ms = options.processesIntervalMs;
  return p;
}

export async function planRun(options: RunOptions, io: PlanIO): Promise<Plan> {
  const quit: Plan = { kind: "quit", url: null, tlsCa: null, verifyHostname: false, intervals: intervalsOf(options, null), profile: null };
  if (options.demo) return { ...quit, kind: "demo" };

  if (options.profile === null && options.url !== null) {
    return {
      kind: "connect",
      url: options.url,
      tlsCa: options.tlsCa,
      verifyHostname: options.verifyHostname,
      intervals: intervalsOf(options, null),
      profile: null,
    };
  }

  const path = profilesPath(io.env, io.home);

  if (options.profile === null) {
    // No URL and no profile: the interactive list, as the original does.
    if (!io.interactive) {
      throw new ArgError("no agent URL given (try socktop ws://HOST:PORT/ws, socktop --demo, or socktop --help)");
    }
    const file = loadProfiles(path);
    const choice = await chooseInteractively(file, io.reader(), io.out);
    if (choice.kind === "quit") return quit;
    if (choice.kind === "demo") return { ...quit, kind: "demo" };
    return connectPlan(options, file.profiles[choice.name]!, choice.name);
  }

  const name = options.profile;
  const file = loadProfiles(path);
  const existing = file.profiles[name];

  if (options.url === null) {
    if (!existing) {
      const known = Object.keys(file.profiles);
      const list = known.length ? ` (saved: ${known.sort().join(", ")})` : "";
      throw new ProfileError(`no profile named '${name}' in ${path}${list}; create it with socktop --profile ${name} ws://HOST:PORT/ws`);
    }
    const effective = withOverrides(existing, options, io.cwd);
    if (options.save && decideSave(existing, effective, true) === "overwrite") {
      file.profiles[name] = effective;
      saveProfiles(path, file);
      io.out.write(`Updated profile '${name}' in ${path}\n`);
    }
    return connectPlan(options, effective, name);
  }

  const wanted: Profile = withOverrides({ url: options.url }, options, io.cwd);
  const decision = decideSave(existing, wanted, options.save);
  let write = decision === "save" || decision === "overwrite";
  if (decision === "ask") {
    if (io.interactive) {
      write = isYes(await io.reader().question(overwriteQuestion(name)));
      if (!write) io.out.write(`Kept the saved profile '${name}'; these settings are used for this run only.\n`);
    } else {
      io.out.write(`Profile '${name}' exists with other settings and was not overwritten (add --save to overwrite).\n`);
    }
  }
  if (write) {
    file.profiles[name] = wanted;
    saveProfiles(path, file);
    io.out.write(`${decision === "save" ? "Saved" : "Updated"} profile '${name}' in ${path}\n`);
  }
  return connectPlan(options, wanted, name);
}
