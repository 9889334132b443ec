/**
 * The process list: every process (thread-group leader) in /proc with its
 * CPU share of the whole machine and its resident memory.
 *
 * Cost model: one /proc/<pid>/stat read per process and per scan, plus one
 * /proc/stat, /proc/uptime and /proc/loadavg read per scan (kept open too:
 * see process-clock.ts), and a listing of /proc only when the pid cursor
 * cannot tell which processes are new (process-listing.ts). Each stat file is opened
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
import type { ProcessEntry } from "@socktop/protocol";
import { DEFAULT_MAX_KEPT_DESCRIPTORS, GONE, KeptStatFiles, effectiveCap, isProcfs } from "./kept-stat-files.js";
import { PasswdNames, passwdPathFor } from "./passwd.js";
import { ScanClockReader, type ScanClock } from "./process-clock.js";
import { PidSource } from "./process-listing.js";
import { ProcessMetaReader, metaStillValid, type ProcessMeta } from "./process-meta.js";
import { parseScanFields, type ScanFields } from "./process-stat.js";
import { CLOCK_TICKS_PER_SECOND, ReusableFileReader, YIELD_EVERY, pageSize, yieldToEventLoop } from "./procfs.js";

/**
 * How often (clock ticks) a scan checks whether the passwd file changed: 10 s, as often as /proc is
 * listed whatever the pid cursor says (process-listing.ts). The stat() and its Stats object cost
 * ~80 µs of CPU after the idle pause between a watcher's scans (measured 2026-12-03; a scan of ~75
 * processes costs ~1 ms), so at a watcher's 2 s a check per scan was ~7 % of it.
 */
const PASSWD_CHECK_TICKS = 10 * CLOCK_TICKS_PER_SECOND;

interface PreviousTimes {
  starttime: number;
  /** utime + stime at the previous scan. */
  ticks: number;
  /** Uid, user and command line, kept between scans (see process-meta.ts); absent after the baseline. */
  meta: ProcessMeta | undefined;
  /** The name at the previous scan: reused while the bytes are the same (no new string per process). */
  comm: string;
  /** Number of the last scan that read this pid. */
  scan: number;
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
  private readonly pageBytes: number;
  // A stat line is ~300 bytes; the reader grows the buffer if one is ever longer.
  private readonly reader = new ReusableFileReader(1024);
  /** The stat fields of the process being sampled, one object reused for every process (see sample()). */
  private readonly fields: ScanFields = { pid: 0, comm: "", state: "", ppid: 0, flags: 0, utime: 0, stime: 0, numThreads: 0, starttime: 0, rssPages: 0 };
  /**
   * Per-pid times of the previous scan, updated in place (one lookup per
   * process, no new map per scan); pids a scan did not read are dropped at
   * its end, so exited pids drop out.
   */
  private readonly previous = new Map<number, PreviousTimes>();
  private scanNumber = 0;
  /** Records of {@link previous} the current scan has read. */
  private seen = 0;
  private previousClock: ScanClock | null = null;
  private inflight: Promise<ProcessEntry[]> | null = null;
  private readonly kept: KeptStatFiles | null;
  private readonly clock: ScanClockReader;
  /** Which pids a scan reads: the listing of /proc, or the kept ones and the new (process-listing.ts). */
  private readonly source: PidSource;
  /** A read in this scan failed for another reason than the process's exit (the next scan then lists /proc). */
  private readFailed = false;
  private readonly meta: ProcessMetaReader;
  private readonly users: PasswdNames;
  /** uptimeTicks of the last check of the passwd file (see scan()). */
  private usersCheckedAt = -Infinity;

  constructor(options: ProcessCollectorOptions = {}) {
    this.procRoot = options.procRoot ?? "/proc";
    const cap = effectiveCap(options.maxKeptDescriptors ?? DEFAULT_MAX_KEPT_DESCRIPTORS);
    const keep = cap > 0 && isProcfs(this.procRoot);
    this.kept = keep ? new KeptStatFiles(this.procRoot, cap) : null;
    this.clock = new ScanClockReader(this.procRoot, keep);
    this.source = new PidSource(this.procRoot, this.kept);
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
    this.beginScan();
    for (const pid of this.source.pids(clock.uptimeTicks, false)) this.sample(pid, clock, false);
    this.finishScan(clock);
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
    this.clock.close();
    this.source.close();
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

  /** How many scans listed /proc (the others went by the pid cursor: process-listing.ts; for tests). */
  get listings(): number {
    return this.source.listings;
  }

  /** How many pids the collector remembers (for tests: it must not grow without bound). */
  get trackedPids(): number {
    return this.previous.size;
  }

  private async scan(): Promise<ProcessEntry[]> {
    // Clocks first, listing second: a process missing from this listing was
    // therefore born after this clock reading (see sample()).
    const clock = this.readClock();
    this.beginScan();
    // Synchronous like the stat reads below: listing /proc (when it is listed) is
    // ~0.3 ms, and the promise version costs more in thread-pool round trips than it saves.
    const pids = this.source.pids(clock.uptimeTicks);
    // One stat() of the passwd file at most every 10 s (PASSWD_CHECK_TICKS), not on every scan:
    // a renamed user shows within 10 s.
    const sinceUsers = clock.uptimeTicks === null ? NaN : clock.uptimeTicks - this.usersCheckedAt;
    if (!(sinceUsers >= 0 && sinceUsers < PASSWD_CHECK_TICKS)) {
      this.users.refresh();
      this.usersCheckedAt = clock.uptimeTicks ?? -Infinity;
    }
    const entries: ProcessEntry[] = [];
    let sinceYield = 0;
    for (const pid of pids) {
      const entry = this.sample(pid, clock, true);
      if (entry !== null) entries.push(entry);
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    this.finishScan(clock);
    return entries;
  }

  /** Reads one process; null when it exited or cannot be read (never an error). */
  private sample(pid: number, clock: ScanClock, withMeta: boolean): ProcessEntry | null {
    let bytes: Buffer;
    let length: number | null;
    try {
      length = this.kept === null ? -1 : this.kept.read(pid);
      if (length >= 0) {
        bytes = (this.kept as KeptStatFiles).bytes;
      } else if (length === GONE) {
        return null;
      } else {
        length = this.reader.readBytes(`${this.procRoot}/${pid}/stat`);
        bytes = this.reader.bytes;
      }
    } catch {
      // Beyond the usual ENOENT/ESRCH (handled by the readers): a process must
      // never make the whole list fail.
      this.readFailed = true;
      return null;
    }
    if (length === null) return null;
    // Its fields are copied into the row and the per-pid record below, never the object itself.
    const before = this.previous.get(pid);
    const stat = parseScanFields(bytes, length, this.fields, before?.comm);
    if (stat === null) return null;

    const ticks = stat.utime + stat.stime;
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
      this.previous.set(pid, { starttime: stat.starttime, ticks, meta, comm: stat.comm, scan: this.scanNumber });
    } else {
      // Read above and never again in this scan: updated in place.
      before.starttime = stat.starttime;
      before.ticks = ticks;
      before.meta = meta;
      before.comm = stat.comm;
      before.scan = this.scanNumber;
    }
    this.seen++;

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

  private beginScan(): void {
    this.kept?.beginScan();
    this.readFailed = false;
    this.scanNumber++;
    this.seen = 0;
  }

  private finishScan(clock: ScanClock): void {
    this.kept?.endScan();
    this.source.finish(!this.readFailed);
    // Usually every pid was read again: then there is nothing to drop.
    if (this.seen !== this.previous.size) {
      for (const [pid, record] of this.previous) if (record.scan !== this.scanNumber) this.previous.delete(pid);
    }
    this.previousClock = clock;
  }

  private readClock(): ScanClock {
    return this.clock.read();
  }

}
