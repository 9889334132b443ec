/**
 * The slow-changing part of a process row: owner uid and command line.
 *
 * Both cost a file-system call per process (stat of /proc/<pid>, read of
 * /proc/<pid>/cmdline), which would double the scan if made every time. They
 * change only at exec (which also changes comm) or, for the command line,
 * when a process rewrites its title, which servers do right after starting.
 * So they are read once per process and kept while its start time and comm
 * stay the same, except for processes younger than {@link SETTLE_TICKS},
 * which are read again until they have settled: at most once per
 * {@link RECHECK_TICKS}, not on every scan. A client asking every 2 s sees
 * no difference; scans a few milliseconds apart (many clients with the
 * process cache off, the bench) no longer pay a stat and a command-line read
 * per young process each time (the bench's own worker and its children were
 * 3–4 such processes per scan at ~70 processes, ~30–70 µs of CPU each).
 */
import { statSync } from "node:fs";
import { MAX_COMMAND_LENGTH } from "@socktop/protocol";
import type { ReusableFileReader } from "./procfs.js";
import { CLOCK_TICKS_PER_SECOND } from "./procfs.js";

/** A process younger than this (clock ticks) has its uid and command line read again next scan. */
export const SETTLE_TICKS = 2 * CLOCK_TICKS_PER_SECOND;

/** A process that has not settled is read again once this many clock ticks have passed since the last read. */
export const RECHECK_TICKS = CLOCK_TICKS_PER_SECOND / 2;

/** PF_KTHREAD in the flags field of /proc/<pid>/stat (include/linux/sched.h). */
const PF_KTHREAD = 0x0020_0000;

/**
 * /proc/<pid>/cmdline as one line: NUL-separated argv joined by spaces
 * (trailing NULs dropped), bytes re-read as UTF-8, cut to `max` characters
 * (never in the middle of a surrogate pair).
 */
export function commandLine(bytes: Buffer, length: number, max = MAX_COMMAND_LENGTH): string {
  let end = length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  // Enough bytes for `max` characters (UTF-8 is at most 4 bytes each) without decoding megabytes of argv.
  const text = bytes.toString("utf8", 0, Math.min(end, max * 4)).replace(/\0/g, " ");
  if (text.length <= max) return text;
  const cut = text.charCodeAt(max - 1) >= 0xd800 && text.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}

/** What is kept per process between scans (in the scan's own per-pid map). */
export interface ProcessMeta {
  starttime: number;
  comm: string;
  /** The process was old enough when read that its values are final. */
  settled: boolean;
  /** Clock ticks after boot when it was read; null when /proc/uptime was unreadable. */
  readAt: number | null;
  uid: number | undefined;
  command: string | undefined;
  /** The user name of `uid`, and the passwd generation it was looked up in. */
  user: string | undefined;
  userGeneration: number;
}

export interface ProcessMetaInput {
  pid: number;
  comm: string;
  flags: number;
  ppid: number;
  starttime: number;
}

/**
 * True while a kept entry still describes the process: same start time and
 * name (an exec changes the name), and settled or read less than
 * {@link RECHECK_TICKS} ago.
 */
export function metaStillValid(meta: ProcessMeta | undefined, p: ProcessMetaInput, uptimeTicks: number | null): meta is ProcessMeta {
  if (meta === undefined || meta.starttime !== p.starttime || meta.comm !== p.comm) return false;
  if (meta.settled) return true;
  const since = uptimeTicks === null || meta.readAt === null ? NaN : uptimeTicks - meta.readAt;
  return since >= 0 && since < RECHECK_TICKS;
}

export class ProcessMetaReader {
  constructor(
    private readonly procRoot: string,
    private readonly reader: ReusableFileReader,
  ) {}

  /** Reads uid and command line; undefined fields when they cannot be read (it exited, or hidepid). */
  read(p: ProcessMetaInput, uptimeTicks: number | null): ProcessMeta {
    const dir = `${this.procRoot}/${p.pid}`;
    let uid: number | undefined;
    try {
      // The owner of /proc/<pid> is the effective uid (root for non-dumpable processes), as top and htop show it.
      uid = statSync(dir, { throwIfNoEntry: false })?.uid;
    } catch {
      uid = undefined;
    }
    let command: string | undefined;
    const kernelThread = (p.flags & PF_KTHREAD) !== 0 || p.pid === 2 || p.ppid === 2;
    if (kernelThread) {
      command = "";
    } else {
      try {
        const length = this.reader.readBytes(`${dir}/cmdline`);
        command = length === null ? undefined : commandLine(this.reader.bytes, length);
      } catch {
        command = undefined;
      }
    }
    const settled = uptimeTicks !== null && uptimeTicks - p.starttime >= SETTLE_TICKS && uid !== undefined && command !== undefined;
    return { starttime: p.starttime, comm: p.comm, settled, readAt: uptimeTicks, uid, command, user: undefined, userGeneration: -1 };
  }
}
