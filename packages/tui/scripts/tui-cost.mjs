#!/usr/bin/env node
/**
 * CPU and RSS of socktop builds side by side, same run: one agent, each build
 * in its own tmux pane (160×50, default intervals) watching it, all at once,
 * measured over the same window after a warm-up. For before/after figures on
 * a busy machine: the ratio between builds is what to quote.
 *
 *   node packages/tui/scripts/tui-cost.mjs [--seconds 60] NAME=path/to/cli.js[,--node-flag…] ...
 *
 * Default: "this" = packages/tui/dist/cli.js of this checkout.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const args = process.argv.slice(2);
const si = args.indexOf("--seconds");
const seconds = si >= 0 ? Number(args.splice(si, 2)[1]) : 60;
const builds = args.length
  ? args.map((a) => {
      const eq = a.indexOf("=");
      return [a.slice(0, eq), ...a.slice(eq + 1).split(",")];
    })
  : [["this", join(root, "packages/tui/dist/cli.js")]];
const HZ = 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const agent = spawn(process.execPath, [join(root, "packages/agent/dist/cli.cjs"), "--bind", "127.0.0.1", "--port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
let agentErr = "";
agent.stderr.on("data", (d) => (agentErr += d));
while (!/listening on/.test(agentErr)) {
  if (agent.exitCode !== null) throw new Error(agentErr);
  await sleep(50);
}

const socket = `socktop-tui-cost-${process.pid}`;
const tmux = (...a) => spawnSync("tmux", ["-L", socket, "-f", "/dev/null", ...a], { encoding: "utf8" });
const cpu = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / HZ;
};
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;

try {
  const panes = builds.map(([name, cli, ...flags], i) => {
    const cmd = `exec env TERM=xterm-256color XDG_CONFIG_HOME=/tmp/${socket}-${i} ${process.execPath} ${flags.join(" ")} ${cli} ws://127.0.0.1:${port}/ws`;
    const r = tmux("new-session", "-d", "-s", `s${i}`, "-x", "160", "-y", "50", cmd);
    if (r.status !== 0) throw new Error(r.stderr);
    const pid = Number(tmux("list-panes", "-t", `s${i}`, "-F", "#{pane_pid}").stdout.trim());
    return { name, pid, session: `s${i}` };
  });
  await sleep(5000);
  const t0 = performance.now();
  const start = panes.map((p) => cpu(p.pid));
  const peaks = panes.map(() => 0);
  while (performance.now() - t0 < seconds * 1000) {
    await sleep(1000);
    panes.forEach((p, i) => (peaks[i] = Math.max(peaks[i], rss(p.pid))));
  }
  const wall = (performance.now() - t0) / 1000;
  const results = panes.map((p, i) => ({ name: p.name, core: ((cpu(p.pid) - start[i]) / wall) * 100, rssMax: peaks[i] / 2 ** 20, rssEnd: rss(p.pid) / 2 ** 20 }));
  console.log(`${wall.toFixed(0)} s, all builds at once against one agent, 160×50 panes, default intervals`);
  for (const r of results) {
    console.log(`${r.name.padEnd(12)} CPU ${r.core.toFixed(2)} % of a core   RSS max ${r.rssMax.toFixed(1)} MiB, end ${r.rssEnd.toFixed(1)} MiB`);
  }
  for (const p of panes) {
    const screen = tmux("capture-pane", "-p", "-t", p.session).stdout;
    if (!/PID NAME/.test(screen)) console.log(`warning: ${p.name} shows no process table:\n${screen.slice(0, 400)}`);
  }
} finally {
  tmux("kill-server");
  agent.kill("SIGTERM");
}
