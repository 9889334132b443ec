/**
 * Suite 13 — the fleet view's cost (issue 14), two rows:
 *
 *  1. `socktop` watching 10 hosts (10 real agents, one process each) at its
 *     defaults, under tmux at 80×24 (every host on screen, so every host is
 *     polled at the overview's rate): CPU of one core and RSS over a window
 *     after a warm-up. Targets: ≤ 2 % of one core, ≤ 100 MB RSS.
 *  2. One frame of the fleet view with 50 hosts (80×24 list and 200×60
 *     cards): render + diff + write through the view's own FrameWriter (two
 *     screens, swapped), 500 frames after 300 of warm-up, p50 and p99 of the
 *     wall time and of the process's CPU time per frame. Target: ≤ 5 ms,
 *     judged on the CPU time (on this shared 2-core machine the wall time of
 *     a 1 ms frame includes waiting for a core: both are shown).
 *
 * Formerly bench/fleet.mjs, a separate script: now part of `npm run bench`
 * (`--only fleet` runs it alone).
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startAgent } from "../lib/peers.mjs";
import { sampleTree, startTui, tmuxMissing } from "../lib/tui.mjs";
import { fmtBytes, fmtMs, fmtNum, procStat, quantile, sleep } from "../lib/util.mjs";

export const title = "13. Fleet view: many hosts";
const HOSTS = 10;
const FRAME_TARGET_MS = 5;
const CPU_TARGET = 0.02;
const RSS_TARGET = 100e6;

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

const loadTui = (root) => import(pathToFileURL(join(root, "packages", "tui", "dist", "index.js")).href);

/** The overview's polling rates and frame pace as the measured build has them (for the row and its why). */
async function overviewRates(root) {
  const tui = await loadTui(root);
  const visible = tui.intervalsFor("visible", { ...tui.DEFAULT_INTERVALS });
  // Builds before FLEET_FRAME_MS was exported drew every 500 ms.
  return { ...visible, frameMs: tui.FLEET_FRAME_MS ?? 500 };
}

/** Requests a minute for the visible hosts at `rates`, by kind. */
function perMinute(rates) {
  const n = (ms) => (Number.isFinite(ms) ? Math.round((HOSTS * 60_000) / ms) : 0);
  return { metrics: n(rates.metricsMs), processes: n(rates.processesMs), disks: n(rates.disksMs), frames: Math.round(60_000 / rates.frameMs) };
}

async function frameTimes(root) {
  const tui = await loadTui(root);
  const theme = tui.createTheme(true);
  const out = {};
  for (const [w, h] of [
    [80, 24],
    [200, 60],
  ]) {
    // The fleet view's own frame path (FleetApp.render): FrameWriter draws into
    // its back buffer, diffs it against the front one, writes the difference
    // and swaps the two, so a frame allocates no screen. Here the terminal
    // only counts what it is given.
    let bytes = 0;
    const term = { width: w, height: h, write: (s) => void (bytes += s.length) };
    const frames = new tui.FrameWriter(term);
    const fleet = new tui.FleetState();
    const data = rows(50);
    // Warm-up as measured (data changing every other frame), long enough for
    // the JIT to have compiled the changed-cell paths of the diff: 100 frames
    // of unchanged data left them cold, so the measured frames paid for
    // TurboFan's background compiles (and deopts), counted in the process's CPU.
    const changed = (i) => rows(50).map((r) => ({ ...r, cpu: (r.cpu + i) % 100 }));
    for (let i = 0; i < 300; i++) {
      const d = i % 2 ? data : changed(i);
      frames.paint((screen) => tui.renderFleet(screen, d, fleet, { theme, now: Date.now(), version: "bench" }));
    }
    bytes = 0;
    const wall = [];
    const cpu = [];
    for (let i = 0; i < 500; i++) {
      // Data changes every other frame, as when replies arrive; the diff is part of a frame's cost.
      const d = i % 2 ? data : changed(i);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      frames.paint((screen) => tui.renderFleet(screen, d, fleet, { theme, now: Date.now(), version: "bench" }));
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    out[`${w}×${h}`] = { wallP50: quantile(wall, 0.5), wallP99: quantile(wall, 0.99), cpuP50: quantile(cpu, 0.5), cpuP99: quantile(cpu, 0.99), bytesPerFrame: bytes / 500 };
  }
  return out;
}

async function watchTen(ctx, seconds) {
  const agents = [];
  let tuiRun = null;
  try {
    for (let i = 0; i < HOSTS; i++) agents.push(await startAgent(ctx, { label: `agent-fleet-${i}` }));
    tuiRun = await startTui({
      cli: join(ctx.root, "packages", "tui", "dist", "cli.js"),
      args: agents.map((a) => a.url),
      xdg: join(ctx.root, "bench", "out", "xdg-fleet"),
      dataHome: false,
      cols: 80,
      rows: 24,
      socket: `socktop-fleet-bench-${process.pid}`,
      label: "tui-fleet",
    });
    if (tuiRun.error) throw new Error(tuiRun.error);
    await sleep(8000); // warm-up: ten connections, first frames
    const screen = tuiRun.capture();
    const s = procStat(tuiRun.pid);
    if (s === null || s.state === "Z") throw new Error(`the TUI exited during warm-up: ${screen}`);
    const up = (screen.match(/● \d+ ms/g) ?? []).length;
    const sample = await sampleTree(tuiRun.pid, seconds);
    return { cpu: sample.coreFraction, rssMax: sample.rssMax, up, seconds: sample.seconds };
  } finally {
    if (tuiRun && !tuiRun.error) await tuiRun.stop();
    for (const a of agents) await a.stop();
  }
}

export async function run(ctx) {
  const frame = await frameTimes(ctx.root);
  const rates = await overviewRates(ctx.root);
  const asked = perMinute(rates);
  const ratesText = `metrics every ${fmtNum(rates.metricsMs, 0)} ms, a process list every ${fmtNum(rates.processesMs / 1000, 0)} s for its busiest process, disks every ${fmtNum(rates.disksMs / 1000, 0)} s; a frame every ${fmtNum(rates.frameMs, 0)} ms`;
  const missing = tmuxMissing();
  const watch = missing === null ? await watchTen(ctx, ctx.quick ? 20 : 60) : null;
  const targets = [];
  const lines = [];
  if (watch) {
    const cpuMet = watch.cpu <= CPU_TARGET;
    targets.push({
      name: `Fleet: the TUI watching ${HOSTS} hosts ≤ 2 % of one core and ≤ 100 MB RSS`,
      figure: `${fmtNum(watch.cpu * 100, 2)} % of one core, RSS max ${fmtBytes(watch.rssMax)} (${watch.up}/${HOSTS} up)`,
      met: cpuMet && watch.rssMax <= RSS_TARGET,
      why: cpuMet
        ? watch.rssMax <= RSS_TARGET
          ? null
          : `its RSS peaked at ${fmtBytes(watch.rssMax)}`
        : `every host is on screen at 80×24, so each is polled at the overview's rate (${ratesText}); ${fmtNum(watch.cpu * 100, 2)} % is ${fmtNum(watch.cpu * 60, 2)} CPU-s per minute for ${asked.metrics} metrics, ${asked.processes} process-list and ${asked.disks} disk replies and ${asked.frames} frames a minute`,
    });
    lines.push(`| TUI watching ${HOSTS} hosts (80×24, ${watch.up}/${HOSTS} up), over ${fmtNum(watch.seconds, 0)} s after an 8 s warm-up | ${fmtNum(watch.cpu * 100, 2)} % of one core | RSS max ${fmtBytes(watch.rssMax)} |`);
  }
  for (const [size, f] of Object.entries(frame)) {
    const met = f.cpuP99 <= FRAME_TARGET_MS;
    targets.push({
      name: `Fleet: a frame with 50 hosts (${size}) ≤ ${FRAME_TARGET_MS} ms`,
      figure: `CPU p99 ${fmtMs(f.cpuP99)} (p50 ${fmtMs(f.cpuP50)}); wall p99 ${fmtMs(f.wallP99)} (p50 ${fmtMs(f.wallP50)})`,
      met,
      why: met ? null : `render + diff of one frame took ${fmtMs(f.cpuP99)} of CPU at p99`,
    });
    lines.push(`| fleet frame, 50 hosts, ${size} (render + diff + write, 500 frames) | CPU p50 ${fmtMs(f.cpuP50)}, p99 ${fmtMs(f.cpuP99)} | wall p50 ${fmtMs(f.wallP50)}, p99 ${fmtMs(f.wallP99)}; ${fmtNum(f.bytesPerFrame, 0)} B written per frame |`);
  }
  const markdown = [
    `The TUI watching ${HOSTS} agents (one process each, default intervals; the overview's rates: ${ratesText}) in an 80×24 tmux pane${watch ? "" : ` (skipped: ${missing})`}, and the fleet view's frame with 50 synthetic hosts rendered in this process. A frame's target is judged on its CPU time (process CPU per frame): the wall time on a shared 2-core machine includes waiting for a core.`,
    "",
    "| row | figure | beside |",
    "|---|---|---|",
    ...lines,
  ].join("\n");
  return { id: "fleet", title, markdown, targets, data: { frame, watch } };
}
