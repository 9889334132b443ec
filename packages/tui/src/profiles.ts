/**
 * Connection profiles in the original socktop's file, so existing files keep
 * working: `$XDG_CONFIG_HOME/socktop/profiles.json` (else ~/.config/socktop/),
 * `{"profiles": {"NAME": {"url", "tls_ca"?, "metrics_interval_ms"?,
 * "processes_interval_ms"?}}, "version": 0}`.
 *
 * A file we cannot read is reported and left alone: it may hold the only copy
 * of someone's profiles, so it is never rewritten unless it parsed cleanly.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import type { Readable, Writable } from "node:stream";
import { compareNames, redactUrl } from "./format.js";

// node:readline is loaded when a prompt is first needed, not by every start of the UI (~0.5 MB of its RSS).
const requireBuiltin = createRequire(import.meta.url);

export interface Profile {
  url: string;
  tls_ca?: string;
  metrics_interval_ms?: number;
  processes_interval_ms?: number;
  /**
   * A file holding the agent's token (its first line), so the token is never
   * on a command line (where `ps` shows it) nor in this file. Ignored by the original.
   */
  token_file?: string;
}

export interface ProfilesFile {
  profiles: Record<string, Profile>;
  version: number;
  /** Keys we do not know are kept as they were. */
  [key: string]: unknown;
}

export class ProfileError extends Error {
  override readonly name = "ProfileError";
}

/** Name of the built-in entry of the interactive list. */
export const DEMO_ENTRY = "demo";

export function profilesPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && xdg.startsWith("/") ? xdg : join(home, ".config");
  return join(base, "socktop", "profiles.json");
}

export function emptyProfiles(): ProfilesFile {
  return { profiles: {}, version: 0 };
}

function checkInterval(name: string, key: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new ProfileError(`profile '${name}': ${key} must be a positive whole number of milliseconds`);
  }
  return v;
}

/** Validate parsed JSON into a ProfilesFile; throws ProfileError saying what is wrong. */
export function parseProfiles(text: string, path: string): ProfilesFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ProfileError(
      `${path} is not valid JSON (${(error as Error).message}); fix or move it away — socktop will not overwrite it`,
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ProfileError(`${path} should hold a JSON object with a "profiles" key; fix or move it away`);
  }
  const obj = data as Record<string, unknown>;
  const raw = obj.profiles ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ProfileError(`${path}: "profiles" should be an object of NAME → {url, …}; fix or move it away`);
  }
  const profiles: Record<string, Profile> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== "object" || value === null) throw new ProfileError(`${path}: profile '${name}' should be an object`);
    const v = value as Record<string, unknown>;
    if (typeof v.url !== "string" || v.url === "") throw new ProfileError(`${path}: profile '${name}' has no "url"`);
    if (v.tls_ca !== undefined && v.tls_ca !== null && typeof v.tls_ca !== "string") {
      throw new ProfileError(`${path}: profile '${name}': "tls_ca" should be a file path`);
    }
    if (v.token_file !== undefined && v.token_file !== null && typeof v.token_file !== "string") {
      throw new ProfileError(`${path}: profile '${name}': "token_file" should be a file path`);
    }
    const p: Profile = { url: v.url };
    if (typeof v.tls_ca === "string") p.tls_ca = v.tls_ca;
    if (typeof v.token_file === "string") p.token_file = v.token_file;
    const mi = checkInterval(name, "metrics_interval_ms", v.metrics_interval_ms);
    const pi = checkInterval(name, "processes_interval_ms", v.processes_interval_ms);
    if (mi !== undefined) p.metrics_interval_ms = mi;
    if (pi !== undefined) p.processes_interval_ms = pi;
    profiles[name] = p;
  }
  parseGroups(obj.groups, path);
  const version = typeof obj.version === "number" ? obj.version : 0;
  return { ...obj, profiles, version };
}

/** The profiles file, or an empty one when it does not exist yet. */
export function loadProfiles(path: string): ProfilesFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return emptyProfiles();
    throw new ProfileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text.trim() === "") return emptyProfiles();
  return parseProfiles(text, path);
}

/**
 * Write atomically (temporary file + rename) so a crash never leaves half a
 * file, and private to the user: URLs may carry a token.
 */
export function saveProfiles(path: string, file: ProfilesFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (error) {
    throw new ProfileError(`cannot save profiles to ${path}: ${explainPathError(path, error)}`);
  }
}

/**
 * Why a path cannot be created, in words: a dangling symbolic link on the way
 * (XDG_CONFIG_HOME pointing at a directory that is gone) is named as such
 * rather than reported as a bare ENOENT from mkdir.
 */
export function explainPathError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (code === "ENOENT" || code === "ENOTDIR") {
    for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
      try {
        if (!lstatSync(dir).isSymbolicLink()) continue;
      } catch {
        continue;
      }
      if (!existsSync(dir)) return `${dir} is a symbolic link to ${readlinkSync(dir)}, which does not exist`;
    }
  }
  if (code === "EACCES" || code === "EPERM") return `permission denied (${code})`;
  if (code === "EROFS") return "the file system is read-only (EROFS)";
  return code ? `${(error as Error).message.replace(/^[A-Z]+: /, "")}` : String(error);
}

export function sameProfile(a: Profile, b: Profile): boolean {
  return (
    a.url === b.url &&
    (a.tls_ca ?? null) === (b.tls_ca ?? null) &&
    (a.metrics_interval_ms ?? null) === (b.metrics_interval_ms ?? null) &&
    (a.processes_interval_ms ?? null) === (b.processes_interval_ms ?? null) &&
    (a.token_file ?? null) === (b.token_file ?? null)
  );
}

/**
 * What to do with `--profile NAME` given these settings:
 * - "save": no such profile yet (first use saves it)
 * - "unchanged": it already says exactly this
 * - "overwrite": it differs and --save was given
 * - "ask": it differs; ask "Overwrite existing profile 'NAME'? [y/N]"
 */
export type SaveDecision = "save" | "unchanged" | "overwrite" | "ask";

export function decideSave(existing: Profile | undefined, wanted: Profile, save: boolean): SaveDecision {
  if (!existing) return "save";
  if (sameProfile(existing, wanted)) return "unchanged";
  return save ? "overwrite" : "ask";
}

export function overwriteQuestion(name: string): string {
  return `Overwrite existing profile '${name}'? [y/N] `;
}

/** Only an explicit yes counts: the default (Enter, EOF, anything else) is no. */
export function isYes(answer: string | null): boolean {
  return answer !== null && /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * Line-by-line answers from `input`. One reader serves every prompt of a run,
 * so answers that arrive together (piped input) are queued, not lost.
 */
export class LineReader {
  private readonly lines: string[] = [];
  private readonly waiting: ((line: string | null) => void)[] = [];
  private ended = false;
  private readonly rl;

  constructor(input: Readable, private readonly output: Writable) {
    const { createInterface } = requireBuiltin("node:readline") as typeof import("node:readline");
    this.rl = createInterface({ input, terminal: false });
    this.rl.on("line", (line) => {
      const w = this.waiting.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
    this.rl.on("close", () => {
      this.ended = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
  }

  /** Print the prompt and wait for one line (null at end of input). */
  question(prompt: string): Promise<string | null> {
    this.output.write(prompt);
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolvePromise) => this.waiting.push(resolvePromise));
  }

  close(): void {
    this.rl.close();
  }
}

export type Choice = { kind: "profile"; name: string } | { kind: "demo" } | { kind: "quit" };

/** The numbered list shown by `socktop` with no arguments. */
export function menuEntries(file: ProfilesFile): { label: string; detail: string; choice: Choice }[] {
  const names = Object.keys(file.profiles).sort(compareNames);
  const entries = names.map((name) => {
    const p = file.profiles[name]!;
    const tls = p.tls_ca ? " (TLS)" : "";
    return { label: name, detail: `${redactUrl(p.url)}${tls}`, choice: { kind: "profile", name } as Choice };
  });
  entries.push({ label: DEMO_ENTRY, detail: "start a local agent and watch this machine", choice: { kind: "demo" } });
  return entries;
}

export function menuText(file: ProfilesFile): string {
  const entries = menuEntries(file);
  const w = Math.max(...entries.map((e) => e.label.length));
  const lines = entries.map((e, i) => `  ${String(i + 1).padStart(2)}) ${e.label.padEnd(w)}  ${e.detail}`);
  const hint = Object.keys(file.profiles).length === 0 ? "\nNo saved profiles yet: save one with socktop --profile NAME ws://HOST:PORT/ws\n" : "";
  return `${hint}Choose a profile:\n${lines.join("\n")}\n`;
}

/** Map an answer to a choice; null when it is not one of the numbers (or names). */
export function parseChoice(answer: string, file: ProfilesFile): Choice | null {
  const a = answer.trim();
  if (a === "q" || a === "quit") return { kind: "quit" };
  const entries = menuEntries(file);
  if (/^\d+$/.test(a)) {
    const n = Number(a);
    return entries[n - 1]?.choice ?? null;
  }
  return entries.find((e) => e.label === a)?.choice ?? null;
}

/**
 * The numbered list and its prompt. With `save`, the list also edits:
 * `d N` deletes profile N (after a yes), `r N NEW` renames it.
 */
export async function chooseInteractively(
  file: ProfilesFile,
  reader: LineReader,
  output: Writable,
  save?: (file: ProfilesFile) => void,
): Promise<Choice> {
  output.write(menuText(file));
  for (let tries = 0; tries < 5; tries++) {
    const edit = save ? ", d N delete, r N NAME rename" : "";
    const answer = await reader.question(`Enter a number (1-${menuEntries(file).length}${edit}, q to quit): `);
    if (answer === null) return { kind: "quit" };
    const m = save ? /^\s*([dr])\s+(\d+)(?:\s+(\S+))?\s*$/i.exec(answer) : null;
    if (m && save) {
      const entry = menuEntries(file)[Number(m[2]) - 1];
      if (!entry || entry.choice.kind !== "profile") {
        output.write(`${m[2]} is not a saved profile.\n`);
        continue;
      }
      const name = entry.choice.name;
      try {
        if (m[1]!.toLowerCase() === "d") {
          if (!isYes(await reader.question(`Delete profile '${name}'? [y/N] `))) continue;
          deleteProfile(file, name);
          save(file);
          output.write(`Deleted profile '${name}'.\n`);
        } else {
          if (!m[3]) {
            output.write("Rename needs the new name: r N NEWNAME\n");
            continue;
          }
          renameProfile(file, name, m[3]);
          save(file);
          output.write(`Renamed '${name}' to '${m[3]}'.\n`);
        }
      } catch (error) {
        if (!(error instanceof ProfileError)) throw error;
        output.write(`${error.message}\n`);
      }
      tries = -1;
      output.write(menuText(file));
      continue;
    }
    const choice = parseChoice(answer, file);
    if (choice) return choice;
    output.write(`'${answer.trim()}' is not in the list.\n`);
  }
  return { kind: "quit" };
}

/** Store a CA path absolute, so the profile works from any directory. */
export function absoluteCaPath(path: string | null, cwd: string = process.cwd()): string | undefined {
  if (path === null) return undefined;
  // PEM text given inline is kept as it is.
  if (path.includes("-----BEGIN")) return path;
  return resolve(cwd, path);
}

/**
 * Named groups of hosts, `"groups": {"lab": ["pi1", "pi2", "ws://10.0.0.9:3000/ws"]}`
 * beside "profiles" (the original ignores the key). A member is a profile name
 * or an agent URL.
 */
export function parseGroups(raw: unknown, path: string): Record<string, string[]> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ProfileError(`${path}: "groups" should be an object of NAME → [profile names or URLs]; fix or move it away`);
  }
  const groups: Record<string, string[]> = {};
  for (const [name, members] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(members) || members.some((m) => typeof m !== "string" || m.trim() === "")) {
      throw new ProfileError(`${path}: group '${name}' should be a list of profile names or URLs`);
    }
    groups[name] = members as string[];
  }
  return groups;
}

export function groupsOf(file: ProfilesFile): Record<string, string[]> {
  return parseGroups(file.groups, "profiles.json");
}

/** Remove a profile (and its mentions in groups). Returns false when there was none. */
export function deleteProfile(file: ProfilesFile, name: string): boolean {
  if (!Object.hasOwn(file.profiles, name)) return false;
  delete file.profiles[name];
  const groups = groupsOf(file);
  if (Object.keys(groups).length > 0) {
    for (const g of Object.keys(groups)) groups[g] = groups[g]!.filter((m) => m !== name);
    file.groups = groups;
  }
  return true;
}

/** Rename a profile, keeping its place in groups. Throws ProfileError when impossible. */
export function renameProfile(file: ProfilesFile, from: string, to: string): void {
  if (!Object.hasOwn(file.profiles, from)) throw new ProfileError(`no profile named '${from}'`);
  if (to.trim() === "") throw new ProfileError("a profile needs a non-empty name");
  if (to === DEMO_ENTRY) throw new ProfileError(`'${DEMO_ENTRY}' is the built-in demo; choose another name`);
  if (Object.hasOwn(file.profiles, to)) throw new ProfileError(`a profile named '${to}' already exists`);
  // Rebuilt in order so the renamed entry keeps its position in the file.
  const profiles: Record<string, Profile> = {};
  for (const [k, v] of Object.entries(file.profiles)) profiles[k === from ? to : k] = v;
  file.profiles = profiles;
  const groups = groupsOf(file);
  if (Object.keys(groups).length > 0) {
    for (const g of Object.keys(groups)) groups[g] = groups[g]!.map((m) => (m === from ? to : m));
    file.groups = groups;
  }
}
