#!/usr/bin/env node
/**
 * socktop benchmark suite: `npm run bench` (full, ~15 min) or
 * `npm run bench -- --quick` (< 2 min). See bench/README.md.
 *
 * Everything runs on 127.0.0.1; every process the bench starts is registered
 * and stopped by PID, also on failure or Ctrl-C.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MachineLoadMeter, asOnAUsersMachine, installExitHandlers, killTracked, machineDescription, processCount, sleep, trackedCount } from "./lib/util.mjs";
import { agentCliPath, ensurePeers, peerVersions } from "./lib/peers.mjs";
import { renderReport } from "./lib/report.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
/**
 * Suites are the files in suites/: adding one is adding a file. A suite
 * module exports `run(ctx)` returning `{ id, title, markdown, targets, data }`
 * (or a list of them) and may export `title` (used if it fails). Each target
 * is `{ name, figure, met, why }`: `why` is the suite's explanation of a miss,
 * computed from what it measured; the report lists them. These run first, in
 * this order; others follow in name order.
 */
// "install" (pack12): the shipped forms of the agent; bench/suites/install.mjs.
const ORDER = ["scan", "latency", "watcher", "fanout", "soak", "install", "startup", "v8flags", "portable"];
const SUITES = readdirSync(join(benchDir, "suites"))
  .filter((f) => f.endsWith(".mjs"))
  .map((f) => f.slice(0, -4))
  .sort((a, b) => (ORDER.includes(a) ? ORDER.indexOf(a) : 100) - (ORDER.includes(b) ? ORDER.indexOf(b) : 100) || a.localeCompare(b));
const TITLES = {
  scan: "1. Process scan",
  latency: "2. Request latency over a socket",
  watcher: "3. CPU cost of one watcher",
  fanout: "5. Fan-out",
  soak: "6. Idle (4), memory (6) and TUI (7)",
  install: "8. Install forms: start-up and memory",
  portable: "11. Portable backend (other platforms) beside the Linux backend",
};

const HELP = `Usage: npm run bench [-- OPTIONS]

  --quick          short durations and fewer clients (< 2 min); writes bench/out/RESULTS-quick.md
  --only LIST      comma-separated suites: ${SUITES.join(",")}
                   (soak = memory over time + idle + TUI, run side by side)
  --out FILE       where to write the Markdown report
                   (default: bench/RESULTS.md, or bench/out/RESULTS-quick.md with --quick)
  --root DIR       the socktop checkout to measure (default: this one)
  --no-build       do not run \`npm run build\` first
  --no-install     do not apt-get install missing peers (their rows are then skipped)
  --soak-minutes N length of the memory soak (default 10; quick: 0.5)
  --soak-clients N clients during the soak (default 200; quick: 50)
  --agent-node-args "ARGS"  extra node options for every agent started (e.g. "--max-semi-space-size=2")
`;

function parseArgs(argv) {
  const o = { quick: false, only: null, out: null, root: resolve(benchDir, ".."), build: true, install: true, soakMinutes: null, soakClients: null, agentNodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case "--quick":
        o.quick = true;
        break;
      case "--only":
        o.only = value().split(",").map((s) => s.trim()).filter(Boolean);
        for (const s of o.only) if (!SUITES.includes(s)) throw new Error(`unknown suite '${s}' (${SUITES.join(", ")})`);
        break;
      case "--out":
        o.out = resolve(value());
        break;
      case "--root":
        o.root = resolve(value());
        break;
      case "--no-build":
        o.build = false;
        break;
      case "--no-install":
        o.install = false;
        break;
      case "--soak-minutes":
        o.soakMinutes = Number(value());
        break;
      case "--soak-clients":
        o.soakClients = Number(value());
        break;
      case "--agent-node-args":
        o.agentNodeArgs = value().split(/\s+/).filter(Boolean);
        break;
      case "-h":
      case "--help":
        process.stdout.write(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${HELP}`);
    }
  }
  return o;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  installExitHandlers();
  const workplaceCaFile = asOnAUsersMachine();
  const outDir = join(benchDir, "out");
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  const log = (line) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const ctx = {
    quick: args.quick,
    root: args.root,
    benchDir,
    outDir,
    log,
    noInstall: !args.install,
    soakMinutes: args.soakMinutes ?? (args.quick ? 0.5 : 10),
    soakClients: args.soakClients ?? (args.quick ? 50 : 200),
    agentNodeArgs: args.agentNodeArgs,
    machine: null,
    /** NODE_EXTRA_CA_CERTS as this environment set it ("" when unset): removed for everything the bench starts. */
    workplaceCaFile,
  };

  // How busy was the machine before we started? (other people's tests, builds)
  const before = new MachineLoadMeter();
  await sleep(args.quick ? 2000 : 5000);
  const backgroundBusy = before.read();
  const machine = machineDescription();
  ctx.machine = machine;
  log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.processes} processes, background load ${(backgroundBusy * 100).toFixed(0)} % of all cores`);

  const peers = ensurePeers(ctx);
  const versions = peerVersions();

  let build = { ran: false, ok: true, output: "" };
  if (args.build) {
    log("npm run build");
    const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: args.root, encoding: "utf8", timeout: 300_000 });
    build = { ran: true, ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim().slice(-3000) };
    if (!build.ok) log(`build failed (continuing with whatever dist/ holds):\n${build.output}`);
  }
  const agentCli = agentCliPath(args.root);
  if (!existsSync(agentCli)) log(`warning: ${agentCli} is missing: agent suites will fail`);

  // Other users' processes come and go on a shared machine: keep the range
  // of processes the bench did not start.
  const foreign = { min: Infinity, max: -Infinity };
  const sampleForeign = () => {
    const n = processCount() - trackedCount();
    foreign.min = Math.min(foreign.min, n);
    foreign.max = Math.max(foreign.max, n);
  };
  sampleForeign();
  const foreignTimer = setInterval(sampleForeign, 10_000);

  const wanted = args.only ?? SUITES;
  const results = [];
  ctx.results = results;
  const runLoad = new MachineLoadMeter();
  for (const id of SUITES) {
    if (!wanted.includes(id)) continue;
    const t0 = Date.now();
    const suiteLoad = new MachineLoadMeter();
    let mod = null;
    try {
      mod = await import(`./suites/${id}.mjs`);
      const result = await mod.run(ctx);
      const list = Array.isArray(result) ? result : [result];
      for (const r of list) r.machineBusy = suiteLoad.read();
      results.push(...list);
    } catch (error) {
      log(`suite ${id} failed: ${error?.stack ?? error}`);
      results.push({ id, title: mod?.title ?? TITLES[id] ?? id, failed: String(error?.message ?? error), targets: [] });
    } finally {
      // Nothing a suite started may outlive it.
      const left = killTracked("SIGKILL");
      if (left > 0) log(`suite ${id}: killed ${left} leftover process(es)`);
    }
    log(`suite ${id} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }

  clearInterval(foreignTimer);
  sampleForeign();
  // Sections in the order (1. … 7.), whatever order the suites ran in.
  results.sort((a, b) => (parseInt(a.title, 10) || 99) - (parseInt(b.title, 10) || 99));
  const report = renderReport({
    machine,
    backgroundBusy,
    runBusy: runLoad.read(),
    loadavgEnd: machineDescription().loadavg,
    foreign,
    quick: args.quick,
    date: new Date(started),
    durationS: (Date.now() - started) / 1000,
    versions,
    peers,
    build,
    results,
    options: ctx,
  });
  const out = args.out ?? (args.quick ? join(outDir, "RESULTS-quick.md") : join(benchDir, "RESULTS.md"));
  writeFileSync(out, report);
  writeFileSync(join(outDir, args.quick ? "results-quick.json" : "results.json"), JSON.stringify({ machine, versions, results }, null, 2));
  log(`report written to ${out} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  if (trackedCount() > 0) killTracked("SIGKILL");
}

main().catch((error) => {
  process.stderr.write(`bench: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
