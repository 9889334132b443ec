#!/usr/bin/env node
/**
 * Fleet view cost, two rows (issue 14), separate from the main bench run:
 *
 *  1. `socktop` watching 10 hosts (10 real agents, one process each) at its
 *     defaults, under tmux at 80×24 (every host on screen, so every host is
 *     polled at the overview's rate): CPU of one core and RSS over a window
 *     after a warm-up. Targets: ≤ 2 % of one core, ≤ 100 MB RSS.
 *  2. One frame of the fleet view with 50 hosts (80×24 list and 200×60
 *     cards): render time, median and p99 of 500 frames after warm-up.
 *     Target: ≤ 5 ms.
 *
 *   node bench/fleet.mjs [--seconds N] [--no-build]
 *
 * Prints a Markdown table and writes bench/out/RESULTS-fleet.md. Every
 * process it starts is tracked and stopped by PID (see lib/util.mjs).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startAgent } from "./lib/peers.mjs";
import { sampleTree, startTui } from "./lib/tui.mjs";
import { fmtBytes, fmtNum, installExitHandlers, MachineLoadMeter, procStat, quantile, sleep } from "./lib/util.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, "..");
const argv = process.argv.slice(2);
const seconds = Number(argv[argv.indexOf("--seconds") + 1]) || 60;
const HOSTS = 10;

installExitHandlers();
if (!argv.includes("--no-build")) {
  const b = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  if (b.status !== 0) process.exit(1);
}
const ctx = { root, agentNodeArgs: [] };
const outDir = join(benchDir, "out");
mkdirSync(outDir, { recursive: true });

// ---------------------------------------------------------------- 2. frame time (no agents needed)
const tui = await import(pathToFileURL(join(root, "packages", "tui", "dist", "index.js")).href);
function rows(n) {
  return Array.from({ length: n }, (_, i) => ({
    name: `host-${String(i).padStart(2, "0")}`,
    target: `10.0.0.${i}:3000`,
    state: i % 7 === 3 ? "refused" : i % 11 === 5 ? "stale" : "up",
    rttMs: 3 + (i % 5),
    retryIn: i % 7 === 3 ? 4 : null,
    error: i % 7 === 3 ? "connection refused: no agent listening on 10.0.0.3:3000" : null,
    hostname: `host-${i}`,
    cpu: (i * 37) % 100,
    cpuHistory: Array.from({ length: 40 }, (_, k) => (i * 13 + k * 7) % 100),
    mem: (i * 53) % 100,
    disk: (i * 29) % 100,
    rx: 1e5 * i,
    tx: 5e4 * i,
    gpu: i % 4 === 0 ? 42 : null,
    temp: 40 + (i % 30),
    busiest: { pid: 100 + i, name: "postgres", cpu_pct: (i * 3) % 100 },
  }));
}
const theme = tui.createTheme(true);
const frame = {};
for (const [w, h] of [
  [80, 24],
  [200, 60],
]) {
  const screen = new tui.Screen(w, h);
  const fleet = new tui.FleetState();
  const data = rows(50);
  for (let i = 0; i < 100; i++) tui.renderFleet(screen, data, fleet, { theme, now: Date.now(), version: "bench" });
  const times = [];
  let prev = null;
  let bytes = 0;
  for (let i = 0; i < 500; i++) {
    // Data changes every frame, as when replies arrive; the diff is part of a frame's cost.
    const d = i % 2 ? data : rows(50).map((r) => ({ ...r, cpu: (r.cpu + i) % 100 }));
    const next = new tui.Screen(w, h);
    const t0 = performance.now();
    tui.renderFleet(next, d, fleet, { theme, now: Date.now(), version: "bench" });
    bytes += tui.diffScreens(prev, next).length;
    times.push(performance.now() - t0);
    prev = next;
  }
  frame[`${w}×${h}`] = { p50: quantile(times, 0.5), p99: quantile(times, 0.99), bytesPerFrame: bytes / 500 };
}

// ---------------------------------------------------------------- 1. the TUI watching 10 hosts
const load = new MachineLoadMeter();
const agents = [];
for (let i = 0; i < HOSTS; i++) agents.push(await startAgent(ctx, { label: `agent-fleet-${i}` }));
const tuiRun = await startTui({
  cli: join(root, "packages", "tui", "dist", "cli.js"),
  args: agents.map((a) => a.url),
  xdg: join(outDir, "xdg-fleet"),
  dataHome: false,
  cols: 80,
  rows: 24,
  socket: `socktop-fleet-bench-${process.pid}`,
  label: "tui-fleet",
});
let result;
try {
  if (tuiRun.error) throw new Error(tuiRun.error);
  await sleep(8000); // warm-up: ten connections, first frames
  const screen = tuiRun.capture();
  const s = procStat(tuiRun.pid);
  if (s === null || s.state === "Z") throw new Error(`the TUI exited during warm-up: ${screen}`);
  const up = (screen.match(/● \d+ ms/g) ?? []).length;
  const sample = await sampleTree(tuiRun.pid, seconds);
  result = { cpu: sample.coreFraction, rssMax: sample.rssMax, up, seconds: sample.seconds };
} finally {
  if (!tuiRun.error) await tuiRun.stop();
  for (const a of agents) await a.stop();
}

const busy = load.read();
const ok = (met) => (met ? "yes" : "**no**");
const md = [
  "# Fleet view cost",
  "",
  `Machine busy ${fmtNum(busy * 100, 0)} % of all cores during the run (shared machine: compare ratios, re-run idle before quoting).`,
  "",
  "| row | figure | target | met |",
  "|---|---|---|---|",
  `| TUI watching ${HOSTS} hosts (80×24, ${result.up}/${HOSTS} up), CPU over ${fmtNum(result.seconds, 0)} s | ${fmtNum(result.cpu * 100, 2)} % of one core | ≤ 2 % | ${ok(result.cpu <= 0.02)} |`,
  `| same, RSS (max) | ${fmtBytes(result.rssMax)} | ≤ 100 MB | ${ok(result.rssMax <= 100e6)} |`,
  ...Object.entries(frame).map(
    ([size, f]) => `| fleet frame, 50 hosts, ${size} (render + diff) | p50 ${fmtNum(f.p50, 3)} ms, p99 ${fmtNum(f.p99, 3)} ms, ${fmtNum(f.bytesPerFrame, 0)} B/frame | ≤ 5 ms | ${ok(f.p99 <= 5)} |`,
  ),
  "",
].join("\n");
process.stdout.write(md);
writeFileSync(join(outDir, "RESULTS-fleet.md"), md);
process.exit(0);
