/**
 * The process list: every process (thread-group leader) in /proc with its
 * CPU share of the whole machine and its resident memory.
 *
 * Cost model: one /proc/<pid>/stat read per process and per scan, plus one
 * /proc/stat and one /proc/uptime read per scan (kept open too: see
 * process-clock.ts). Each stat file is opened
 * once and its descriptor kept between scans (see {@link KeptStatFiles}):
 * a scan then costs one pread per process instead of open + read + close.
 * The stat files are read
 * synchronously into one reused buffer: for thousands of tiny generated files
 * that is far faster than fs.promises, which pays a thread-pool round trip
 * and a fresh buffer per file (measured with 2,070 processes: ~33 ms per scan
 * this way, ~70 ms with readFileSync, ~300 ms with readFile under
 * Promise.all, ~470 ms with sequential awaits). To keep a large scan from
 * stalling other clients, the event loop is handed back every
 * {@link YIELD_EVERY} processes (longest stall measured: ~6 ms).
 */
import { readdirSync } from "node:fs";
import type { ProcessEntry } from "@socktop/protocol";
import { DEFAULT_MAX_KEPT_DESCRIPTORS, KeptStatFiles, effectiveCap, isProcfs } from "./kept-stat-files.js";
import { PasswdNames, passwdPathFor } from "./passwd.js";
import { PidCount } from "./pid-count.js";
import { ScanClockReader, type ScanClock } from "./process-clock.js";
import { ProcessMetaReader, metaStillValid, type ProcessMeta } from "./process-meta.js";
import { CLOCK_TICKS_PER_SECOND, ReusableFileReader, YIELD_EVERY, pageSize, yieldToEventLoop } from "./procfs.js";

/** The fields of /proc/<pid>/stat this agent uses. Times are in clock ticks (USER_HZ). */
export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  numThreads: number;
  /** Clock ticks after boot at which the process started. */
  starttime: number;
  /** Virtual memory size in bytes. */
  vsize: number;
  /** Resident set size in pages. */
  rssPages: number;
}

/** Strict non-negative decimal integer: Number() would also accept "", " 1", "0x1f" and "1e3". */
function parseUint(text: string): number {
  const length = text.length;
  if (length === 0) return NaN;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * comm is raw bytes; procfs readers decode latin1 so that no byte is lost.
 * Names are UTF-8 in practice, so re-decode the (rare) non-ASCII ones.
 */
function decodeComm(comm: string): string {
  if (!/[\x80-\xff]/.test(comm) || /[^\x00-\xff]/.test(comm)) return comm;
  return Buffer.from(comm, "latin1").toString("utf8");
}

/**
 * {@link decodeComm} on the bytes themselves: one pass for a byte >= 0x80
 * instead of building the latin1 string and testing it with two regexes.
 * The same result: a latin1 string never holds a char above 0xff, and the
 * re-decoding of a non-ASCII one is the UTF-8 decoding of these bytes.
 */
function commOf(bytes: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if ((bytes[i] as number) >= 0x80) return bytes.toString("utf8", start, end);
  }
  return bytes.toString("latin1", start, end);
}

/**
 * Parses /proc/<pid>/stat. comm is whatever the process set (up to 15 bytes,
 * may contain spaces, parentheses and even newlines), so it ends at the LAST
 * ')'. Returns null for anything that is not a complete stat line.
 */
export function parsePidStat(text: string): PidStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open <= 0 || close < open || text.charCodeAt(close + 1) !== 32 /* space */) return null;
  const pid = parseUint(text.slice(0, open).trimEnd());
  if (!(pid > 0)) return null;
  // Fields 3 (state) .. 24 (rss); split() with a limit stops scanning there.
  const fields = text.slice(close + 2).trimEnd().split(" ", 22);
  if (fields.length < 22) return null;
  const state = fields[0] as string;
  if (state.length !== 1) return null;
  const ppid = parseUint(fields[1] as string);
  const utime = parseUint(fields[11] as string);
  const stime = parseUint(fields[12] as string);
  const numThreads = parseUint(fields[17] as string);
  const starttime = parseUint(fields[19] as string);
  const vsize = parseUint(fields[20] as string);
  const rssPages = parseUint(fields[21] as string);
  // NaN fails every comparison, so this rejects any non-numeric field.
  if (!(ppid >= 0 && utime >= 0 && stime >= 0 && numThreads >= 0 && starttime >= 0 && vsize >= 0 && rssPages >= 0)) {
    return null;
  }
  return {
    pid,
    comm: decodeComm(text.slice(open + 1, close)),
    state,
    ppid,
    utime,
    stime,
    numThreads,
    starttime,
    vsize,
    rssPages,
  };
}

/** What a scan needs of /proc/<pid>/stat. */
export interface ScanFields {
  pid: number;
  comm: string;
  /** The one-letter state (R, S, D, Z, T, t, I, X…). */
  state: string;
  ppid: number;
  /** The kernel's per-process flags (PF_*). */
  flags: number;
  utime: number;
  stime: number;
  numThreads: number;
  starttime: number;
  rssPages: number;
}

// Field numbers after "comm) " (0 = state) that must be decimal integers, as parsePidStat checks them.
const F_PPID = 1;
const F_FLAGS = 6;
const F_UTIME = 11;
const F_STIME = 12;
const F_THREADS = 17;
const F_STARTTIME = 19;
const F_VSIZE = 20;
const F_RSS = 21;

/** One-letter strings for stat states, so that a row does not build a new string per process. */
const STATE_STRINGS = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));

const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;

/**
 * The hot-path twin of {@link parsePidStat}: the same rules and the same
 * nulls, but read from the bytes in the reused buffer, so no string is built
 * for the line and no array for its fields (bench: the string and split()
 * were most of the collector's own cost per process). Only the name becomes a
 * string.
 */
export function parseScanFields(bytes: Buffer, length: number, into?: ScanFields): ScanFields | null {
  let open = -1;
  for (let i = 0; i < length; i++) {
    if (bytes[i] === 0x28 /* ( */) {
      open = i;
      break;
    }
  }
  let close = -1;
  for (let i = length - 1; i >= 0 && i >= open; i--) {
    if (bytes[i] === 0x29 /* ) */) {
      close = i;
      break;
    }
  }
  if (open <= 0 || close < open || bytes[close + 1] !== 0x20) return null;
  let pidEnd = open;
  while (pidEnd > 0 && isSpace(bytes[pidEnd - 1])) pidEnd--;
  if (pidEnd === 0) return null;
  let pid = 0;
  for (let i = 0; i < pidEnd; i++) {
    const digit = (bytes[i] as number) - 48;
    if (digit < 0 || digit > 9) return null;
    pid = pid * 10 + digit;
  }
  if (!(pid > 0)) return null;

  let end = length;
  while (end > close + 2 && isSpace(bytes[end - 1])) end--;
  let field = 0;
  let fieldStart = close + 2;
  let value = 0;
  let numeric = true;
  let state = 0;
  let ppid = NaN;
  let flags = NaN;
  let numThreads = NaN;
  let utime = NaN;
  let stime = NaN;
  let starttime = NaN;
  let rssPages = NaN;
  for (let i = close + 2; i <= end && field <= F_RSS; i++) {
    const c = i < end ? (bytes[i] as number) : 0x20;
    if (c !== 0x20) {
      const digit = c - 48;
      if (digit < 0 || digit > 9) numeric = false;
      else value = value * 10 + digit;
      continue;
    }
    const empty = i === fieldStart;
    const number = numeric && !empty ? value : NaN;
    switch (field) {
      case 0:
        if (i - fieldStart !== 1) return null; // the state is one letter
        state = bytes[fieldStart] as number;
        break;
      case F_PPID:
        if (!(number >= 0)) return null;
        ppid = number;
        break;
      case F_FLAGS:
        flags = number;
        break;
      case F_THREADS:
        if (!(number >= 0)) return null;
        numThreads = number;
        break;
      case F_VSIZE:
        if (!(number >= 0)) return null;
        break;
      case F_UTIME:
        utime = number;
        break;
      case F_STIME:
        stime = number;
        break;
      case F_STARTTIME:
        starttime = number;
        break;
      case F_RSS:
        rssPages = number;
        break;
    }
    field++;
    fieldStart = i + 1;
    value = 0;
    numeric = true;
  }
  if (field <= F_RSS) return null;
  if (!(utime >= 0 && stime >= 0 && starttime >= 0 && rssPages >= 0)) return null;
  const comm = commOf(bytes, open + 1, close);
  // flags is informational (kernel-thread detection): a garbled one is not a reason to drop the row.
  const safeFlags = flags >= 0 ? flags : 0;
  const stateString = STATE_STRINGS[state & 127] as string;
  if (into === undefined) {
    return { pid, comm, state: stateString, ppid, flags: safeFlags, utime, stime, numThreads, starttime, rssPages };
  }
  // The scan's one reused record (valid until the next call): no object per process.
  into.pid = pid;
  into.comm = comm;
  into.state = stateString;
  into.ppid = ppid;
  into.flags = safeFlags;
  into.utime = utime;
  into.stime = stime;
  into.numThreads = numThreads;
  into.starttime = starttime;
  into.rssPages = rssPages;
  return into;
}

/** How often (clock ticks) a scan checks whether the passwd file changed. */
const PASSWD_CHECK_TICKS = CLOCK_TICKS_PER_SECOND;

/** /proc entries that are processes: all-digit names ("self", "sys", … are not). */
function pidOf(name: string): number {
  const pid = parseUint(name);
  return pid > 0 ? pid : NaN;
}

interface PreviousTimes {
  starttime: number;
  /** utime + stime at the previous scan. */
  ticks: number;
  /** Uid, user and command line, kept between scans (see process-meta.ts); absent after the baseline. */
  meta: ProcessMeta | undefined;
}

export interface ProcessCollectorOptions {
  procRoot?: string;
  /** Bytes per page for rss; defaults to the running kernel's page size. */
  pageSize?: number;
  /**
   * Most /proc/<pid>/stat descriptors kept open between scans (default
   * {@link DEFAULT_MAX_KEPT_DESCRIPTORS}, lowered to a quarter of the soft
   * open-files limit); 0 reads every file by path. Only used on a real procfs.
   */
  maxKeptDescriptors?: number;
  /** Root under which etc/passwd names the owners ("/" by default; a fixture tree in tests). */
  etcRoot?: string;
}

export class ProcessCollector {
  private readonly procRoot: string;
  private readonly pids: PidCount;
  private readonly pageBytes: number;
  // A stat line is ~300 bytes; the reader grows the buffer if one is ever longer.
  private readonly reader = new ReusableFileReader(1024);
  /** The stat fields of the process being sampled, one object reused for every process (see sample()). */
  private readonly fields: ScanFields = { pid: 0, comm: "", state: "", ppid: 0, flags: 0, utime: 0, stime: 0, numThreads: 0, starttime: 0, rssPages: 0 };
  /** Per-pid times of the previous scan; replaced wholesale each scan, so exited pids drop out. */
  private previous = new Map<number, PreviousTimes>();
  private previousClock: ScanClock | null = null;
  private inflight: Promise<ProcessEntry[]> | null = null;
  private readonly kept: KeptStatFiles | null;
  private readonly clock: ScanClockReader;
  private readonly meta: ProcessMetaReader;
  private readonly users: PasswdNames;
  /** uptimeTicks of the last check of the passwd file (see scan()). */
  private usersCheckedAt = -Infinity;

  constructor(options: ProcessCollectorOptions = {}) {
    this.procRoot = options.procRoot ?? "/proc";
    this.pids = new PidCount(this.procRoot, (name) => pidOf(name) > 0);
    const cap = effectiveCap(options.maxKeptDescriptors ?? DEFAULT_MAX_KEPT_DESCRIPTORS);
    const keep = cap > 0 && isProcfs(this.procRoot);
    this.kept = keep ? new KeptStatFiles(this.procRoot, cap) : null;
    this.clock = new ScanClockReader(this.procRoot, keep);
    // Its own buffer: a command line may be long, and must not grow the hot stat buffer.
    this.meta = new ProcessMetaReader(this.procRoot, new ReusableFileReader(4096));
    this.users = new PasswdNames(passwdPathFor(options.etcRoot ?? "/"));
    // The page size belongs to the kernel we run on, not to procRoot (which
    // may be a fixture or a host's /proc mounted elsewhere): ask the real one.
    this.pageBytes = options.pageSize ?? pageSize();
  }

  /**
   * Synchronous full scan that only records times, so that the first
   * collect() reports usage over a real interval. Meant for start-up, before
   * any client is served.
   */
  baseline(): void {
    const clock = this.readClock();
    const next = new Map<number, PreviousTimes>();
    this.kept?.beginScan();
    for (const name of readdirSync(this.procRoot)) {
      const pid = pidOf(name);
      if (pid > 0) this.sample(pid, clock, next, false);
    }
    this.finishScan(clock, next);
  }

  /** How many stat descriptors are kept open now (0 when keeping is off). */
  get keptDescriptors(): number {
    return this.kept?.size ?? 0;
  }

  /** The kept descriptors' bookkeeping, null when keeping is off (for tests). */
  get keptFiles(): KeptStatFiles | null {
    return this.kept;
  }

  /** Closes the kept descriptors; a later scan opens them again. */
  close(): void {
    this.kept?.close();
    this.pids.close();
    this.clock.close();
  }

  /**
   * Every process with CPU% since the previous scan and resident bytes.
   * Concurrent callers share one scan: two interleaved scans would each see
   * half an interval and corrupt the per-pid history.
   */
  collect(): Promise<ProcessEntry[]> {
    if (this.inflight === null) {
      this.inflight = this.scan().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  /** Number of processes: numeric entries of /proc, without reading any of them (listed only when it may have changed: pid-count.ts). */
  async processCount(): Promise<number> {
    return this.pids.count();
  }

  /** How many pids the collector remembers (for tests: it must not grow without bound). */
  get trackedPids(): number {
    return this.previous.size;
  }

  private async scan(): Promise<ProcessEntry[]> {
    // Clocks first, listing second: a process missing from this listing was
    // therefore born after this clock reading (see sample()).
    const clock = this.readClock();
    // Synchronous like the stat reads below: listing /proc is ~0.3 ms, and the
    // promise version costs more in thread-pool round trips than it saves.
    const names = readdirSync(this.procRoot);
    // One stat() of the passwd file at most once a second (PASSWD_CHECK_TICKS), not on every scan:
    // a renamed user shows within a second; scans milliseconds apart skip the system call.
    const sinceUsers = clock.uptimeTicks === null ? NaN : clock.uptimeTicks - this.usersCheckedAt;
    if (!(sinceUsers >= 0 && sinceUsers < PASSWD_CHECK_TICKS)) {
      this.users.refresh();
      this.usersCheckedAt = clock.uptimeTicks ?? -Infinity;
    }
    const next = new Map<number, PreviousTimes>();
    this.kept?.beginScan();
    const entries: ProcessEntry[] = [];
    let sinceYield = 0;
    for (const name of names) {
      const pid = pidOf(name);
      if (!(pid > 0)) continue;
      const entry = this.sample(pid, clock, next, true);
      if (entry !== null) entries.push(entry);
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    this.finishScan(clock, next);
    return entries;
  }

  /** Reads one process; null when it exited or cannot be read (never an error). */
  private sample(pid: number, clock: ScanClock, next: Map<number, PreviousTimes>, withMeta: boolean): ProcessEntry | null {
    let bytes: Buffer;
    let length: number | null;
    try {
      length = this.kept === null ? -1 : this.kept.read(pid);
      if (length >= 0) {
        bytes = (this.kept as KeptStatFiles).bytes;
      } else {
        length = this.reader.readBytes(`${this.procRoot}/${pid}/stat`);
        bytes = this.reader.bytes;
      }
    } catch {
      // Beyond the usual ENOENT/ESRCH (handled by the readers): a process must
      // never make the whole list fail.
      return null;
    }
    if (length === null) return null;
    // Its fields are copied into the row and the per-pid record below, never the object itself.
    const stat = parseScanFields(bytes, length, this.fields);
    if (stat === null) return null;

    const ticks = stat.utime + stat.stime;
    const before = this.previous.get(pid);
    let meta = before?.meta;
    if (withMeta && !metaStillValid(meta, stat, clock.uptimeTicks)) meta = this.meta.read(stat, clock.uptimeTicks);
    const previousClock = this.previousClock;
    let used = 0;
    if (before !== undefined && before.starttime === stat.starttime) {
      used = ticks - before.ticks;
    } else if (previousClock?.uptimeTicks != null && stat.starttime >= previousClock.uptimeTicks) {
      // New since the previous scan (or a reused pid): born after that scan's
      // clock reading, so all of its CPU time falls inside the interval.
      // `>=`: a process started in the same tick but before that reading
      // would have been in that scan's listing, which came after the reading.
      used = ticks;
    }
    // Otherwise it existed before the previous scan without being seen (its
    // read failed then): we cannot know its share, report 0.
    if (before === undefined) {
      next.set(pid, { starttime: stat.starttime, ticks, meta });
    } else {
      // The previous scan's record is read above and never again (this.previous is
      // replaced at the end of the scan), so it is updated in place: no object per process.
      before.starttime = stat.starttime;
      before.ticks = ticks;
      before.meta = meta;
      next.set(pid, before);
    }

    let cpu = 0;
    const elapsed =
      clock.totalJiffies !== null && previousClock?.totalJiffies != null
        ? clock.totalJiffies - previousClock.totalJiffies
        : 0;
    if (elapsed > 0 && used > 0) cpu = Math.min(100, (used / elapsed) * 100);

    const mem = stat.rssPages * this.pageBytes;
    if (!withMeta || meta === undefined) return { pid, name: stat.comm, cpu_usage: cpu, mem_bytes: mem };
    if (meta.userGeneration !== this.users.generation) {
      meta.user = meta.uid === undefined ? undefined : (this.users.cached(meta.uid) ?? undefined);
      meta.userGeneration = this.users.generation;
    }
    // Protocol-2 fields, in one literal (one object shape for every row). The basic
    // (protocol-1) encoding ignores them; an undefined field is not sent.
    return {
      pid,
      name: stat.comm,
      cpu_usage: cpu,
      mem_bytes: mem,
      ppid: stat.ppid,
      uid: meta.uid,
      user: meta.user,
      state: stat.state,
      threads: stat.numThreads,
      start_time: clock.bootTime === null ? undefined : Math.floor(clock.bootTime + stat.starttime / CLOCK_TICKS_PER_SECOND),
      command: meta.command,
    };
  }

  private finishScan(clock: ScanClock, next: Map<number, PreviousTimes>): void {
    this.kept?.endScan();
    this.previous = next;
    this.previousClock = clock;
  }

  private readClock(): ScanClock {
    return this.clock.read();
  }

}
