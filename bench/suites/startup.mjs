/**
 * Suite 9 — start-up: exec of the agent to its "listening" line, against a
 * bare `node` that only opens a TCP listener and says so, interleaved round
 * by round. The agent is started as a user starts it (node dist/cli.cjs,
 * port 0 on loopback); the time is taken from spawn() to the line on stdout.
 * The esbuild bundle (scripts/bundle.mjs: one file, every dependency inlined)
 * takes its turn too, to tell whether shipping it as the bin would pay, and so
 * does `node -e` printing the line at once (node's own start-up), so that the
 * report splits the time into node's, listening's and the agent's own.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentCliPath } from "../lib/peers.mjs";
import { pathToFileURL } from "node:url";
import { fmtMs, fmtRatio, procCpuNs, procMemory, spreadMs, summarize, track, untrack } from "../lib/util.mjs";

export const title = "9. Start-up";
/** exec → listening, in ms. */
export const STARTUP_TARGET_MS = 150;

/** Starts a command and resolves the ms until stdout matches `ready`, and the VmRSS then; kills it after. */
function timeToReady(command, args, ready, env = process.env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
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
  const cli = agentCliPath(ctx.root);
  const nodeArgs = ctx.agentNodeArgs ?? [];
  const bareScript = "require('net').createServer().listen(0, '127.0.0.1', function () { console.log('bound to 127.0.0.1:' + this.address().port + ')'); })";
  // Node alone: its own start-up to running a script that prints a line at once.
  const nodeScript = "console.log('bound to 127.0.0.1:0)')";
  const ready = /bound to [^\s]*:\d+\)/;
  // Node 20 reads and parses the CA file named by NODE_EXTRA_CA_CERTS at every start, before any
  // script runs. The bench runs everything without it, as on a user's machine (run.mjs); where this
  // environment set it (some sandboxes and corporate machines do), the agent, the bare listener and
  // node alone are measured with it too, to show what it costs here.
  const caFile = ctx.workplaceCaFile ?? "";
  const caEnv = { ...process.env, NODE_EXTRA_CA_CERTS: caFile };
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
  const agentArgs = [...nodeArgs, cli, "--bind", "127.0.0.1", "--port", "0"];
  const contenders = [
    { id: "agent", args: agentArgs },
    ...(bundleFile !== null ? [{ id: "bundle", args: [...nodeArgs, bundleFile, "--bind", "127.0.0.1", "--port", "0"] }] : []),
    { id: "bare", args: ["-e", bareScript] },
    { id: "node", args: ["-e", nodeScript] },
    ...(caFile !== ""
      ? [
          { id: "agentCa", args: agentArgs, env: caEnv },
          { id: "bareCa", args: ["-e", bareScript], env: caEnv },
          { id: "nodeCa", args: ["-e", nodeScript], env: caEnv },
        ]
      : []),
  ];
  const samples = Object.fromEntries(contenders.map((c) => [c.id, { ms: [], cpuMs: [], rss: [] }]));
  for (let i = 0; i < rounds + 2; i++) {
    for (const c of contenders) {
      const r = await timeToReady(process.execPath, c.args, ready, c.env);
      if (i < 2) continue; // warm-up: the page cache, not the agent
      samples[c.id].ms.push(r.ms);
      samples[c.id].cpuMs.push(r.cpuMs);
      samples[c.id].rss.push(r.rss);
    }
  }
  if (bundleDir !== null) rmSync(bundleDir, { recursive: true, force: true });
  const s = Object.fromEntries(
    Object.entries(samples).map(([id, v]) => [id, { ms: summarize(v.ms), cpu: summarize(v.cpuMs), rss: v.rss.length ? summarize(v.rss).median : NaN }]),
  );
  const a = s.agent.ms;
  const b = s.bare.ms;
  const n = s.node.ms;
  const met = a.median <= STARTUP_TARGET_MS;
  const withCa = caFile !== "" ? { agent: s.agentCa.ms.median, bare: s.bareCa.ms.median, node: s.nodeCa.ms.median } : null;
  const decomposition =
    `node alone takes ${fmtMs(n.median)} here to run a script that prints a line; a bare listener ${fmtMs(b.median)} (${fmtMs(s.bare.cpu.median)} of CPU, all threads); the agent ${fmtMs(a.median)}, so its own loading and set-up (one CommonJS file of ~16 of its files, Node's http, parseArgs and v8, the HTTP server) take ${fmtMs(a.median - b.median)} (${fmtMs(s.agent.cpu.median - s.bare.cpu.median)} of CPU)` +
    (withCa !== null ? `. With this environment's NODE_EXTRA_CA_CERTS (${caFile}), which Node 20 parses at every start: node alone ${fmtMs(withCa.node)}, bare listener ${fmtMs(withCa.bare)}, agent ${fmtMs(withCa.agent)}` : "");
  const targets = [
    {
      name: `Agent start-up (exec → listening) ≤ ${STARTUP_TARGET_MS} ms`,
      figure:
        `${fmtMs(a.median)} (a bare node listener: ${fmtMs(b.median)}, ${fmtRatio(a.median / b.median)})` +
        (withCa !== null ? `; ${fmtMs(withCa.agent)} with this machine's NODE_EXTRA_CA_CERTS (bare listener ${fmtMs(withCa.bare)})` : ""),
      met,
      why: met
        ? null
        : (b.median >= STARTUP_TARGET_MS ? `the target is under this machine's floor: ` : "") +
          decomposition +
          (a.median > 3 * s.agent.cpu.median ? "; wall time was several times the CPU time, so the machine was busy and the wall figures are inflated by waiting for a core." : "."),
    },
  ];
  const row = (label, id) =>
    `| ${label} | ${fmtMs(s[id].ms.median)} | ${spreadMs(s[id].ms)} | ${fmtRatio(s[id].ms.median / b.median)} | ${fmtMs(s[id].cpu.median)} | ${Number.isFinite(s[id].rss) ? `${(s[id].rss / 1e6).toFixed(1)} MB` : ""} |`;
  const markdown = [
    `${rounds} rounds (after 2 warm-up rounds), interleaved: time from spawn() to the agent's "bound to …" line on its output, and the same for a bare \`node -e\` that opens a TCP listener and prints a line like it, and for \`node -e\` that prints the line at once (node's own start-up). All of them without NODE_EXTRA_CA_CERTS, as on a user's machine${caFile !== "" ? "; the rows in italics below are the same with this environment's value" : ""}. ${nodeArgs.length ? `Agent node options: \`${nodeArgs.join(" ")}\`.` : ""}`,
    "",
    "| process | median | p10 – p90 | vs bare node | CPU (all threads) | VmRSS when ready |",
    "|---|---:|---:|---:|---:|---:|",
    row("socktop_agent (`node dist/cli.cjs --port 0`)", "agent"),
    bundleFile !== null
      ? row("the same agent as one esbuild bundle (`node socktop_agent.mjs --port 0`)", "bundle")
      : `| the same agent as one esbuild bundle | not measured: ${bundleSkipped} | | | | |`,
    row("bare node listener", "bare"),
    row("node alone (`node -e` printing the line)", "node"),
    ...(withCa !== null
      ? [
          `| _with this environment's NODE_EXTRA_CA_CERTS=${caFile}:_ | | | | | |`,
          row("socktop_agent", "agentCa"),
          row("bare node listener", "bareCa"),
          row("node alone", "nodeCa"),
        ]
      : []),
    "",
    `Where the time goes: ${decomposition}.`,
    "",
    "dist/cli.cjs (what npm's bin link and `npm start` run) is one CommonJS file (packages/agent/build.mjs) holding only what listening needs, so Node's ES module loader starts only with the first deferred part: its configuration, logger and HTTP server. The collectors, the request handler, ws and the protocol package are loaded on the first WebSocket connection, each from its own file. The bundle holds all of the agent and its dependencies in one file (~600 KB), which V8 compiles whole before it runs: that is most of its extra start-up.",
  ].join("\n");
  return {
    id: "startup",
    title,
    markdown,
    targets,
    data: {
      agent: a,
      bare: b,
      node: n,
      bundle: bundleFile !== null ? s.bundle.ms : null,
      withExtraCaCerts: withCa,
    },
  };
}
