/**
 * The machine-wide clocks a process scan measures its processes against:
 * total jiffies and boot time from /proc/stat, time since boot from
 * /proc/uptime. Read once per scan.
 *
 * The same values as readProcClock (cpu.ts), at a fraction of its cost per
 * scan: on a real procfs both files stay open between scans and are re-read
 * with pread at offset 0 (procfs generates them afresh on every read from
 * offset 0), and the numbers are parsed from the bytes, without a string per
 * line and without regular expressions. That matters at a few dozen
 * processes, where these per-scan costs were a third of the scan (measured
 * with a scan every 20 ms: readProcClock ~220 µs of CPU, its two reads
 * ~45 µs of it, the rest splitting and matching /proc/stat's text in code
 * that runs too rarely to be optimised). Any text the fast path does not
 * recognise goes through readProcClock's own parsers, so the results agree
 * on every input (tested).
 */
import { parseBootTime, parseProcStat } from "./cpu.js";
import { KeptProcFile } from "./kept-proc-file.js";
import { CLOCK_TICKS_PER_SECOND } from "./procfs.js";

/** Machine-wide clocks read once at the start of a scan. */
export interface ScanClock {
  /** Total jiffies of the aggregate `cpu` line of /proc/stat; null when unreadable. */
  totalJiffies: number | null;
  /** Time since boot in clock ticks, comparable with a process's starttime; null when unreadable. */
  uptimeTicks: number | null;
  /** Boot time in unix seconds (btime of /proc/stat); null when unreadable. */
  bootTime: number | null;
}

const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const isBlank = (c: number): boolean => c === SPACE || c === TAB;

/**
 * The first line of /proc/stat when it is the aggregate line with decimal
 * fields: the sum of its first eight fields (user … steal, as parseProcStat
 * sums them) and the offset where the scan stopped; undefined when the text
 * needs the general parser.
 */
function aggregateLine(bytes: Buffer, length: number): { total: number; end: number } | undefined {
  if (length < 4 || bytes[0] !== 0x63 /* c */ || bytes[1] !== 0x70 /* p */ || bytes[2] !== 0x75 /* u */ || !isBlank(bytes[3] as number)) {
    return undefined;
  }
  let total = 0;
  let fields = 0;
  let i = 4;
  while (fields < 8) {
    while (i < length && isBlank(bytes[i] as number)) i++;
    if (i >= length || bytes[i] === NEWLINE) break; // an older kernel's shorter line
    let value = 0;
    const start = i;
    for (; i < length; i++) {
      const c = bytes[i] as number;
      if (isBlank(c) || c === NEWLINE) break;
      const digit = c - 48;
      if (digit < 0 || digit > 9) return undefined;
      value = value * 10 + digit;
    }
    if (i === start) return undefined;
    total += value;
    fields++;
  }
  return { total, end: i };
}

/**
 * Total jiffies of /proc/stat's aggregate line when it is the first line, its
 * fields are decimal and no later line is an aggregate line too (every Linux
 * kernel); undefined when the text needs the general parser.
 */
function fastTotalJiffies(bytes: Buffer, length: number): number | undefined {
  const first = aggregateLine(bytes, length);
  if (first === undefined) return undefined;
  let at = indexBefore(bytes, NEWLINE, length, first.end);
  while (at >= 0 && bytes[at + 1] === 0x63 && bytes[at + 2] === 0x70 && bytes[at + 3] === 0x75 && at + 3 < length) {
    const next = at + 4 < length ? (bytes[at + 4] as number) : -1;
    if (next < 48 || next > 57) return undefined;
    at = indexBefore(bytes, NEWLINE, length, at + 4);
  }
  if (at >= 0 && indexBefore(bytes, "\ncpu", length, at) >= 0) return undefined;
  return first.total;
}

/** Buffer.indexOf within the first `length` bytes (the buffer is reused: later bytes are stale). */
function indexBefore(bytes: Buffer, needle: string | number, length: number, from = 0): number {
  const at = bytes.indexOf(needle, from, "latin1");
  return at >= 0 && at < length ? at : -1;
}

/** btime from /proc/stat's bytes: undefined when the general parser must decide. */
function fastBootTime(bytes: Buffer, length: number): number | null | undefined {
  // A carriage return also starts a line for parseBootTime's /^…$/m: its case.
  if (indexBefore(bytes, 0x0d, length) >= 0) return undefined;
  // The line is "btime <digits>"; indexOf is a native search, the rest is a few bytes.
  const at = indexBefore(bytes, "\nbtime", length);
  if (at < 0) return null;
  if (at + 6 >= length) return undefined;
  let i = at + 6;
  if (!isBlank(bytes[i] as number)) return undefined;
  while (i < length && isBlank(bytes[i] as number)) i++;
  let value = 0;
  const start = i;
  for (; i < length; i++) {
    const digit = (bytes[i] as number) - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  if (i === start || (i < length && bytes[i] !== NEWLINE)) return undefined;
  return value;
}

/**
 * Both values of /proc/stat a scan needs, from its bytes. Exported for the
 * tests that hold it to parseProcStat and parseBootTime.
 */
export function parseStatClock(bytes: Buffer, length: number): { totalJiffies: number | null; bootTime: number | null } {
  const { totalJiffies, bootTime } = statClock(bytes, length);
  return { totalJiffies, bootTime };
}

/** parseStatClock, and whether the total came from the kernel's layout (the fast path). */
function statClock(bytes: Buffer, length: number): { totalJiffies: number | null; bootTime: number | null; kernelLayout: boolean } {
  const fast = fastTotalJiffies(bytes, length);
  const bootTime = bootTimeOf(bytes, length);
  if (fast !== undefined) return { totalJiffies: fast, bootTime, kernelLayout: true };
  try {
    return { totalJiffies: parseProcStat(bytes.toString("latin1", 0, length)).total.total, bootTime, kernelLayout: false };
  } catch {
    return { totalJiffies: null, bootTime, kernelLayout: false };
  }
}

/** btime of /proc/stat's bytes, by the fast path or else the general parser. */
function bootTimeOf(bytes: Buffer, length: number): number | null {
  // A line starting with "btime" at offset 0 is not preceded by a newline: only the general parser sees it.
  const fast = bytes[0] === 0x62 /* b */ ? undefined : fastBootTime(bytes, length);
  return fast !== undefined ? fast : parseBootTime(bytes.toString("latin1", 0, length));
}

/**
 * Time since boot in clock ticks from /proc/uptime's bytes ("12345.67 …"),
 * truncated as readProcClock truncates it; null when it is not a number.
 */
export function parseUptimeTicks(bytes: Buffer, length: number): number | null {
  let whole = 0;
  let i = 0;
  for (; i < length; i++) {
    const digit = (bytes[i] as number) - 48;
    if (digit < 0 || digit > 9) break;
    whole = whole * 10 + digit;
  }
  // The kernel writes two decimals: ticks = whole * 100 + hundredths, exactly (parseFloat's
  // product can fall a hair under the integer once uptime has ~10 digits of ticks).
  if (i > 0 && i + 3 <= length && bytes[i] === 0x2e /* . */) {
    const tenths = (bytes[i + 1] as number) - 48;
    const hundredths = (bytes[i + 2] as number) - 48;
    const after = i + 3 < length ? (bytes[i + 3] as number) : SPACE;
    if (tenths >= 0 && tenths <= 9 && hundredths >= 0 && hundredths <= 9 && (isBlank(after) || after === NEWLINE)) {
      return whole * CLOCK_TICKS_PER_SECOND + tenths * 10 + hundredths;
    }
  }
  const seconds = Number.parseFloat(bytes.toString("latin1", 0, length));
  return Number.isFinite(seconds) && seconds >= 0 ? Math.floor(seconds * CLOCK_TICKS_PER_SECOND + 1e-6) : null;
}

/** How often (clock ticks) a reader with a verified layout parses btime again: 10 s. */
const BOOT_TIME_RECHECK_TICKS = 10 * CLOCK_TICKS_PER_SECOND;

/**
 * Reads the scan clock; on a real procfs (`keep`) with /proc/stat and
 * /proc/uptime kept open between scans (two descriptors, closed by
 * {@link close}), in a fixture tree by path each time (a replaced plain
 * file must be read anew).
 *
 * With kept descriptors, /proc/stat is parsed whole (parseStatClock) until
 * one reading had the kernel's layout (its aggregate line first, no second
 * one); after that only the first line is summed, and btime is parsed again
 * every {@link BOOT_TIME_RECHECK_TICKS} (it moves only when the wall clock is
 * stepped). A running kernel does not change the layout it prints, and the
 * rest of the text (a line per CPU, the interrupt counters) is what made the
 * whole parse cost ~40 µs of a scan's CPU after the agent's idle pause
 * between scans (measured 2026-12-03 at 70 processes: a scan of ~0.8 ms, its
 * whole /proc/stat parse ~0.5 µs when run back to back, 39 µs after a 20 ms
 * pause). Any first line the fast path does not recognise goes through the
 * whole parse again.
 */
export class ScanClockReader {
  private readonly stat: KeptProcFile;
  private readonly uptime: KeptProcFile;
  /** A whole parse found the kernel's layout (kept descriptors only): the first line is enough. */
  private layoutKnown = false;
  private bootTime: number | null = null;
  /** uptimeTicks when btime was last parsed. */
  private bootTimeAt = -Infinity;

  constructor(procRoot: string, private readonly keep: boolean) {
    // /proc/stat is ~1 KiB on a small machine; more with many CPUs and interrupt lines (then its buffer grows).
    this.stat = new KeptProcFile(`${procRoot}/stat`, procRoot, 4096, keep, true);
    this.uptime = new KeptProcFile(`${procRoot}/uptime`, procRoot, 128, keep, true);
  }

  read(): ScanClock {
    let totalJiffies: number | null = null;
    let uptimeTicks: number | null = null;
    const statLength = readQuietly(this.stat);
    const uptimeLength = readQuietly(this.uptime);
    if (uptimeLength !== null) uptimeTicks = parseUptimeTicks(this.uptime.bytes, uptimeLength);
    if (statLength === null) {
      this.layoutKnown = false;
      return { totalJiffies, uptimeTicks, bootTime: null };
    }
    const bytes = this.stat.bytes;
    const first = this.layoutKnown ? aggregateLine(bytes, statLength) : undefined;
    if (first !== undefined) {
      totalJiffies = first.total;
      const since = uptimeTicks === null ? NaN : uptimeTicks - this.bootTimeAt;
      if (!(since >= 0 && since < BOOT_TIME_RECHECK_TICKS)) this.noteBootTime(bootTimeOf(bytes, statLength), uptimeTicks);
    } else {
      const whole = statClock(bytes, statLength);
      totalJiffies = whole.totalJiffies;
      this.noteBootTime(whole.bootTime, uptimeTicks);
      // The whole parse found the kernel's layout: later readings may sum the first line alone.
      this.layoutKnown = this.keep && whole.kernelLayout;
    }
    return { totalJiffies, uptimeTicks, bootTime: this.bootTime };
  }

  private noteBootTime(bootTime: number | null, uptimeTicks: number | null): void {
    this.bootTime = bootTime;
    this.bootTimeAt = uptimeTicks ?? -Infinity;
  }

  close(): void {
    this.stat.close();
    this.uptime.close();
  }
}

/** A clock file's length, or null when it cannot be read (the clock is then unknown, not an error). */
function readQuietly(file: KeptProcFile): number | null {
  try {
    return file.readBytes();
  } catch {
    return null;
  }
}
