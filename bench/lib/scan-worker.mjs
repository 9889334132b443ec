/**
 * Suite 1 worker: times one process scan by each contender, interleaved
 * round by round so drift in machine load hits all of them alike.
 *
 * Run by suites/scan.mjs as
 *   node --import tsx --conditions=source bench/lib/scan-worker.mjs '<json options>'
 * so that the agent's ProcessCollector is imported from its TypeScript source
 * (what the agent runs, transpiled by esbuild exactly as tsc would emit it).
 * Prints one JSON object on stdout.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readSync, readdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const options = JSON.parse(process.argv[2]);
const { root, procscan, rounds, warmup, siRounds, cIterationsPerRound, withPs = true, pauseMs = 20 } = options;

const { ProcessCollector } = await import(pathToFileURL(`${root}/packages/agent/src/collectors/processes.ts`).href);

// Everything that starts a process (the C reference, ps, systeminformation, which runs ps) is run
// by a helper process, never by this one. A fork leaves every page of the forking process
// write-protected until it is next written (copy-on-write); the agent does not fork between
// scans, but a collector scan timed right after this worker forked paid for those faults: 1.16 ms
// of CPU after the round's spawns against 0.91 ms for the same collector later in the round
// (40 rounds, 72 processes, 2026-12-02).
const HELPER = `
const { spawnSync } = require("node:child_process");
const { createRequire } = require("node:module");
const rl = require("node:readline").createInterface({ input: process.stdin });
let si = null;
try { si = createRequire(process.argv[1] + "/package.json")("systeminformation"); } catch { si = null; }
const reply = (value) => process.stdout.write(JSON.stringify(value) + "\\n");
reply({ siAvailable: si !== null, siVersion: si?.version?.() ?? null });
rl.on("line", async (line) => {
  const job = JSON.parse(line);
  if (job.si) {
    const t0 = performance.now();
    const result = await si.processes();
    reply({ ms: performance.now() - t0, rows: result.list.length });
    return;
  }
  const t0 = performance.now();
  const r = spawnSync(job.command, job.args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  reply({ ms: performance.now() - t0, status: r.status, stdout: r.stdout, stderr: r.stderr });
});
`;
const helper = spawn(process.execPath, ["-e", HELPER, root], { stdio: ["pipe", "pipe", "inherit"] });
const helperLines = createInterface({ input: helper.stdout })[Symbol.asyncIterator]();
const helperReply = async () => JSON.parse((await helperLines.next()).value);
/** Runs a job in the helper and resolves its reply. */
const inHelper = (job) => {
  helper.stdin.write(`${JSON.stringify(job)}\n`);
  return helperReply();
};
const siInfo = await helperReply();
const si = siInfo.siAvailable ? { version: () => siInfo.siVersion } : null;

const collector = new ProcessCollector();
collector.baseline();

const samples = { ours: [], oursCpu: [], floor: [], floorCpu: [], floorKept: [], floorKeptCpu: [], c: [], cCpu: [], cBackToBack: [], cBackToBackCpu: [], cKept: [], cKeptCpu: [], ps: [], si: [] };
const cpuMs = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
const seen = { ours: 0, floor: 0, floorKept: 0, c: 0, cBackToBack: 0, cKept: 0, ps: 0, si: 0 };

// Every timed scan, of every contender, starts after the same idle pause: the
// agent scans when asked (every 2 s while a client watches), so its scans find
// cold caches, and a scan that directly follows another one (any contender's)
// finds them warm and costs ~30 % less.
const pause = () => new Promise((resolve) => setTimeout(resolve, pauseMs));

// What Node's fs calls alone cost for the C reference's work: list /proc and
// open/read/close each stat into one buffer, no parsing, nothing kept. No
// Node scan can be faster than this; the gap to C is the binding's overhead.
const floorBuf = Buffer.allocUnsafe(1024);
function floor(record) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 49 || c > 57) continue;
    let fd;
    try {
      fd = openSync(`/proc/${name}/stat`, "r");
    } catch {
      continue;
    }
    try {
      if (readSync(fd, floorBuf, 0, 1024, null) > 0) n++;
    } catch {
      /* exited */
    } finally {
      closeSync(fd);
    }
  }
  const ms = performance.now() - t0;
  if (record) {
    samples.floorCpu.push(cpuMs(cpu0));
    samples.floor.push(ms);
    seen.floor = n;
  }
}

// The same with descriptors kept between scans (what the collector does):
// list /proc and one pread per stat; open only new pids, close gone ones.
const keptFds = new Map();
let keptScan = 0;
function floorKept(record) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  keptScan++;
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 49 || c > 57) continue;
    let k = keptFds.get(name);
    if (k !== undefined) {
      k.scan = keptScan;
      try {
        if (readSync(k.fd, floorBuf, 0, 1024, 0) > 0) n++;
        continue;
      } catch {
        closeSync(k.fd);
        keptFds.delete(name);
      }
    }
    try {
      const fd = openSync(`/proc/${name}/stat`, "r");
      keptFds.set(name, { fd, scan: keptScan });
      if (readSync(fd, floorBuf, 0, 1024, 0) > 0) n++;
    } catch {
      /* exited */
    }
  }
  for (const [name, k] of keptFds) {
    if (k.scan !== keptScan) {
      closeSync(k.fd);
      keptFds.delete(name);
    }
  }
  const ms = performance.now() - t0;
  if (record) {
    samples.floorKeptCpu.push(cpuMs(cpu0));
    samples.floorKept.push(ms);
    seen.floorKept = n;
  }
}

async function ours(record) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const list = await collector.collect();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (record) {
    samples.ours.push(ms);
    samples.oursCpu.push((cpu.user + cpu.system) / 1000);
    seen.ours = list.length;
  }
}

/** The C reference; `key` c (each scan after the pause), cKept (the same, kept descriptors) or cBackToBack (no pause). */
async function cRef(record, key = "c") {
  const mode = key === "cKept" ? "kept" : "open";
  const pauseArg = key === "cBackToBack" ? "0" : String(pauseMs);
  const r = await inHelper({ command: procscan, args: [String(cIterationsPerRound), "/proc", mode, pauseArg] });
  if (r.status !== 0) throw new Error(`procscan failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  if (record) {
    for (const ns of out.ns) samples[key].push(ns / 1e6);
    for (const ns of out.cpu_ns) samples[`${key}Cpu`].push(ns / 1e6);
    seen[key] = out.processes;
  }
}

async function ps(record) {
  // Timed in the helper around its spawnSync: fork + exec + scan + print, as a user pays it.
  const r = await inHelper({ command: "ps", args: ["-eo", "pid,comm,rss,time"] });
  if (r.status !== 0) throw new Error(`ps failed: ${r.stderr}`);
  if (record) {
    samples.ps.push(r.ms);
    seen.ps = r.stdout.trimEnd().split("\n").length - 1;
  }
}

// systeminformation returns its previous result when called again within
// 500 ms (lib/processes.js): wait that out so every timed call really scans.
let siLastEnd = -Infinity;

async function sysinfo(record) {
  if (si === null) return;
  const wait = siLastEnd + 520 - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const result = await inHelper({ si: true });
  siLastEnd = performance.now();
  if (record) {
    samples.si.push(result.ms);
    seen.si = result.rows;
  }
}

for (let i = 0; i < warmup; i++) {
  await ours(false);
  floor(false);
  floorKept(false);
  await cRef(false);
  await cRef(false, "cKept");
  await ps(false);
}
if (si !== null) await sysinfo(false);

// The timed contenders' order rotates from round to round (as the watcher suite's does), so that
// none of them is always the one that follows the round's ps and systeminformation, or another
// contender. Each round's samples stay at the same index (one per round; the C programs' two per
// round at 2i and 2i + 1), which the suite pairs into per-round ratios.
const timed = [
  async () => {
    await pause();
    await ours(true);
  },
  async () => {
    await pause();
    floor(true);
  },
  async () => {
    await pause();
    floorKept(true);
  },
  () => cRef(true), // pauses before each of its scans itself
  () => cRef(true, "cKept"),
  () => cRef(true, "cBackToBack"),
];
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < timed.length; k++) await timed[(round + k) % timed.length]();
  if (withPs) await ps(true);
  if (round < siRounds) await sysinfo(true);
}

helper.stdin.end();
process.stdout.write(`${JSON.stringify({ samples, seen, siAvailable: si !== null, siVersion: si?.version?.() ?? null })}\n`);
