/**
 * Which pids a process scan reads: the listing of /proc, or, when it cannot
 * have missed anything, the processes it already keeps open plus the few
 * pids handed out since the last scan.
 *
 * Why: listing /proc is the dearest fixed cost of a scan at a few dozen
 * processes (~0.3 ms of ~1.1 ms at ~75 processes after an idle pause: the
 * kernel walks every task and Node builds, sorts and returns a string per
 * entry, ~140 of them with the non-pid entries). The kernel tells which pids
 * can be new: /proc/loadavg's last field is the pid namespace's allocation
 * cursor (the last pid handed out, idr_alloc_cyclic: each new pid is the
 * lowest free one above it, wrapping at pid_max). So every process that
 * appeared since the previous scan has a pid in (previous cursor, cursor],
 * and every process that went away fails its kept descriptor with ESRCH
 * (kept-stat-files.ts). The scan then reads its kept descriptors and
 * opens the pids of that interval (most are gone already, or threads, which
 * KeptStatFiles.read turns away), instead of listing /proc.
 *
 * /proc is listed as before whenever that reasoning does not hold:
 * - not a real procfs of our own pid namespace (a fixture tree, a host's
 *   /proc mounted in a container: its loadavg cursor would be ours, not its);
 * - the previous scan did not end with every process on a kept descriptor
 *   (cap reached, an open that failed for another reason than its exit);
 * - the cursor went backwards (pids wrapped past pid_max, or someone wrote
 *   ns_last_pid) or moved by more pids than opening them would cost;
 * - {@link FULL_LISTING_TICKS} passed since the last listing. Pids chosen
 *   explicitly (clone3's set_tid, checkpoint/restore tools, which need
 *   CAP_CHECKPOINT_RESTORE) do not move the cursor: such a process is
 *   listed at the latest that much later.
 * A fork takes its pid a moment before its process becomes visible in
 * /proc; a pid of the interval that could not be opened is therefore tried
 * once more at the next scan.
 */
import { readdirSync, readlinkSync } from "node:fs";
import type { KeptStatFiles } from "./kept-stat-files.js";
import { KeptProcFile } from "./kept-proc-file.js";
import { parseUint } from "./process-stat.js";
import { CLOCK_TICKS_PER_SECOND } from "./procfs.js";

/** /proc is listed at least this often (clock ticks), whatever the cursor says. */
export const FULL_LISTING_TICKS = 10 * CLOCK_TICKS_PER_SECOND;

/** /proc entries that are processes: all-digit names ("self", "sys", … are not). */
export function pidOf(name: string): number {
  const pid = parseUint(name);
  return pid > 0 ? pid : NaN;
}

/** The last field of /proc/loadavg ("0.52 0.58 0.59 2/313 21563"): the last pid handed out; NaN when malformed. */
export function parseLastPid(bytes: Buffer, length: number): number {
  let end = length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x20)) end--;
  let start = end;
  while (start > 0 && bytes[start - 1] !== 0x20) start--;
  // Five fields: four spaces before the last one (an older or odd format is not trusted).
  let spaces = 0;
  for (let i = 0; i < start; i++) if (bytes[i] === 0x20) spaces++;
  if (spaces !== 4 || start === end) return NaN;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = (bytes[i] as number) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Most pids of the cursor's interval opened instead of a listing: a fixed
 * allowance plus a quarter of the processes kept (a failed open costs a few
 * µs, a listing ~2 µs per /proc entry).
 */
export function mostProbes(kept: number): number {
  return 16 + (kept >> 2);
}

export class PidSource {
  private readonly loadavg: KeptProcFile | null;
  /** The cursor read at the previous scan; NaN when unknown. */
  private cursor = NaN;
  /** Pids of the previous interval that could not be opened (maybe a fork not yet visible): tried once more. */
  private retry: number[] = [];
  private nextRetry: number[] = [];
  /** uptimeTicks of the last listing. */
  private listedAt = -Infinity;
  /** Where in `out` the pids to try begin, and where the retried ones end (-1: /proc was listed). */
  private triesFrom = -1;
  private retriesUpTo = -1;
  /** The previous scan ended with every process it read on a kept descriptor. */
  private complete = false;
  private readonly out: number[] = [];
  /** How many scans listed /proc (for tests). */
  listings = 0;

  /**
   * `kept`: the scan's kept descriptors (null when it keeps none: then /proc is always listed).
   */
  constructor(
    private readonly procRoot: string,
    private readonly kept: KeptStatFiles | null,
  ) {
    this.loadavg = kept !== null && ownNamespace(procRoot) ? new KeptProcFile(`${procRoot}/loadavg`, procRoot, 128, true, true) : null;
  }

  /**
   * The pids to read this scan (an array reused by the next call). Call
   * after the scan's clock reading and after kept.beginScan(); `uptimeTicks`
   * is that reading's. Going by the cursor, the kept pids come first and the
   * pids to try after them: the scan's own read of each (KeptStatFiles.read)
   * opens it, or finds it gone or a thread's.
   */
  pids(uptimeTicks: number | null, mayUseCursor = true): number[] {
    const out = this.out;
    out.length = 0;
    const before = this.cursor;
    const cursor = this.readCursor();
    this.cursor = cursor;
    // The previous scan's failed tries become this scan's retries.
    const retry = this.retry;
    this.retry = this.nextRetry;
    this.nextRetry = retry;
    this.retry.length = 0;
    this.triesFrom = -1;
    this.retriesUpTo = -1;
    const kept = this.kept;
    if (
      mayUseCursor &&
      kept !== null &&
      this.complete &&
      uptimeTicks !== null &&
      uptimeTicks >= this.listedAt &&
      uptimeTicks - this.listedAt < FULL_LISTING_TICKS &&
      cursor >= before &&
      cursor - before + retry.length <= mostProbes(kept.size) &&
      // Every try must be able to keep its descriptor: a file read by path is not checked for being a thread's.
      kept.size + cursor - before + retry.length <= kept.cap
    ) {
      kept.keptPidsInto(out);
      this.triesFrom = out.length;
      for (const pid of retry) if (!kept.has(pid)) out.push(pid);
      this.retriesUpTo = out.length;
      for (let pid = before + 1; pid <= cursor; pid++) if (!kept.has(pid)) out.push(pid);
      return out;
    }
    for (const name of readdirSync(this.procRoot)) {
      const pid = pidOf(name);
      if (pid > 0) out.push(pid);
    }
    this.listings++;
    this.listedAt = uptimeTicks ?? -Infinity;
    return out;
  }

  /**
   * After the scan: `complete` when every pid it read is on a kept
   * descriptor or gone (then the next scan may go by the cursor).
   */
  finish(complete: boolean): void {
    const kept = this.kept;
    this.complete = complete && kept !== null && kept.unkept === 0 && Number.isFinite(this.cursor);
    if (kept === null || this.triesFrom < 0) return;
    // A pid of the interval that could not be opened may be a fork not yet visible: tried once more next scan.
    const out = this.out;
    for (let i = this.retriesUpTo; i < out.length; i++) {
      const pid = out[i] as number;
      if (!kept.has(pid)) this.retry.push(pid);
    }
  }

  close(): void {
    this.loadavg?.close();
  }

  private readCursor(): number {
    if (this.loadavg === null) return NaN;
    try {
      const length = this.loadavg.readBytes();
      return length === null ? NaN : parseLastPid(this.loadavg.bytes, length);
    } catch {
      return NaN;
    }
  }
}

/** Whether procRoot is the procfs of our own pid namespace: its "self" is our pid there. */
function ownNamespace(procRoot: string): boolean {
  try {
    return readlinkSync(`${procRoot}/self`) === String(process.pid);
  } catch {
    return false;
  }
}
