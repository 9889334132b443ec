/**
 * Suite 9 — start-up: exec of the agent to its "listening" line, against a
 * bare `node` that only opens a TCP listener and says so, interleaved round
 * by round. The agent is started as a user starts it (node dist/cli.js,
 * port 0 on loopback); the time is taken from spawn() to the line on stdout.
 * The esbuild bundle (scripts/bundle.mjs: one file, every dependency inlined)
 * takes its turn too, to tell whether shipping it as the bin would pay.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
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
  // The bundle, built for this run into a temporary directory (skipped, with the reason, if it cannot be).
  let bundleDir = null;
  let bundleFile = null;
  let bundleSkipped = null;
  try {
    bundleDir = mkdtempSync(join(tmpdir(), "socktop-bundle-"));
    const { buildBundle } = await import(pathToFileURL(join(ctx.root, "scripts", "bundle.mjs")).href);
    bundleFile = (await buildBundle({ outDir: bundleDir })).bundle;
  } catch (error) {
    bundleSkipped = error instanceof Error ? error.message.split("\n")[0] : String(error);
  }
  const bundled = [];
  const bundledCpu = [];
  const bundledRss = [];
  const agent = [];
  const bare = [];
  const agentRss = [];
  const agentCpu = [];
  const bareCpu = [];
  for (let i = 0; i < rounds + 2; i++) {
    const a = await timeToReady(process.execPath, [...nodeArgs, cli, "--bind", "127.0.0.1", "--port", "0"], ready);
    const b = await timeToReady(process.execPath, ["-e", bareScript], ready);
    const u = bundleFile !== null ? await timeToReady(process.execPath, [...nodeArgs, bundleFile, "--bind", "127.0.0.1", "--port", "0"], ready) : null;
    if (i < 2) continue; // warm-up: the page cache, not the agent
    if (u !== null) {
      bundled.push(u.ms);
      bundledCpu.push(u.cpuMs);
      bundledRss.push(u.rss);
    }
    agent.push(a.ms);
    agentRss.push(a.rss);
    agentCpu.push(a.cpuMs);
    bare.push(b.ms);
    bareCpu.push(b.cpuMs);
  }
  if (bundleDir !== null) rmSync(bundleDir, { recursive: true, force: true });
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
        : (b.median >= STARTUP_TARGET_MS ? `the target is under this machine's floor: ` : "") +
          `a bare \`node\` that only opens a listener takes ${fmtMs(b.median)} here (${fmtMs(bc.median)} of CPU, all threads), so the agent's own loading and set-up (its modules up to the HTTP server; Node's http and ES-module loader) take ${fmtMs(a.median - b.median)} (${fmtMs(ac.median - bc.median)} of CPU)` +
          (a.median > 3 * ac.median ? "; wall time was several times the CPU time, so the machine was busy and the wall figures are inflated by waiting for a core." : "."),
    },
  ];
  const markdown = [
    `${rounds} rounds (after 2 warm-up rounds), interleaved: time from spawn() to the agent's "bound to …" line on its output, and the same for a bare \`node -e\` that opens a TCP listener and prints a line like it. ${nodeArgs.length ? `Agent node options: \`${nodeArgs.join(" ")}\`.` : ""}`,
    "",
    "| process | median | p10 – p90 | vs bare node | CPU (all threads) | VmRSS when listening |",
    "|---|---:|---:|---:|---:|---:|",
    `| socktop_agent (\`node dist/cli.js --port 0\`) | ${fmtMs(a.median)} | ${spreadMs(a)} | ${fmtRatio(a.median / b.median)} | ${fmtMs(ac.median)} | ${(summarize(agentRss).median / 1e6).toFixed(1)} MB |`,
    bundled.length > 0
      ? `| the same agent as one esbuild bundle (\`node socktop_agent.mjs --port 0\`) | ${fmtMs(summarize(bundled).median)} | ${spreadMs(summarize(bundled))} | ${fmtRatio(summarize(bundled).median / b.median)} | ${fmtMs(summarize(bundledCpu).median)} | ${(summarize(bundledRss).median / 1e6).toFixed(1)} MB |`
      : `| the same agent as one esbuild bundle | not measured: ${bundleSkipped} | | | | |`,
    `| bare node listener | ${fmtMs(b.median)} | ${spreadMs(b)} | 1.00× | ${fmtMs(bc.median)} | |`,
    "",
    "The agent loads only what listening needs (its configuration, logger and HTTP server); the collectors, the request handler, ws and the protocol package are loaded on the first WebSocket connection. The bundle holds all of that in one file, which is parsed whole before it listens.",
  ].join("\n");
  return { id: "startup", title, markdown, targets, data: { agent: a, bare: b, bundle: bundled.length > 0 ? summarize(bundled) : null } };
}
