/**
 * /proc/<pid>/stat parsed: the whole line for the details view and signals
 * (parsePidStat), and the scan's fields straight from the bytes
 * (parseScanFields), both refusing what the kernel never writes.
 */
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
export function parseUint(text: string): number {
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
/** Whether bytes[start, end) are `text`'s characters, all ASCII (a non-ASCII name is decoded afresh). */
function sameAscii(bytes: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = start, j = 0; i < end; i++, j++) {
    const c = bytes[i] as number;
    if (c >= 0x80 || c !== text.charCodeAt(j)) return false;
  }
  return true;
}

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
export function parseScanFields(bytes: Buffer, length: number, into?: ScanFields, previousComm?: string): ScanFields | null {
  let open = -1;
  for (let i = 0; i < length; i++) {
    if (bytes[i] === 0x28 /* ( */) {
      open = i;
      break;
    }
  }
  // The name ends at the LAST ')' (a name may hold parentheses); a native search from the end
  // (the line's other ~250 bytes one by one in JS were a fifth of this function's time).
  const close = open > 0 ? bytes.lastIndexOf(0x29 /* ) */, length - 1) : -1;
  if (open <= 0 || close < open || close + 1 >= length || bytes[close + 1] !== 0x20) return null;
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
  // The previous scan's string when the name is unchanged (the usual case): no new string per process.
  const comm = previousComm !== undefined && sameAscii(bytes, open + 1, close, previousComm) ? previousComm : commOf(bytes, open + 1, close);
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

/** Field number of exit_signal after "comm) " (field 38 of proc(5), 0 = state). */
const F_EXIT_SIGNAL = 35;

/**
 * Whether a /proc/<id>/stat line is a thread's that is not its group's
 * leader: its exit_signal (field 38) is -1, which the kernel gives every
 * task cloned with CLONE_THREAD and no thread-group leader (a leader gets
 * the signal its parent asked for, SIGCHLD after an exec by another thread
 * or a reparenting). /proc/<tid>/stat opens for any thread id although
 * listing /proc shows leaders only, so a scan that finds pids without the
 * listing (process-listing.ts) drops these. False for anything it cannot
 * read (a short or odd line is left to the stat parser to judge).
 */
export function isNonLeaderThread(bytes: Buffer, length: number): boolean {
  let close = -1;
  for (let i = length - 1; i >= 0; i--) {
    if (bytes[i] === 0x29 /* ) */) {
      close = i;
      break;
    }
  }
  if (close < 0) return false;
  let field = 0;
  let i = close + 2;
  for (; i < length && field < F_EXIT_SIGNAL; i++) if (bytes[i] === 0x20) field++;
  return field === F_EXIT_SIGNAL && bytes[i] === 0x2d /* - */ && bytes[i + 1] === 0x31 /* 1 */ && (i + 2 >= length || isSpace(bytes[i + 2]));
}
