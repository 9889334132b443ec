/**
 * The questions socktop asks before the screen is taken over, as the
 * original asks them: a new profile's settings for `-P NAME` when there is
 * no such profile, and "start the demo?" on a first run. Also
 * `--delete-profile NAME`.
 */
import { ArgError, normalizeUrl } from "./args.js";
import type { PlanIO } from "./plan.js";
import { absoluteCaPath, deleteProfile, loadProfiles, ProfileError, saveProfiles, type Profile } from "./profiles.js";
import { DEFAULT_INTERVALS, MIN_METRICS_MS, MIN_PROCESSES_MS } from "./session.js";

/** Anything but an explicit no is yes ("[Y/n]"); end of input is no. */
export function isYesByDefault(answer: string | null): boolean {
  return answer !== null && !/^\s*n(o)?\s*$/i.test(answer);
}

export async function offerDemo(io: PlanIO): Promise<boolean> {
  io.out.write("No saved profiles yet (save one with socktop --profile NAME ws://HOST:PORT/ws).\n");
  return isYesByDefault(await io.reader().question("Start the demo: a local agent watching this machine? [Y/n] "));
}

async function askInterval(io: PlanIO, what: string, def: number, min: number): Promise<number | undefined> {
  for (let tries = 0; tries < 3; tries++) {
    const a = await io.reader().question(`${what} interval in ms (Enter for ${def}): `);
    if (a === null || a.trim() === "") return undefined;
    if (/^\d+$/.test(a.trim())) return Math.max(min, Number(a.trim()));
    io.out.write(`'${a.trim()}' is not a whole number of milliseconds.\n`);
  }
  return undefined;
}

/** Ask for the URL, CA file and intervals of a new profile; null when the user gives no URL. */
export async function askNewProfile(name: string, io: PlanIO): Promise<Profile | null> {
  io.out.write(`There is no profile named '${name}' yet. Its settings:\n`);
  let url: string | null = null;
  for (let tries = 0; tries < 3 && url === null; tries++) {
    const a = await io.reader().question("Agent URL (ws://HOST:PORT/ws): ");
    if (a === null || a.trim() === "") return null;
    try {
      normalizeUrl(a, false);
      url = a.trim();
    } catch (error) {
      if (!(error instanceof ArgError)) throw error;
      io.out.write(`${error.message}\n`);
    }
  }
  if (url === null) return null;
  const ca = await io.reader().question("CA certificate file to pin (Enter for none): ");
  const profile: Profile = { url };
  if (ca !== null && ca.trim() !== "") profile.tls_ca = absoluteCaPath(ca.trim(), io.cwd)!;
  const m = await askInterval(io, "Metrics", DEFAULT_INTERVALS.metricsMs, MIN_METRICS_MS);
  const p = await askInterval(io, "Processes", DEFAULT_INTERVALS.processesMs, MIN_PROCESSES_MS);
  if (m !== undefined) profile.metrics_interval_ms = m;
  if (p !== undefined) profile.processes_interval_ms = p;
  return profile;
}

export function deleteProfileCommand(name: string, path: string, io: PlanIO): void {
  const file = loadProfiles(path);
  if (!deleteProfile(file, name)) {
    const known = Object.keys(file.profiles).sort();
    throw new ProfileError(`no profile named '${name}' in ${path}${known.length ? ` (saved: ${known.join(", ")})` : ""}`);
  }
  saveProfiles(path, file);
  io.out.write(`Deleted profile '${name}' from ${path}\n`);
}
