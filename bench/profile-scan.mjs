/**
 * Profiles the agent's process scan: runs ProcessCollector.collect() in a
 * loop under V8's CPU profiler and prints where the time goes (self time by
 * function), plus a break-down of one scan's fixed and per-process costs.
 *
 *   node --import tsx --conditions=source bench/profile-scan.mjs [--extra N] [--scans N]
 *
 * --extra N starts N sleeping processes first (killed by PID at the end).
 *
 * It also times, interleaved with the C reference, a ladder of variants of
 * the scan (bare I/O, + string, + the current parser, + a parser working on
 * the bytes, a whole prototype scan): what each layer costs, and how close to
 * the C reference a Node scan can get. The prototypes live here only, as
 * measuring sticks; the agent's collector is not changed by this script.
 * The raw profile is written to bench/out/scan.cpuprofile (open it in
 * Chrome DevTools or speedscope).
 */
import { Session } from "node:inspector/promises";
import { openSync, readSync, closeSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { installExitHandlers, processCount } from "./lib/util.mjs";
import { printProfile, summarizeProfile } from "./lib/cpuprofile.mjs";
import { compileProcscan, startSleepers, stopSleepers } from "./suites/scan.mjs";
import { spawnSync } from "node:child_process";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, "..");
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const extra = opt("--extra", 0);
const scans = opt("--scans", 300);

installExitHandlers();
const { ProcessCollector } = await import(pathToFileURL(join(root, "packages/agent/src/collectors/processes.ts")).href);
const { parsePidStat } = await import(pathToFileURL(join(root, "packages/agent/src/collectors/process-stat.ts")).href);

const sleepers = extra > 0 ? await startSleepers(extra) : null;
try {
  const n = processCount();
  const collector = new ProcessCollector();
  collector.baseline();
  for (let i = 0; i < 50; i++) await collector.collect(); // JIT warm-up

  // ---- break-down of the parts (µs)
  const time = (fn, reps) => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return ((performance.now() - t0) * 1000) / reps;
  };
  const pids = readdirSync("/proc").filter((x) => /^[0-9]+$/.test(x));
  const buf = Buffer.allocUnsafe(1024);
  const readOne = (pid) => {
    try {
      const fd = openSync(`/proc/${pid}/stat`, "r");
      const len = readSync(fd, buf, 0, 1024, null);
      closeSync(fd);
      return len;
    } catch {
      return 0;
    }
  };
  const sample = readFileSync(`/proc/${process.pid}/stat`, "latin1");
  const parts = {
    "readFileSync('/proc/stat') [per scan]": time(() => readFileSync("/proc/stat", "latin1"), 200),
    "readFileSync('/proc/uptime') [per scan]": time(() => readFileSync("/proc/uptime", "latin1"), 200),
    "readdirSync('/proc') [per scan]": time(() => readdirSync("/proc"), 100),
    "open+read+close one stat, reused buffer [per process]": time(() => {
      for (const p of pids) readOne(p);
    }, 20) / pids.length,
    "Buffer.toString('latin1') of one stat line [per process]": time(() => buf.toString("latin1", 0, sample.length), 20000),
    "parsePidStat(text) [per process]": time(() => parsePidStat(sample), 20000),
  };
  const collectUs = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await collector.collect();
    collectUs.push((performance.now() - t0) * 1000);
  }
  collectUs.sort((a, b) => a - b);

  // ---- ladder of variants, interleaved with the C reference
  mkdirSync(join(benchDir, "out"), { recursive: true });
  const procscan = compileProcscan({ outDir: join(benchDir, "out"), benchDir });
  const isPid = (name) => {
    const c = name.charCodeAt(0);
    return c >= 49 && c <= 57;
  };
  const readInto = (path) => {
    let fd;
    try {
      fd = openSync(path, "r");
    } catch {
      return -1;
    }
    try {
      return readSync(fd, buf, 0, 1024, null);
    } catch {
      return -1;
    } finally {
      closeSync(fd);
    }
  };
  // Prototype: parse /proc/<pid>/stat from the bytes (no string for the line, no split).
  const FIELDS = [11, 12, 19, 21]; // after ") ": utime, stime, starttime, rss
  const out4 = [0, 0, 0, 0];
  const parseBytes = (b, len) => {
    let open = -1;
    for (let i = 0; i < len; i++) if (b[i] === 40) { open = i; break; }
    let close = -1;
    for (let i = len - 1; i > open; i--) if (b[i] === 41) { close = i; break; }
    if (open <= 0 || close < 0 || b[close + 1] !== 32) return null;
    let pid = 0;
    for (let i = 0; i < open - 1; i++) pid = pid * 10 + (b[i] - 48);
    let field = 0, w = 0, v = 0;
    for (let i = close + 2; i < len && w < 4; i++) {
      const c = b[i];
      if (c === 32) {
        if (field === FIELDS[w]) out4[w++] = v;
        field++;
        v = 0;
      } else v = v * 10 + (c - 48);
    }
    let ascii = true;
    for (let k = open + 1; k < close; k++) if (b[k] > 127) { ascii = false; break; }
    return { pid, comm: b.toString(ascii ? "latin1" : "utf8", open + 1, close), utime: out4[0], stime: out4[1], starttime: out4[2], rssPages: out4[3] };
  };
  {
    const self = readFileSync(`/proc/${process.pid}/stat`);
    const a = parsePidStat(self.toString("latin1"));
    const b = parseBytes(self, self.length);
    if (!(a.pid === b.pid && a.comm === b.comm && a.utime === b.utime && a.stime === b.stime && a.starttime === b.starttime && a.rssPages === b.rssPages)) {
      throw new Error("prototype parser disagrees with parsePidStat");
    }
  }
  const prev = new Map();
  let prevTotal = null;
  const readText = (path) => {
    const len = readInto(path);
    return len > 0 ? buf.toString("latin1", 0, len) : null;
  };
  const variants = {
    "A  readdirSync + open/read/close each stat (reused buffer)": () => {
      for (const name of readdirSync("/proc")) if (isPid(name)) readInto(`/proc/${name}/stat`);
    },
    "B  A + Buffer.toString('latin1')": () => {
      for (const name of readdirSync("/proc")) if (isPid(name)) { const len = readInto(`/proc/${name}/stat`); if (len > 0) buf.toString("latin1", 0, len); }
    },
    "C  B + parsePidStat (the current parser)": () => {
      for (const name of readdirSync("/proc")) if (isPid(name)) { const len = readInto(`/proc/${name}/stat`); if (len > 0) parsePidStat(buf.toString("latin1", 0, len)); }
    },
    "D  A + parse from the bytes (prototype)": () => {
      for (const name of readdirSync("/proc")) if (isPid(name)) { const len = readInto(`/proc/${name}/stat`); if (len > 0) parseBytes(buf, len); }
    },
    "H  whole prototype scan: D + /proc/stat via the reused buffer + CPU% + entries": () => {
      const st = readText("/proc/stat");
      const total = st.slice(0, st.indexOf("\n")).split(" ").filter(Boolean).slice(1).reduce((x, y) => x + Number(y), 0);
      const elapsed = prevTotal === null ? 0 : total - prevTotal;
      const entries = [];
      const next = new Map();
      for (const name of readdirSync("/proc")) {
        if (!isPid(name)) continue;
        const len = readInto(`/proc/${name}/stat`);
        if (len <= 0) continue;
        const p = parseBytes(buf, len);
        if (p === null) continue;
        const ticks = p.utime + p.stime;
        next.set(p.pid, ticks);
        const before = prev.get(p.pid);
        const used = before === undefined ? 0 : ticks - before;
        entries.push({ pid: p.pid, name: p.comm, cpu_usage: elapsed > 0 && used > 0 ? Math.min(100, (used / elapsed) * 100) : 0, mem_bytes: p.rssPages * 4096 });
      }
      prev.clear();
      for (const [k, v] of next) prev.set(k, v);
      prevTotal = total;
      return entries;
    },
  };
  const ladder = {};
  for (let r = 0; r < 35; r++) {
    for (const [k, fn] of Object.entries(variants)) {
      const t0 = performance.now();
      fn();
      if (r >= 5) (ladder[k] ??= []).push(performance.now() - t0);
    }
    let t0 = performance.now();
    await collector.collect();
    if (r >= 5) (ladder["E  ProcessCollector.collect() (the agent)"] ??= []).push(performance.now() - t0);
    t0 = performance.now();
    collector.baseline();
    if (r >= 5) (ladder["F  ProcessCollector.baseline() (the agent, synchronous)"] ??= []).push(performance.now() - t0);
    const c = JSON.parse(spawnSync(procscan, ["2"], { encoding: "utf8" }).stdout);
    if (r >= 5) (ladder["C reference"] ??= []).push(...c.ns.map((x) => x / 1e6));
  }
  const med = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
  const cMedian = med(ladder["C reference"]);

  // ---- CPU profile of `scans` collect() calls
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 50 });
  await session.post("Profiler.start");
  for (let i = 0; i < scans; i++) await collector.collect();
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  writeFileSync(join(benchDir, "out", "scan.cpuprofile"), JSON.stringify(profile));

  const summary = summarizeProfile(profile);

  console.log(`processes: ${n}; collect() median ${(collectUs[25] / 1000).toFixed(3)} ms (min ${(collectUs[0] / 1000).toFixed(3)} ms)`);
  console.log("\nparts (µs):");
  for (const [k, v] of Object.entries(parts)) console.log(`  ${v.toFixed(2).padStart(9)}  ${k}`);
  console.log("\nladder (median of 30 interleaved rounds):");
  for (const k of Object.keys(ladder).sort()) console.log(`  ${med(ladder[k]).toFixed(3).padStart(8)} ms  ${(med(ladder[k]) / cMedian).toFixed(2).padStart(5)}× C  ${k}`);
  console.log(`\nCPU profile of ${scans} scans:`);
  console.log(printProfile(summary, { perUnit: scans, unitName: "scan" }));
  console.log(`\nprofile: ${join(benchDir, "out", "scan.cpuprofile")}`);
} finally {
  if (sleepers) await stopSleepers(sleepers);
}
