/**
 * Shared helpers for the benchmark suite: statistics, /proc readings of other
 * processes, a registry of every process the bench started (killed by PID on
 * any exit), loopback ports and small HTTP helpers.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { request as httpRequest, Agent as HttpAgent } from "node:http";
import { createServer } from "node:net";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** USER_HZ: /proc CPU times are in 1/100 s on every Linux Node runs on. */
export const TICKS_PER_SECOND = 100;

/** The rates a watcher polls at (the TUI's defaults): metrics every 500 ms, processes 2 s, disks 5 s. */
export const WATCHER_RATES = { metrics: 500, processes: 2000, disks: 5000 };

/** Runs `poll(kind)` for every kind at its rate for durationMs, then waits for the replies; counts requests and failures. */
export async function pollAtRates(durationMs, poll, rates = WATCHER_RATES) {
  let failures = 0;
  let requests = 0;
  const timers = [];
  const inflight = new Set();
  const fire = (kind) => {
    requests++;
    const p = poll(kind)
      .catch(() => {
        failures++;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  for (const [kind, every] of Object.entries(rates)) {
    fire(kind);
    timers.push(setInterval(() => fire(kind), every));
  }
  await sleep(durationMs);
  for (const t of timers) clearInterval(t);
  await Promise.allSettled([...inflight]);
  return { failures, requests };
}

// ---------------------------------------------------------------- statistics

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

/** median with the p10–p90 spread (the spread is the central 80 % of the samples). */
export function summarize(values) {
  return {
    n: values.length,
    median: median(values),
    p10: quantile(values, 0.1),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
  };
}

// ---------------------------------------------------------------- formatting

export function fmtMs(ms, digits) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  const d = digits ?? (ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0);
  return `${ms.toFixed(d)} ms`;
}

export function fmtNum(n, digits = 2) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return n.toFixed(digits);
}

export function fmtBytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function fmtRatio(r) {
  if (r === null || r === undefined || !Number.isFinite(r)) return "–";
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

export const spreadMs = (s) => `${fmtMs(s.p10)} – ${fmtMs(s.p90)}`;

// ---------------------------------------------------------------- /proc of other processes

/** utime+stime (ticks), rss (bytes), starttime (ticks after boot) of a process; null when gone. */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  const close = text.lastIndexOf(")");
  const f = text.slice(close + 2).split(" ");
  // f[0] is field 3 (state): utime=14, stime=15, starttime=22, rss=24.
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  return {
    state: f[0],
    ticks: utime + stime,
    utime,
    stime,
    starttime: Number(f[19]),
    rssBytes: Number(f[21]) * 4096,
    comm: text.slice(text.indexOf("(") + 1, close),
  };
}

/** VmRSS / VmHWM in bytes from /proc/<pid>/status (exact page size independent). */
export function procMemory(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "latin1");
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
      return m ? Number(m[1]) * 1024 : NaN;
    };
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/**
 * Proportional and private memory from /proc/<pid>/smaps_rollup, in bytes:
 * VmRSS counts the node binary's code pages, which every Node process on the
 * machine shares (~40 MB); Pss splits shared pages among their users and
 * "private" is what this process alone holds (anonymous + private file pages).
 */
export function procSmaps(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "latin1");
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb("Rss"), pss: kb("Pss"), private: kb("Private_Clean") + kb("Private_Dirty"), sharedClean: kb("Shared_Clean") };
  } catch {
    return { rss: NaN, pss: NaN, private: NaN, sharedClean: NaN };
  }
}

/**
 * Resident memory of a process by kind of mapping, in bytes, from /proc/<pid>/smaps:
 * `malloc` is the brk heap ([heap]: the C/C++ allocations of Node, libuv, zlib, OpenSSL),
 * `anonymous` the other private mappings (V8's heap pages, thread stacks, large mallocs),
 * `files` mapped files (the node binary and libraries). Null when unreadable.
 */
export function procRssByKind(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, "latin1");
  } catch {
    return null;
  }
  const out = { malloc: 0, anonymous: 0, files: 0 };
  let kind = "anonymous";
  for (const line of text.split("\n")) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      const name = header[2] ?? "";
      kind = name === "[heap]" ? "malloc" : name.startsWith("/") ? "files" : "anonymous";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]) * 1024;
  }
  return out;
}

/** Number of processes (numeric /proc entries) right now. */
export function processCount() {
  let n = 0;
  for (const name of readdirSync("/proc")) if (/^[0-9]+$/.test(name)) n++;
  return n;
}

/** Descendants of pid (children first), from /proc/<pid>/task/<tid>/children when available. */
export function descendants(pid) {
  const out = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    let kids = [];
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const text = readFileSync(`/proc/${p}/task/${tid}/children`, "latin1").trim();
        if (text) kids.push(...text.split(/\s+/).map(Number));
      }
    } catch {
      kids = [];
    }
    for (const k of kids) {
      out.push(k);
      stack.push(k);
    }
  }
  return out;
}

/**
 * CPU time of all threads of a process in nanoseconds, from the scheduler's
 * own accounting (/proc/<pid>/task/<tid>/schedstat, first field): exact,
 * unlike utime/stime, which the kernel samples at its tick and so overcharges
 * a process whose short bursts of work start on timer wake-ups aligned with
 * that tick. null when schedstat is unavailable.
 */
export function procCpuNs(pid) {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1");
        total += Number(text.slice(0, text.indexOf(" ")));
      } catch {
        /* thread gone */
      }
    }
  } catch {
    return null;
  }
  return Number.isFinite(total) ? total : null;
}

/**
 * CPU meter for one process since it was started: `ticks` (utime+stime, in
 * 1/100 s, what the idle target is stated in) and `cpuSeconds` (exact, from
 * schedstat when available, else from the ticks).
 */
export class CpuMeter {
  constructor(pid) {
    this.pid = pid;
    this.reset();
  }
  reset() {
    const s = procStat(this.pid);
    this.startTicks = s ? s.ticks : NaN;
    this.startNs = procCpuNs(this.pid);
    this.startAt = performance.now();
  }
  read() {
    const s = procStat(this.pid);
    const ticks = s ? s.ticks - this.startTicks : NaN;
    const ns = procCpuNs(this.pid);
    const seconds = (performance.now() - this.startAt) / 1000;
    const tickSeconds = ticks / TICKS_PER_SECOND;
    const exact = ns !== null && this.startNs !== null;
    const cpuSeconds = exact ? (ns - this.startNs) / 1e9 : tickSeconds;
    return {
      ticks,
      tickSeconds,
      exact,
      seconds,
      cpuSeconds,
      coreFraction: cpuSeconds / seconds,
      cpuSecondsPerMinute: (cpuSeconds / seconds) * 60,
      tickSecondsPerMinute: (tickSeconds / seconds) * 60,
    };
  }
}

/** System-wide busy fraction of all cores over an interval (to say how busy the machine was). */
export class MachineLoadMeter {
  constructor() {
    this.start = MachineLoadMeter.sample();
  }
  static sample() {
    const line = readFileSync("/proc/stat", "latin1").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = line[3] + (line[4] || 0);
    const total = line.reduce((a, b) => a + b, 0);
    return { idle, total };
  }
  /** Busy fraction of the whole machine (0..1) since construction. */
  read() {
    const now = MachineLoadMeter.sample();
    const total = now.total - this.start.total;
    return total > 0 ? 1 - (now.idle - this.start.idle) / total : NaN;
  }
}

// ---------------------------------------------------------------- process registry

/**
 * Every process the bench starts is registered here with its start time, and
 * killed by PID when the bench ends, however it ends (normal end, exception,
 * SIGINT/SIGTERM/SIGHUP, process 'exit'). The start time guards against
 * killing an unrelated process that reused a PID.
 */
const registry = new Map(); // pid -> { starttime, label }

export function track(pid, label) {
  const s = procStat(pid);
  registry.set(pid, { starttime: s ? s.starttime : null, label });
}

export function untrack(pid) {
  registry.delete(pid);
}

export function trackedCount() {
  return registry.size;
}

function stillOurs(pid, entry) {
  const s = procStat(pid);
  if (s === null) return false;
  return entry.starttime === null || s.starttime === entry.starttime;
}

/** Sends `signal` to every tracked process that is still the one we started. */
export function killTracked(signal = "SIGKILL", filter = () => true) {
  let n = 0;
  for (const [pid, entry] of registry) {
    if (!filter(entry.label)) continue;
    if (stillOurs(pid, entry)) {
      try {
        process.kill(pid, signal);
        n++;
      } catch {
        /* already gone */
      }
    }
    if (signal === "SIGKILL") registry.delete(pid);
  }
  return n;
}

const cleanupHooks = [];
/** Synchronous hooks run on exit (tmux kill-server and the like). */
export function onCleanup(fn) {
  cleanupHooks.push(fn);
}

let handlersInstalled = false;
export function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const cleanup = () => {
    for (const fn of cleanupHooks.splice(0)) {
      try {
        fn();
      } catch {
        /* best effort */
      }
    }
    killTracked("SIGKILL");
  };
  process.on("exit", cleanup);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping every process it started\n`);
      cleanup();
      process.exit(130);
    });
  }
  process.on("uncaughtException", (error) => {
    process.stderr.write(`bench: ${error?.stack ?? error}\n`);
    cleanup();
    process.exit(1);
  });
}

/**
 * Spawns a long-running process, registers it, and returns it with a
 * `stop()` that SIGTERMs it, waits up to `graceMs`, then SIGKILLs it, and
 * resolves once Node has reaped it (so it never lingers as a zombie).
 */
export function startProcess(command, args, { label, env, cwd, stdio = ["ignore", "pipe", "pipe"] } = {}) {
  const child = spawn(command, args, { env: env ?? process.env, cwd, stdio });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  if (child.pid !== undefined) track(child.pid, label ?? command);
  let output = "";
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 65536) output = output.slice(-32768);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.once("error", (error) => {
    output += `\n${error.message}`;
  });
  return {
    child,
    pid: child.pid,
    exited,
    output: () => output,
    async stop(graceMs = 2000) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          child.kill("SIGTERM");
        } catch {
          /* gone */
        }
        const timer = sleep(graceMs).then(() => "timeout");
        if ((await Promise.race([exited, timer])) === "timeout") {
          try {
            child.kill("SIGKILL");
          } catch {
            /* gone */
          }
        }
      }
      await exited;
      if (child.pid !== undefined) untrack(child.pid);
    },
  };
}

/** Waits until `fn()` is truthy (polling), or throws after `timeoutMs`. */
export async function waitFor(fn, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------- network (loopback only)

export const LOOPBACK = "127.0.0.1";

/** A free TCP port on 127.0.0.1 (bind to 0, read, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 4 });

/** GET http://127.0.0.1:port/path; resolves { status, bytes, body (Buffer), ms } with the time to the last byte. */
export function httpGet(port, path, { headers = {}, agent = keepAlive, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest({ host: LOOPBACK, port, path, method: "GET", headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode, bytes: body.length, body, headers: res.headers, ms: performance.now() - t0 });
      });
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------- machine

export function which(cmd) {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * The environment a user runs socktop in, for every process the bench
 * starts: without NODE_EXTRA_CA_CERTS. Some sandboxes (this workplace
 * among them) set it for their proxy; Node 20 then reads and parses that CA
 * file at every start, before any script runs (~65 ms and ~1.8 MiB of VmRSS
 * per process on the bench machine), though none of the programs measured
 * here makes an outbound TLS connection. Call once, before anything is
 * started; returns the file it was set to ("" when unset), which the
 * start-up suite measures again with it.
 */
export function asOnAUsersMachine() {
  const caFile = process.env["NODE_EXTRA_CA_CERTS"] ?? "";
  delete process.env["NODE_EXTRA_CA_CERTS"];
  return caFile;
}

export function machineDescription() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "latin1");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const mhz = /^cpu MHz\s*:\s*(.*)$/m.exec(cpuinfo)?.[1];
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const meminfo = readFileSync("/proc/meminfo", "latin1");
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? NaN);
  const kernel = spawnSync("uname", ["-sr"], { encoding: "utf8" }).stdout.trim();
  const loadavg = readFileSync("/proc/loadavg", "latin1").split(" ").slice(0, 3).join(" ");
  let os = "";
  if (existsSync("/etc/os-release")) os = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  // What a Node process that does nothing holds (mostly the node binary's own pages).
  const bare = spawnSync(process.execPath, ["-e", "process.stdout.write(require('fs').readFileSync('/proc/self/status','latin1'))"], { encoding: "utf8" });
  const bareRss = Number(/^VmRSS:\s+(\d+) kB/m.exec(bare.stdout ?? "")?.[1] ?? NaN) * 1024;
  return {
    bareNodeRss: bareRss,
    cpu: model + (mhz ? ` (${Math.round(Number(mhz))} MHz)` : ""),
    cores,
    memGiB: memKb / 1024 / 1024,
    kernel,
    os,
    node: process.version,
    processes: processCount(),
    loadavg,
  };
}
