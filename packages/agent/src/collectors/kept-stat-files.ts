/**
 * Kept /proc/<pid>/stat descriptors for the process scan (see KeptStatFiles).
 */
import { closeSync, existsSync, openSync, readSync, statfsSync } from "node:fs";
import { isNonLeaderThread } from "./process-stat.js";
import { isAbsent, readTextSync } from "./procfs.js";

/** statfs f_type of procfs (PROC_SUPER_MAGIC). */
const PROC_SUPER_MAGIC = 0x9fa0;

/** Default cap on kept descriptors: above the ~2,000 processes of a busy host, far below the fd limit. */
export const DEFAULT_MAX_KEPT_DESCRIPTORS = 4096;

/**
 * The cap actually used: the requested one, but never more than a quarter of
 * this process's soft open-files limit, so that the kept stat files can never
 * starve client connections of descriptors.
 */
export function effectiveCap(requested: number): number {
  const limits = readTextSync("/proc/self/limits");
  const match = limits === null ? null : /^Max open files\s+(\d+)/m.exec(limits);
  const soft = match === null ? Infinity : Number(match[1]);
  return Math.max(0, Math.min(requested, Math.floor(soft / 4)));
}

/** {@link KeptStatFiles.read}: read this file by path (no descriptor can be kept for it: the cap is reached, or its line fills the buffer). */
export const READ_BY_PATH = -1;
/** {@link KeptStatFiles.read}: no such process (it exited, or the id is a thread's, not a process's): nothing to read by path either. */
export const GONE = -2;

interface KeptFile {
  fd: number;
  /** Number of the last scan that listed this pid. */
  scan: number;
}

/**
 * /proc/<pid>/stat descriptors kept open between scans and re-read with
 * pread at offset 0 (`readSync(fd, buf, 0, n, 0)`): one binding call per
 * process instead of three (bench: the open and close were most of Node's
 * I/O cost per process; C measures 0.5× for the same change).
 *
 * Correctness rests on procfs: a descriptor belongs to the process it was
 * opened for, not to the pid number. Once that process is gone every read
 * fails with ESRCH, even when a new process has taken its pid since, so a
 * reused pid is never reported with the old process's line: the descriptor is
 * closed and the pid's file opened afresh. That is why keeping is only done
 * when procRoot is a real procfs (statfs); a fixture tree of plain files
 * would keep serving a deleted file's old bytes.
 *
 * Bounds: at most `cap` descriptors. When the cap is reached, further pids
 * are read with open + read + close (no eviction churn: the kept set is
 * stable across scans, and a slot frees when its process goes). Descriptors
 * of pids missing from a scan's listing are closed at the end of that scan.
 *
 * Idle: nothing runs between scans (no timer), so when nobody asks for a
 * long time the descriptors of processes that exited meanwhile stay open
 * until the next scan. That is harmless: such a descriptor pins only the
 * kernel's small struct pid and proc inode (no memory, files or pid number of
 * the dead process: the number is free for reuse, and ESRCH tells us so),
 * the count stays under the cap, and the next scan closes them. A timer to
 * release them would wake an idle agent for no one's benefit.
 */
export class KeptStatFiles {
  private readonly files = new Map<number, KeptFile>();
  private scanNumber = 0;
  /** Kept files read in the current scan: when that is all of them, no process exited. */
  private touched = 0;
  /** Reads of the current scan answered {@link READ_BY_PATH} because the cap was reached. */
  unkept = 0;
  private buffer = Buffer.allocUnsafe(2048);

  constructor(
    private readonly procRoot: string,
    readonly cap: number,
  ) {}

  /** How many descriptors are open now. */
  get size(): number {
    return this.files.size;
  }

  /** The pids whose stat file is kept open (for tests). */
  pids(): number[] {
    return [...this.files.keys()];
  }

  /** Marks the start of a scan: pids not read before {@link endScan} lose their descriptor. */
  beginScan(): void {
    this.scanNumber++;
    this.touched = 0;
    this.unkept = 0;
  }

  /** The bytes of the last successful {@link read}. */
  get bytes(): Buffer {
    return this.buffer;
  }

  /**
   * Reads /proc/<pid>/stat into {@link bytes}: the line's length, or
   * {@link READ_BY_PATH} / {@link GONE}. A descriptor opened afresh is kept
   * only for a process: the id of a thread that is not its group's leader
   * (which /proc/<tid>/stat opens although listing /proc never shows it)
   * is {@link GONE}, so that a scan finding pids without the listing cannot
   * report threads (process-listing.ts).
   */
  read(pid: number): number {
    const kept = this.files.get(pid);
    if (kept !== undefined) {
      if (kept.scan !== this.scanNumber) this.touched++;
      kept.scan = this.scanNumber;
      const n = this.pread(kept.fd);
      if (n >= 0) return n < this.buffer.length ? n : READ_BY_PATH;
      // ESRCH: the process this descriptor was opened for has exited. If the
      // pid is listed, it is a new process (pid reuse): open its file afresh.
      this.touched--;
      this.drop(pid, kept.fd);
    }
    if (this.files.size >= this.cap) {
      this.unkept++;
      return READ_BY_PATH;
    }
    const path = `${this.procRoot}/${pid}/stat`;
    // Most pids asked for afresh by a scan that goes by the pid cursor are gone already
    // (process-listing.ts): existsSync answers that without the Error object a failed
    // openSync builds (measured: ~1 µs against ~11 µs warm, ~25 µs after an idle pause).
    if (!existsSync(path)) return GONE;
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      if (isAbsent(error)) return GONE;
      throw error;
    }
    const n = this.pread(fd);
    if (n < 0 || isNonLeaderThread(this.buffer, n)) {
      closeSync(fd);
      return GONE;
    }
    this.files.set(pid, { fd, scan: this.scanNumber });
    this.touched++;
    return n < this.buffer.length ? n : READ_BY_PATH;
  }

  /** Appends the pids kept open to `out` (in the order they were first kept). */
  keptPidsInto(out: number[]): void {
    for (const pid of this.files.keys()) out.push(pid);
  }

  /** Whether /proc/<pid>/stat is kept open. */
  has(pid: number): boolean {
    return this.files.has(pid);
  }

  /** Closes the descriptors of pids the scan did not list: their processes are gone. */
  endScan(): void {
    // Usually no process exited since the last scan: then there is nothing to walk.
    if (this.touched === this.files.size) return;
    for (const [pid, kept] of this.files) if (kept.scan !== this.scanNumber) this.drop(pid, kept.fd);
  }

  /** Closes every kept descriptor. */
  close(): void {
    for (const [pid, kept] of this.files) this.drop(pid, kept.fd);
  }

  private pread(fd: number): number {
    try {
      return readSync(fd, this.buffer, 0, this.buffer.length, 0);
    } catch {
      // ESRCH (gone) or anything else: the caller treats the descriptor as dead.
      return -1;
    }
  }

  private drop(pid: number, fd: number): void {
    this.files.delete(pid);
    try {
      closeSync(fd);
    } catch {
      // Already closed is the only way this fails; nothing to undo.
    }
  }
}

export function isProcfs(root: string): boolean {
  try {
    return statfsSync(root).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}
