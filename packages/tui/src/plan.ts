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
  DEMO_ENTRY,
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
import { resolveTargets, targetFromProfile, targetFromUrl, type HostTarget } from "./targets.js";
import { askNewProfile, deleteProfileCommand, offerDemo } from "./plan-prompts.js";

export interface Plan {
  kind: "connect" | "demo" | "quit" | "fleet";
  /** ws:// or wss:// URL (token included); null for demo and quit. */
  url: string | null;
  tlsCa: string | null;
  verifyHostname: boolean;
  intervals: Intervals;
  profile: string | null;
  /** The token when it is not in the URL (SOCKTOP_TOKEN, a profile's token_file). */
  token?: string | null;
  /** The hosts of the fleet view (kind "fleet"). */
  targets?: HostTarget[];
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

function connectPlan(options: RunOptions, profile: Profile, name: string | null, io: PlanIO): Plan {
  const tlsCa = options.tlsCa ?? profile.tls_ca ?? null;
  let url: string;
  try {
    url = normalizeUrl(profile.url, tlsCa !== null);
  } catch (error) {
    if (error instanceof ArgError && name !== null) throw new ProfileError(`profile '${name}': ${error.message}`);
    throw error;
  }
  const token = name !== null ? targetFromProfile(name, profile, targetDefaults(options), io).token : targetFromUrl(url, targetDefaults(options), io).token;
  return { kind: "connect", url, tlsCa, verifyHostname: options.verifyHostname, intervals: intervalsOf(options, profile), profile: name, token };
}

function targetDefaults(options: RunOptions) {
  return {
    tlsCa: options.tlsCa,
    verifyHostname: options.verifyHostname,
    metricsIntervalMs: options.metricsIntervalMs,
    processesIntervalMs: options.processesIntervalMs,
  };
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
  const path = profilesPath(io.env, io.home);
  if (options.deleteProfile !== null) {
    deleteProfileCommand(options.deleteProfile, path, io);
    return quit;
  }
  if (options.fleet.length > 0) {
    const targets = resolveTargets(options.fleet, loadProfiles(path), path, targetDefaults(options), io);
    if (targets.length === 0) throw new ProfileError(`no hosts to watch: ${path} has no profiles`);
    return { ...quit, kind: "fleet", targets };
  }

  if (options.profile === null && options.url !== null) {
    return {
      kind: "connect",
      url: options.url,
      tlsCa: options.tlsCa,
      verifyHostname: options.verifyHostname,
      intervals: intervalsOf(options, null),
      profile: null,
      token: targetFromUrl(options.url, targetDefaults(options), io).token,
    };
  }

  if (options.profile === null) {
    // No URL and no profile: the interactive list, as the original does.
    if (!io.interactive) {
      throw new ArgError("no agent URL given (try socktop ws://HOST:PORT/ws, socktop --demo, or socktop --help)");
    }
    const file = loadProfiles(path);
    // First run: nothing saved yet, so offer what needs no setup at all.
    if (Object.keys(file.profiles).length === 0) return (await offerDemo(io)) ? { ...quit, kind: "demo" } : quit;
    const choice = await chooseInteractively(file, io.reader(), io.out, (f) => saveProfiles(path, f));
    if (choice.kind === "quit") return quit;
    if (choice.kind === "demo") return { ...quit, kind: "demo" };
    return connectPlan(options, file.profiles[choice.name]!, choice.name, io);
  }

  const name = options.profile;
  const file = loadProfiles(path);
  const existing = file.profiles[name];

  if (options.url === null) {
    // `-P demo` is the built-in entry of the list, unless a profile took the name.
    if (!existing && name === DEMO_ENTRY) return { ...quit, kind: "demo" };
    if (!existing && io.interactive) {
      const created = await askNewProfile(name, io);
      if (!created) return quit;
      file.profiles[name] = created;
      saveProfiles(path, file);
      io.out.write(`Saved profile '${name}' in ${path}\n`);
      return connectPlan(options, created, name, io);
    }
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
    return connectPlan(options, effective, name, io);
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
  return connectPlan(options, wanted, name, io);
}
