/**
 * The socktop TUI run for measurement, shared by suites/soak.mjs,
 * suites/web.mjs and suites/fleet.mjs: started in a tmux server of the bench's own
 * (foreground, our child, so it is reaped), its profiles and settings in a
 * directory of the bench's (never the user's); its CPU and RSS sampled over
 * the whole process tree (the TUI may be a wrapper with a child doing the work).
 */
import { spawnSync } from "node:child_process";
import { CpuMeter, descendants, onCleanup, procMemory, sleep, startProcess, track, untrack } from "./util.mjs";

/** Why the TUI cannot be measured here (tmux missing), or null. */
export function tmuxMissing() {
  return spawnSync("sh", ["-c", "command -v tmux"]).stdout?.length ? null : "tmux is not installed";
}

/**
 * Starts `node <cli> <args…>` in a detached cols×rows tmux session. Resolves
 * with `{ pid, capture(), stop() }`, or `{ error }` when tmux would not start
 * it (the tmux server is then already stopped). `stop()` ends the TUI
 * (SIGTERM, then `graceMs` to write its last frame) and the tmux server.
 */
export async function startTui({ cli, args, xdg, cols, rows, socket, label, dataHome = true, graceMs = 500 }) {
  const server = startProcess("tmux", ["-L", socket, "-D", "-f", "/dev/null"], { label: `tmux-server-${label}`, stdio: ["ignore", "ignore", "ignore"] });
  const killServer = () => spawnSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
  onCleanup(killServer);
  let pid = null;
  const stop = async () => {
    if (pid) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        /* gone */
      }
      await sleep(graceMs);
      untrack(pid);
    }
    killServer();
    await server.stop(2000);
  };
  await sleep(300);
  const env = `NODE_ENV=production TERM=xterm-256color XDG_CONFIG_HOME=${xdg}${dataHome ? ` XDG_DATA_HOME=${xdg}` : ""}`;
  const command = `exec env ${env} ${process.execPath} ${cli} ${args.join(" ")}`;
  const r = spawnSync("tmux", ["-L", socket, "new-session", "-d", "-s", "tui", "-x", String(cols), "-y", String(rows), command], { encoding: "utf8" });
  if (r.status !== 0) {
    await stop();
    return { error: `tmux new-session failed: ${r.stderr.trim()}` };
  }
  pid = Number(spawnSync("tmux", ["-L", socket, "list-panes", "-t", "tui", "-F", "#{pane_pid}"], { encoding: "utf8" }).stdout.trim());
  if (pid > 0) track(pid, label);
  const capture = () => spawnSync("tmux", ["-L", socket, "capture-pane", "-p", "-t", "tui"], { encoding: "utf8" }).stdout ?? "";
  return { pid, capture, stop };
}

/**
 * CPU and RSS of a process and its descendants (as they are now) over
 * `seconds`, RSS sampled once a second: `coreFraction` is the share of one
 * core, `ticks` the 10 ms ticks counted. With `partS`, also `parts`: the same
 * figures for each consecutive `partS` seconds (the last one takes the rest:
 * between half and one and a half `partS`),
 * so that a long window shows whether the process settles or keeps growing.
 */
export async function sampleTree(rootPid, seconds, { partS = null } = {}) {
  const pids = [rootPid, ...descendants(rootPid)];
  const meters = pids.map((p) => new CpuMeter(p));
  const finite = (v) => (Number.isFinite(v) ? v : 0);
  const readAll = () => {
    const reads = meters.map((m) => m.read());
    return {
      seconds: reads[0].seconds,
      cpuSeconds: reads.reduce((sum, r) => sum + finite(r.cpuSeconds), 0),
      ticks: reads.reduce((sum, r) => sum + finite(r.ticks), 0),
    };
  };
  const rss = [];
  const parts = [];
  let partStart = { seconds: 0, cpuSeconds: 0, ticks: 0 };
  let partRss = [];
  const endPart = () => {
    const now = readAll();
    const partSeconds = now.seconds - partStart.seconds;
    const cpuSeconds = now.cpuSeconds - partStart.cpuSeconds;
    parts.push({ fromS: partStart.seconds, seconds: partSeconds, ticks: now.ticks - partStart.ticks, cpuSeconds, coreFraction: cpuSeconds / partSeconds, rssMax: Math.max(...partRss), rssEnd: partRss[partRss.length - 1] });
    partStart = now;
    partRss = [];
  };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    await sleep(Math.min(1000, Math.max(0, deadline - performance.now())));
    const sample = pids.reduce((sum, p) => sum + (procMemory(p).rss || 0), 0);
    rss.push(sample);
    partRss.push(sample);
    if (partS !== null && (performance.now() - started) / 1000 >= partStart.seconds + partS && deadline - performance.now() >= (partS * 1000) / 2) endPart();
  }
  if (partS !== null && partRss.length > 0) endPart();
  const total = readAll();
  return {
    seconds: total.seconds,
    cpuSeconds: total.cpuSeconds,
    ticks: total.ticks,
    coreFraction: total.cpuSeconds / total.seconds,
    rssMax: Math.max(...rss),
    rssEnd: rss[rss.length - 1],
    processes: pids.length,
    ...(partS !== null ? { parts } : {}),
  };
}
