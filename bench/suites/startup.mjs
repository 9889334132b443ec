/**
 * Suite 9 — start-up: exec of the agent to its "listening" line, against a
 * bare `node` that only opens a TCP listener and says so, interleaved round
 * by round. The agent is started as a user starts it (node dist/cli.js,
 * port 0 on loopback); the time is taken from spawn() to the line on stdout.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fmtMs, fmtRatio, procCpuNs, procMemory, spreadMs, summarize, track, untrack } from "../lib/util.mjs";

export const title = "9. Start-up";
/** exec → listening, in ms. */
export const STARTUP_TARGET_MS = 150;

/** Starts a command and resolves the ms until stdout matches `ready`, and the VmRSS then; kills it after. */
function timeToReady(command, args, ready) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    track(child.pid, "startup");
    let out = "";
    const done = (error, value) => {
      clearTimeout(timer);
      try {
        child.kill("SIGKILL");
      } catch {
        /* gone */
      }
      child.once("exit", () => untrack(child.pid));
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`no ready line in 20 s: ${out.slice(-500)}`)), 20_000);
    const onData = (chunk) => {
      out += chunk.toString();
      if (ready.test(out)) done(null, { ms: performance.now() - t0, cpuMs: (procCpuNs(child.pid) ?? NaN) / 1e6, rss: procMemory(child.pid).rss });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => done(new Error(`exited (${code}) before it was ready: ${out.slice(-500)}`)));
  });
}

export async function run(ctx) {
  const rounds = ctx.quick ? 5 : 20;
  const cli = join(ctx.root, "packages", "agent", "dist", "cli.js");
  const nodeArgs = ctx.agentNodeArgs ?? [];
  const bareScript = "require('net').createServer().listen(0, '127.0.0.1', function () { console.log('bound to 127.0.0.1:' + this.address().port + ')'); })";
  const ready = /bound to [^\s]*:\d+\)/;
  const agent = [];
  const bare = [];
  const agentRss = [];
  const agentCpu = [];
  const bareCpu = [];
  for (let i = 0; i < rounds + 2; i++) {
    const a = await timeToReady(process.execPath, [...nodeArgs, cli, "--bind", "127.0.0.1", "--port", "0"], ready);
    const b = await timeToReady(process.execPath, ["-e", bareScript], ready);
    if (i < 2) continue; // warm-up: the page cache, not the agent
    agent.push(a.ms);
    agentRss.push(a.rss);
    agentCpu.push(a.cpuMs);
    bare.push(b.ms);
    bareCpu.push(b.cpuMs);
  }
  const a = summarize(agent);
  const b = summarize(bare);
  const ac = summarize(agentCpu);
  const bc = summarize(bareCpu);
  const met = a.median <= STARTUP_TARGET_MS;
  const targets = [
    {
      name: `Agent start-up (exec → listening) ≤ ${STARTUP_TARGET_MS} ms`,
      figure: `${fmtMs(a.median)} (a bare node listener: ${fmtMs(b.median)}, ${fmtRatio(a.median / b.median)})`,
      met,
      why: met
        ? null
        : `a bare \`node\` that only opens a listener takes ${fmtMs(b.median)} here (${fmtMs(bc.median)} of CPU, all threads), so the agent's own loading and set-up (modules, the first process scan as a CPU baseline, the server) take ${fmtMs(a.median - b.median)} (${fmtMs(ac.median - bc.median)} of CPU)` +
          (a.median > 3 * ac.median ? "; wall time was several times the CPU time, so the machine was busy and the wall figures are inflated by waiting for a core." : "."),
    },
  ];
  const markdown = [
    `${rounds} rounds (after 2 warm-up rounds), interleaved: time from spawn() to the agent's "bound to …" line on its output, and the same for a bare \`node -e\` that opens a TCP listener and prints a line like it. ${nodeArgs.length ? `Agent node options: \`${nodeArgs.join(" ")}\`.` : ""}`,
    "",
    "| process | median | p10 – p90 | vs bare node | CPU (all threads) | VmRSS when listening |",
    "|---|---:|---:|---:|---:|---:|",
    `| socktop_agent (\`node dist/cli.js --port 0\`) | ${fmtMs(a.median)} | ${spreadMs(a)} | ${fmtRatio(a.median / b.median)} | ${fmtMs(ac.median)} | ${(summarize(agentRss).median / 1e6).toFixed(1)} MB |`,
    `| bare node listener | ${fmtMs(b.median)} | ${spreadMs(b)} | 1.00× | ${fmtMs(bc.median)} | |`,
  ].join("\n");
  return { id: "startup", title, markdown, targets, data: { agent: a, bare: b } };
}
