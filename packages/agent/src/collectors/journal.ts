/**
 * Journal entries of one process (`get_journal_entries:<pid>`), read with
 * `journalctl _PID=<pid> --output=json --lines=100 --no-pager`.
 *
 * journalctl runs as a child process, never blocking the event loop, in its
 * own process group so that a timeout kills it and anything it started; the
 * reply is settled at the timeout even if some descendant keeps the pipes
 * open. Every failure (no journalctl, no journal, a timeout, a crash) is a
 * message for the client, never an exception.
 */
import { readdir, stat } from "node:fs/promises";
import type { JournalEntry, JournalPriority, JournalReply } from "@socktop/protocol";
import { isAbsent } from "./procfs.js";
import { firstLine, runBounded, type RunResult } from "./run-bounded.js";

/** Entries asked of journalctl, as the original agent does. */
export const JOURNAL_LIMIT = 100;
export const DEFAULT_JOURNAL_TIMEOUT_MS = 3000;
/** 100 entries are rarely above 1 MiB: fields over 4 KiB are already null in journalctl's JSON. */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;
/** Where journald keeps its files (persistent and volatile storage). */
export const DEFAULT_JOURNAL_DIRS: readonly string[] = ["/var/log/journal", "/run/log/journal"];

/** journalctl processes running at once; further requests wait their turn. */
const MAX_CONCURRENT = 2;
/** Requests waiting for a turn; beyond this a client is told to retry. */
const MAX_QUEUED = 64;

const PRIORITIES: readonly JournalPriority[] = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Info", "Debug"];

/** syslog priority 0..7 to its name; anything else is "Info", journald's default. */
export function priorityName(value: unknown): JournalPriority {
  const text = typeof value === "string" ? value.trim() : typeof value === "number" ? String(value) : "";
  return /^[0-7]$/.test(text) ? (PRIORITIES[Number(text)] as JournalPriority) : "Info";
}

const isByte = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 255;

/**
 * A field value as journalctl writes it in JSON: a string; an array of byte
 * values when the data is not printable UTF-8 (decoded lossily); an array of
 * such values when the field occurs more than once (joined by newlines);
 * null when the field is larger than 4 KiB (journalctl omits it without --all).
 */
export function fieldText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every(isByte)) return Buffer.from(value as number[]).toString("utf8");
    const parts = value.map(fieldText).filter((part): part is string => part !== null);
    return parts.length > 0 ? parts.join("\n") : null;
  }
  return null;
}

function fieldNumber(value: unknown): number | null {
  const text = fieldText(value);
  return text !== null && /^[0-9]+$/.test(text) ? Number(text) : null;
}

/** One line of journalctl's JSON output as an entry; null when it is not a usable entry. */
export function parseJournalLine(line: string): JournalEntry | null {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return null;
  }
  if (record === null || typeof record !== "object" || Array.isArray(record)) return null;
  const fields = record as Record<string, unknown>;
  const micros = fieldNumber(fields.__REALTIME_TIMESTAMP);
  if (micros === null) return null;
  const date = new Date(Math.floor(micros / 1000));
  if (Number.isNaN(date.getTime())) return null;
  const message =
    "MESSAGE" in fields
      ? fields.MESSAGE === null
        ? "[message omitted by journalctl: larger than 4096 bytes]"
        : (fieldText(fields.MESSAGE) ?? "")
      : "";
  return {
    timestamp: date.toISOString(),
    priority: priorityName(fieldText(fields.PRIORITY)),
    message,
    unit: fieldText(fields._SYSTEMD_UNIT) ?? fieldText(fields._SYSTEMD_USER_UNIT),
    pid: fieldNumber(fields._PID),
    comm: fieldText(fields._COMM),
    uid: fieldNumber(fields._UID),
    gid: fieldNumber(fields._GID),
  };
}

/** All entries of journalctl's output, newest first (journalctl writes oldest first); malformed lines are skipped. */
export function parseJournalOutput(stdout: string): { entries: JournalEntry[]; lines: number } {
  const entries: JournalEntry[] = [];
  let lines = 0;
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    lines++;
    const entry = parseJournalLine(line);
    if (entry !== null) entries.push(entry);
  }
  return { entries: entries.reverse(), lines };
}


/**
 * Whether any journal file exists under the given directories (or one level
 * down, where journald keeps /var/log/journal/<machine-id>/*.journal).
 * null when that cannot be told (a directory we may not list).
 */
export async function journalFilesExist(dirs: readonly string[]): Promise<boolean | null> {
  let unknown = false;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") continue;
      unknown = true;
      continue;
    }
    for (const name of names) {
      if (isJournalFile(name)) return true;
      const path = `${dir}/${name}`;
      try {
        if (!(await stat(path)).isDirectory()) continue;
        if ((await readdir(path)).some(isJournalFile)) return true;
      } catch {
        unknown = true;
      }
    }
  }
  return unknown ? null : false;
}

const isJournalFile = (name: string): boolean => name.endsWith(".journal") || name.endsWith(".journal~");

export type JournalResult =
  | { kind: "ok"; reply: JournalReply }
  | { kind: "error"; code: "NOT_FOUND" | "UNAVAILABLE"; message: string };

export interface JournalReaderOptions {
  /** journalctl, by name (looked up on PATH) or path. */
  command?: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
  procRoot?: string;
  /** Consulted when journalctl returns nothing, to tell "no entries" from "no journal". */
  journalDirs?: readonly string[];
  /** Unix milliseconds, for cached_at (tests). */
  now?: () => number;
}

const NO_JOURNAL = "No systemd journal on this machine: journalctl found no journal files";


export class JournalReader {
  readonly command: string;
  private readonly timeoutMs: number;
  private readonly maxOutputBytes: number;
  private readonly procRoot: string;
  private readonly journalDirs: readonly string[];
  private readonly now: () => number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(options: JournalReaderOptions = {}) {
    this.command = options.command ?? "journalctl";
    this.timeoutMs = options.timeoutMs ?? DEFAULT_JOURNAL_TIMEOUT_MS;
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.procRoot = options.procRoot ?? "/proc";
    this.journalDirs = options.journalDirs ?? DEFAULT_JOURNAL_DIRS;
    this.now = options.now ?? Date.now;
  }

  /** The arguments journalctl is run with for `pid`. */
  static args(pid: number): string[] {
    return [`_PID=${pid}`, "--output=json", `--lines=${JOURNAL_LIMIT}`, "--no-pager"];
  }

  async read(pid: number): Promise<JournalResult> {
    try {
      await stat(`${this.procRoot}/${pid}`);
    } catch (error) {
      if (isAbsent(error)) return { kind: "error", code: "NOT_FOUND", message: `Process ${pid} not found` };
      throw error;
    }
    if (this.running < MAX_CONCURRENT) {
      this.running++;
    } else {
      if (this.waiting.length >= MAX_QUEUED) {
        return { kind: "error", code: "UNAVAILABLE", message: "Too many journal requests at once: try again shortly" };
      }
      // The finishing run hands its slot over directly (see below), so `running` stays exact.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let result: RunResult;
    try {
      result = await runBounded(this.command, JournalReader.args(pid), this.timeoutMs, this.maxOutputBytes);
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running--;
    }
    return this.interpret(result);
  }

  private async interpret(result: RunResult): Promise<JournalResult> {
    const unavailable = (message: string): JournalResult => ({ kind: "error", code: "UNAVAILABLE", message });
    if (result.spawnError !== null) {
      const code = result.spawnError.code;
      if (code === "ENOENT") return unavailable(`Cannot read the journal: ${this.command} not found (systemd's journalctl is not installed)`);
      return unavailable(`Cannot run ${this.command}: ${code ?? result.spawnError.message}`);
    }
    if (result.timedOut) return unavailable(`journalctl did not answer within ${this.timeoutMs} ms`);
    if (result.overflow) return unavailable(`journalctl wrote more than ${this.maxOutputBytes} bytes`);
    const noFiles = /No journal files were found/i.test(result.stderr);
    const forbidden = /insufficient permissions/i.test(result.stderr);
    const denied = (): JournalResult =>
      unavailable(
        `Cannot read the journal: ${firstLine(result.stderr.split("\n").find((l) => /insufficient permissions/i.test(l)) ?? "")} (the agent's user needs the systemd-journal group)`,
      );
    if (result.code !== 0) {
      if (noFiles) return unavailable(NO_JOURNAL);
      if (forbidden) return denied();
      const how = result.code === null ? `killed by ${result.signal ?? "a signal"}` : `exit code ${result.code}`;
      const why = firstLine(result.stderr);
      return unavailable(`journalctl failed (${how})${why === "" ? "" : `: ${why}`}`);
    }
    const { entries, lines } = parseJournalOutput(result.stdout);
    if (lines === 0) {
      // journalctl exits 0 and prints nothing both for "no entries for this
      // pid" and, with --output=json, for "there is no journal at all".
      if (forbidden) return denied();
      if (noFiles || (await journalFilesExist(this.journalDirs)) === false) return unavailable(NO_JOURNAL);
    }
    return {
      kind: "ok",
      reply: {
        entries,
        total_count: entries.length,
        truncated: lines >= JOURNAL_LIMIT,
        cached_at: Math.floor(this.now() / 1000),
      },
    };
  }
}
