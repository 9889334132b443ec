/**
 * Small, allocation-conscious synchronous readers for procfs and cheap sysfs
 * files (sensor inputs, which can reach hardware, are read by sensor-reader.ts).
 *
 * Files under /proc and /sys are tiny and generated on read; the common
 * failures (the process exited, the file does not exist on this kernel, no
 * permission) are normal states, reported as `null` rather than thrown.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { readFileSync, readdirSync } from "node:fs";

/** Errors that mean "this file is not there for us", not "something is broken". */
const ABSENT = new Set(["ENOENT", "ESRCH", "EACCES", "EPERM", "ENOTDIR", "EINVAL", "ENXIO", "ENODEV", "EIO"]);

export function isAbsent(error: unknown): boolean {
  return typeof error === "object" && error !== null && ABSENT.has((error as NodeJS.ErrnoException).code ?? "");
}

/**
 * Reads a whole /proc file (or a cheap /sys attribute), or null when it is
 * absent; other errors throw.
 *
 * Synchronous on purpose, into one shared buffer: these files are generated
 * from kernel memory and answer in microseconds, while fs.promises.readFile
 * costs several thread-pool round trips and a fresh 64 KiB buffer per procfs
 * file (bench: 926 → 311 µs of CPU per fast-metrics collection). Files that
 * can reach hardware (sensor inputs) must not come here: they go through
 * SensorReader (sensor-reader.ts), asynchronously and with a timeout.
 */
export function readTextSync(path: string): string | null {
  return sharedReader.read(path);
}

/** Directory entries, or none when the directory is missing or unreadable. */
export function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * A cheap sysfs attribute's text (a sensor's name or label, a device's
 * vendor id: driver bookkeeping, no hardware access), or null on any error:
 * attributes fail with ENODATA, EAGAIN, EBUSY, EIO… when a device has no
 * value right now, and one broken attribute must not hide the others.
 */
export function readAttributeSync(path: string): string | null {
  try {
    return readTextSync(path);
  } catch {
    return null;
  }
}

/**
 * A whole file that is not procfs's (/etc/passwd), in a buffer of its own so
 * that the shared /proc buffer does not grow to its size; null when absent.
 */
export function readWholeFileSync(path: string): string | null {
  try {
    return readFileSync(path, "latin1");
  } catch (error) {
    if (isAbsent(error)) return null;
    throw error;
  }
}

/**
 * Reads small files into one reused buffer. procfs files report size 0, so
 * readFile() grows a fresh buffer per call; for hot paths (one stat file per
 * process) a single preallocated buffer avoids that garbage.
 */
export class ReusableFileReader {
  private buffer: Buffer;

  constructor(initialSize = 4096) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /** The file's text (latin1), or null when absent. Grows the buffer for larger files. */
  read(path: string): string | null {
    const length = this.readBytes(path);
    return length === null ? null : this.buffer.toString("latin1", 0, length);
  }

  /**
   * Reads the file into {@link bytes} and returns its length, or null when
   * absent: for parsers that work on the bytes without building a string.
   * The bytes are valid until the next read.
   */
  readBytes(path: string): number | null {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      if (isAbsent(error)) return null;
      throw error;
    }
    try {
      let length = 0;
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, this.buffer, length, this.buffer.length - length, null);
        } catch (error) {
          if (isAbsent(error)) return null;
          throw error;
        }
        if (n === 0) break;
        length += n;
        if (length === this.buffer.length) {
          const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(bigger, 0, 0, length);
          this.buffer = bigger;
        }
      }
      return length;
    } finally {
      closeSync(fd);
    }
  }

  /** The buffer the last {@link readBytes} filled. */
  get bytes(): Buffer {
    return this.buffer;
  }
}

/** Parses a number from a sysfs attribute file ("42000\n"); null when not a number. */
export function parseNumberFile(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

const sharedReader = new ReusableFileReader(16 * 1024);

let cachedPageSize: number | undefined;

/**
 * The kernel page size in bytes (RSS in /proc/<pid>/stat is counted in pages).
 * Node has no sysconf(), so it is derived once from our own RSS as both the
 * kernel (pages, /proc/self/statm) and libuv (bytes) report it.
 */
export function pageSize(procRoot = "/proc"): number {
  if (cachedPageSize !== undefined) return cachedPageSize;
  let size = 4096;
  const statm = readTextSync(`${procRoot}/self/statm`);
  const pages = statm === null ? NaN : Number(statm.split(" ")[1]);
  if (Number.isFinite(pages) && pages > 0) {
    const ratio = process.memoryUsage.rss() / pages;
    for (const candidate of [4096, 16384, 65536]) {
      if (Math.abs(ratio - candidate) / candidate < 0.25) size = candidate;
    }
  }
  cachedPageSize = size;
  return size;
}

/**
 * Long synchronous /proc walks (the process scan, a process with thousands of
 * threads) hand the event loop back after this many file reads, so that
 * other clients are served meanwhile.
 */
export const YIELD_EVERY = 256;

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** USER_HZ: the unit of CPU times in /proc. It is 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Whether a character code separates fields in /proc text (space, tab, CR): for parsers that walk a line in place. */
export function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}
