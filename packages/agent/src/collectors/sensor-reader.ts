/**
 * Reads sensor and device files (hwmon and thermal-zone temperature inputs,
 * the NVMe composite temperature, amdgpu's busy percentage) asynchronously,
 * each read bounded by a timeout.
 *
 * Why not like /proc (readTextSync in procfs.ts): reading these files runs
 * driver code that may talk to hardware (drivetemp issues a SMART command,
 * nvme an admin command, ACPI zones evaluate AML, amdgpu messages its SMU),
 * and a device that does not answer blocks the read for seconds or for ever.
 * Read synchronously, that would stall the event loop and with it every
 * client; read asynchronously, it blocks one libuv threadpool thread instead,
 * and the reply goes out after the timeout with that reading null.
 *
 * A blocked read cannot be cancelled: its thread stays blocked until the
 * kernel returns, and the threadpool (UV_THREADPOOL_SIZE, 4 by default) also
 * serves every other file-system call, dns.lookup, zlib and crypto. So:
 * - a path is never read twice at once (concurrent callers share one read);
 * - a read that outlives the timeout marks its path slow: the path is not read
 *   again while that read is stuck, nor for `slowForMs` after it returns, so a
 *   hung sensor holds one thread, not one more per request, and a sensor that
 *   is merely slow is retried now and then rather than never;
 * - at most `maxInFlight` sensor reads run at once (default half the pool), so
 *   hung sensors can never take every thread; when every slot is held by a
 *   stuck read, further sensor reads answer null at once instead of queueing.
 * One line is logged when a path turns slow (so at most once per `slowForMs`
 * per path) and at most once a minute while reads are refused for want of a
 * slot. Nothing runs between requests: the only timer is a read's deadline.
 */
import { open } from "node:fs/promises";
import { monotonicMs } from "../clock.js";

/**
 * What one read gave: the file's text; nothing (absent, or an errno the
 * driver chose); no answer within the timeout ("slow": the caller waited);
 * or not read at all ("skipped": the path is known to hang, or every slot is
 * held by a hung read; the caller did not wait).
 */
export type SensorReading = { kind: "text"; text: string } | { kind: "absent" } | { kind: "slow" } | { kind: "skipped" };

/** Reads blocked in the kernel past their deadline, in every reader of the process (see {@link stuckSensorReads}). */
let stuckInProcess = 0;

/**
 * How many sensor reads are blocked in the kernel right now. process.exit()
 * joins libuv's threadpool and so waits for ever on such a read; a process
 * that has one must end by its signal instead (cli.ts does).
 */
export function stuckSensorReads(): number {
  return stuckInProcess;
}

const ABSENT: SensorReading = { kind: "absent" };
const SLOW: SensorReading = { kind: "slow" };
const SKIPPED: SensorReading = { kind: "skipped" };

export interface SensorReaderOptions {
  /** How long one read may take (default 500 ms). */
  timeoutMs?: number;
  /** How long a path that timed out is skipped after its read finally returns (default one minute). */
  slowForMs?: number;
  /** Sensor reads running at once (default half of UV_THREADPOOL_SIZE, at least 1). */
  maxInFlight?: number;
  log?: (line: string) => void;
  now?: () => number;
}

interface Flight {
  result: Promise<SensorReading>;
  /** Past its deadline and still blocked in the kernel. */
  stuck: boolean;
}

/** The threadpool size libuv uses: UV_THREADPOOL_SIZE when set (it is read once, at the pool's first use), else 4. */
export function threadpoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? Math.min(size, 1024) : 4;
}

/** Sensor attributes are a few bytes; sysfs caps an attribute at one page. */
const INITIAL_BYTES = 256;

/** The whole file, read through a FileHandle (thread pool), or null on any error. */
async function readWhole(path: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return null;
  }
  try {
    let buffer = Buffer.allocUnsafe(INITIAL_BYTES);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
    }
    return buffer.toString("latin1", 0, length);
  } catch {
    // ENODATA from a sleeping drive, EIO, EBUSY from a GPU powering up…: no value now.
    return null;
  } finally {
    await handle.close().catch(() => {});
  }
}

export class SensorReader {
  readonly timeoutMs: number;
  private readonly slowForMs: number;
  private readonly maxInFlight: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly flights = new Map<string, Flight>();
  /** Paths that timed out and returned since, with when they may be read again. */
  private readonly slowUntil = new Map<string, number>();
  /** Reads waiting for a slot: granted one when a read returns, refused when every slot is stuck. */
  private readonly waiting: Array<{ grant: () => void; refuse: () => void }> = [];
  private running = 0;
  private refusedLoggedAt = -Infinity;

  constructor(options: SensorReaderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 500;
    this.slowForMs = options.slowForMs ?? 60_000;
    this.maxInFlight = options.maxInFlight ?? Math.max(1, Math.floor(threadpoolSize() / 2));
    this.log = options.log ?? (() => {});
    this.now = options.now ?? monotonicMs;
  }

  /** The file's text, or null when it is absent, fails, or does not answer in time. Never rejects. */
  async readText(path: string): Promise<string | null> {
    const reading = await this.read(path);
    return reading.kind === "text" ? reading.text : null;
  }

  /** Reads `path`, telling a sensor that does not answer ("slow", "skipped") from one that has no value. Never rejects. */
  read(path: string): Promise<SensorReading> {
    const flight = this.flights.get(path);
    if (flight !== undefined) return flight.stuck ? Promise.resolve(SKIPPED) : flight.result;
    const until = this.slowUntil.get(path);
    if (until !== undefined) {
      if (this.now() < until) return Promise.resolve(SKIPPED);
      this.slowUntil.delete(path);
    }
    const started = this.now();
    const result = this.acquire().then((granted) => (granted ? this.fly(path, started) : SKIPPED));
    this.flights.set(path, { result, stuck: false });
    // A read refused for want of a slot leaves no trace: the path is not to blame.
    void result.then((reading) => {
      if (reading === SKIPPED && this.flights.get(path)?.result === result) this.flights.delete(path);
    });
    return result;
  }

  /** Sensor reads past their deadline and still blocked in the kernel. */
  get stuckCount(): number {
    let n = 0;
    for (const flight of this.flights.values()) if (flight.stuck) n++;
    return n;
  }

  /** Waits for a slot; false when every slot is held by a stuck read (waiting would only reach the deadline). */
  private acquire(): Promise<boolean> {
    if (this.running < this.maxInFlight) {
      this.running++;
      return Promise.resolve(true);
    }
    if (this.stuckCount >= this.maxInFlight) {
      this.logRefusal();
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve) => {
      const waiter = {
        grant: (): void => {
          clearTimeout(timer);
          this.running++;
          resolve(true);
        },
        refuse: (): void => {
          clearTimeout(timer);
          resolve(false);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve(false);
      }, this.timeoutMs);
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.grant();
  }

  /** One read in its slot, raced against what is left of the caller's deadline. */
  private fly(path: string, started: number): Promise<SensorReading> {
    const read = readWhole(path).then((text): SensorReading => (text === null ? ABSENT : { kind: "text", text }));
    const remaining = Math.max(0, this.timeoutMs - (this.now() - started));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<SensorReading>((resolve) => {
      timer = setTimeout(() => resolve(SLOW), remaining);
    });
    // Settles when the kernel returns, however late: frees the slot and the path.
    void read.then(() => {
      clearTimeout(timer);
      this.release();
      const flight = this.flights.get(path);
      this.flights.delete(path);
      if (flight?.stuck === true) {
        stuckInProcess--;
        this.slowUntil.set(path, this.now() + this.slowForMs);
        this.log(`sensor ${path} answered after ${Math.round(this.now() - started)} ms; read again in ${Math.round(this.slowForMs / 1000)} s`);
      }
    });
    return Promise.race([read, deadline]).then((reading) => {
      if (reading === SLOW) {
        const flight = this.flights.get(path);
        if (flight !== undefined) {
          flight.stuck = true;
          stuckInProcess++;
        }
        this.log(`sensor ${path} did not answer within ${this.timeoutMs} ms: reported as unavailable, and not read again while it hangs`);
        // Waiters queued behind slots that are now all stuck would only wait out their deadline.
        if (this.stuckCount >= this.maxInFlight) {
          if (this.waiting.length > 0) this.logRefusal();
          for (const waiter of this.waiting.splice(0)) waiter.refuse();
        }
      }
      return reading;
    });
  }

  private logRefusal(): void {
    const now = this.now();
    if (now - this.refusedLoggedAt < 60_000) return;
    this.refusedLoggedAt = now;
    this.log(`${this.stuckCount} sensor reads are hung; other sensors are reported as unavailable until one returns`);
  }
}

let shared: SensorReader | undefined;

/**
 * The process's default reader, for collectors built without one: the limit
 * on reads at once protects the one threadpool, so it is shared. (The agent's
 * backend builds its own, with its log and configured timeout.)
 */
export function defaultSensorReader(): SensorReader {
  shared ??= new SensorReader();
  return shared;
}
