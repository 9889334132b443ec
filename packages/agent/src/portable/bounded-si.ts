/**
 * Every systeminformation call the portable backend makes goes through here:
 * bounded in time, and never two of the same at once.
 *
 * Why bounded: si shells out (`ps`, `cat /proc/<pid>/stat` for every process,
 * `lsblk`, `df`, `sensors`, PowerShell on Windows) with `exec` and no timeout,
 * and its promise settles only when the child exits. A child that never exits
 * (`ps` blocked reading a process stuck in the kernel, a hung network mount
 * under `df`) would hold the request, and every request sharing its cache,
 * for ever. Here a caller gets a precise {@link SiCallTimeout} after
 * `timeoutMs`; the registry turns it into null fields or an error reply naming
 * the call.
 *
 * Why never twice at once: si keeps module-global state per function (the
 * previous process listing and CPU baseline, network counters, an interface
 * cache), shared by every agent in the process. Concurrent callers of the
 * same call (same arguments) share the one in flight. A call stuck past its
 * deadline is not started again while it is still running, so a stuck child
 * costs one process, not one more per request: later callers are told at once
 * that it is still stuck.
 *
 * No timer outlives its call: each caller's deadline timer is cleared when the
 * call settles, so an idle agent keeps none.
 */
import { monotonicMs } from "../clock.js";
import type { SystemInformation } from "./system-information.js";

/**
 * The bound of one si call: 1 s below the connector's 10 s request timeout, so a client gets
 * the reply (with that field empty, or an error naming the call) before it gives up. si's
 * process listing forks one `cat` per process: it took over 7.6 s here at load ~10 with
 * several hundred processes, so a tighter bound would fail real listings.
 */
export const SI_CALL_TIMEOUT_MS = 9000;

/** An si call that did not answer within its bound (or is still stuck from an earlier request). */
export class SiCallTimeout extends Error {
  override readonly name = "SiCallTimeout";
  constructor(
    readonly call: string,
    readonly runningMs: number,
    readonly timeoutMs: number,
  ) {
    super(
      `systeminformation ${call} gave no answer within ${timeoutMs} ms (running for ${(runningMs / 1000).toFixed(1)} s; ` +
        "its child process is not started again until it answers)",
    );
  }
}

/**
 * Settles as `promise` does, or calls `onTimeout` after `ms` and settles with its result.
 * The timer is cleared as soon as `promise` settles.
 */
export function withDeadline<T, U>(promise: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  return new Promise<T | U>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, Math.max(0, ms));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

interface Flight {
  promise: Promise<unknown>;
  startedAt: number;
}

export interface BoundedOptions {
  timeoutMs?: number;
  now?: () => number;
}

/** The library with every call bounded by `timeoutMs` and shared while in flight (see the module comment). */
export function boundedSystemInformation(si: SystemInformation, options: BoundedOptions = {}): SystemInformation {
  const timeoutMs = options.timeoutMs ?? SI_CALL_TIMEOUT_MS;
  const now = options.now ?? monotonicMs;
  const flights = new Map<string, Flight>();

  function call<T>(name: string, args: readonly string[], run: () => Promise<T>): Promise<T> {
    const key = `${name}(${args.map((a) => JSON.stringify(a)).join(", ")})`;
    let flight = flights.get(key);
    if (flight === undefined) {
      const started: Flight = { promise: Promise.resolve(), startedAt: now() };
      // The call itself may throw synchronously: that is a rejection like any other.
      started.promise = new Promise<T>((resolve) => resolve(run())).finally(() => flights.delete(key));
      flights.set(key, started);
      flight = started;
    }
    const { promise, startedAt } = flight;
    const timeout = (): SiCallTimeout => new SiCallTimeout(key, now() - startedAt, timeoutMs);
    const left = startedAt + timeoutMs - now();
    if (left <= 0) return Promise.reject(timeout());
    return withDeadline(promise as Promise<T>, left, () => {
      throw timeout();
    });
  }

  return {
    mem: () => call("mem", [], () => si.mem()),
    networkStats: (ifaces) => call("networkStats", [ifaces], () => si.networkStats(ifaces)),
    cpuTemperature: () => call("cpuTemperature", [], () => si.cpuTemperature()),
    graphics: () => call("graphics", [], () => si.graphics()),
    fsSize: () => call("fsSize", [], () => si.fsSize()),
    blockDevices: () => call("blockDevices", [], () => si.blockDevices()),
    processes: () => call("processes", [], () => si.processes()),
  };
}
