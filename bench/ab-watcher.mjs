#!/usr/bin/env node
/**
 * A/B of the agent's cost per watcher: two builds of packages/agent run side
 * by side, each polled by one client at the recommended rates (metrics
 * 500 ms, disks 5 s; processes 2 s with --processes) at the same moment, so
 * the machine's noise hits both alike. Not a suite: a tool for judging a
 * change to the agent's request path on this shared machine, where one run
 * of the watcher suite moves by ±20 % from run to run and only figures
 * taken side by side compare.
 *
 *   node bench/ab-watcher.mjs --base DIR [--new DIR] [--rounds N] [--seconds S] [--warm-up S] [--processes] [--floor] [--node-exporter]
 *
 * DIR is a copy of packages/agent/dist (keep the base with
 * `cp -r packages/agent/dist packages/agent/dist-base`; it resolves its
 * @socktop/* imports from the workspace, so only the agent differs).
 * CPU is the scheduler's run time of all the agent's threads (the watcher
 * suite's CpuMeter), in CPU seconds per minute of wall time. Prints each
 * round's figures and new/base ratio, then the medians and the spread of
 * the per-round ratios.
 *
 * --floor polls a third process at the same time: a bare ws server on Node
 * (the workspace's ws, as the agent) answering every request with a fixed
 * 400-byte text frame. Its CPU is what a request costs before the agent does
 * anything of its own (wake-up, socket read, ws framing, write), so the
 * agents' figures minus it are the part their own code can change.
 * --node-exporter polls node_exporter too, for the same data at the same
 * rates as the watcher suite does (its target: agent ≤ 0.5× node_exporter,
 * metrics + disks), and prints new/node_exporter per round.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { NODE_EXPORTER_QUERIES, connectAgent, startAgent, startNodeExporter, startWsFloor } from "./lib/peers.mjs";
import {
  CpuMeter,
  WATCHER_RATES,
  fmtNum,
  fmtRatio,
  httpGet,
  asOnAUsersMachine,
  installExitHandlers,
  killTracked,
  median,
  pollAtRates,
  procMemory,
  quantile,
} from "./lib/util.mjs";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    base: { type: "string" },
    new: { type: "string", default: join(root, "packages", "agent", "dist") },
    rounds: { type: "string", default: "6" },
    seconds: { type: "string", default: "20" },
    "warm-up": { type: "string", default: "6" },
    processes: { type: "boolean", default: false },
    floor: { type: "boolean", default: false },
    "node-exporter": { type: "boolean", default: false },
  },
});
if (!values.base) throw new Error("--base DIR (a copy of packages/agent/dist) is required");
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
// Without --processes: node_exporter's share of the work (the watcher suite's "metrics + disks" row).
const rates = values.processes ? WATCHER_RATES : { metrics: WATCHER_RATES.metrics, disks: WATCHER_RATES.disks };
const ctx = { root, outDir: join(root, "bench", "out"), log: (s) => console.error(s) };
installExitHandlers();
asOnAUsersMachine();

const names = ["base", "new"];
const dirs = { base: resolve(values.base), new: resolve(values.new) };
const perMinute = { base: [], new: [] };
const failures = { base: 0, new: 0 };
const ratios = [];
const agents = {};
const clients = {};
try {
  for (const name of names) {
    agents[name] = await startAgent(ctx, { cli: join(dirs[name], "cli.cjs"), label: `agent-ab-${name}` });
    clients[name] = await connectAgent(agents[name].url);
  }
  if (values.floor) {
    agents.floor = await startWsFloor(ctx);
    clients.floor = await connectAgent(agents.floor.url);
    perMinute.floor = [];
    failures.floor = 0;
  }
  if (values["node-exporter"]) {
    const ne = await startNodeExporter(ctx);
    if (ne === null) throw new Error("--node-exporter: prometheus-node-exporter is not installed");
    agents.node_exporter = ne;
    clients.node_exporter = {
      async request(kind) {
        const path = NODE_EXPORTER_QUERIES[kind];
        if (!path) return;
        const r = await httpGet(ne.port, path);
        if (r.status !== 200) throw new Error(String(r.status));
      },
      close: async () => {},
    };
    perMinute.node_exporter = [];
    failures.node_exporter = 0;
  }
  const extras = Object.keys(perMinute).filter((name) => !names.includes(name));
  const polled = [...names, ...extras];
  const pollBoth = (order, ms) =>
    Promise.all(order.map((name) => pollAtRates(ms, (kind) => clients[name].request(kind), rates)));
  // Warm-up: first collections and V8's optimising tier, for both at once.
  await pollBoth(polled, Number(values["warm-up"]) * 1000);
  console.log(`${rounds} rounds of ${seconds} s, kinds ${Object.keys(rates).join(", ")}; CPU s per minute (scheduler run time, all threads)`);
  for (let r = 0; r < rounds; r++) {
    // Who starts first alternates, so neither build's timers always fire first.
    const order = [...(r % 2 ? ["new", "base"] : ["base", "new"]), ...extras];
    const meters = Object.fromEntries(order.map((name) => [name, new CpuMeter(agents[name].pid)]));
    const results = await pollBoth(order, seconds * 1000);
    const readings = Object.fromEntries(order.map((name) => [name, meters[name].read()]));
    for (const [i, name] of order.entries()) {
      perMinute[name].push(readings[name].cpuSecondsPerMinute);
      failures[name] += results[i].failures;
    }
    const ratio = readings.new.cpuSecondsPerMinute / readings.base.cpuSecondsPerMinute;
    ratios.push(ratio);
    console.log(
      `round ${r + 1}: base ${fmtNum(readings.base.cpuSecondsPerMinute, 3)}  new ${fmtNum(readings.new.cpuSecondsPerMinute, 3)}  new/base ${fmtRatio(ratio)}${extras.map((name) => `  ${name} ${fmtNum(readings[name].cpuSecondsPerMinute, 3)}`).join("")}${readings.base.exact && readings.new.exact ? "" : " (ticks, not exact)"}`,
    );
  }
  for (const name of polled) {
    const v = perMinute[name];
    console.log(
      `${name}: median ${fmtNum(median(v), 3)} CPU s/min (middle half ${fmtNum(quantile(v, 0.25), 3)} – ${fmtNum(quantile(v, 0.75), 3)}, min – max ${fmtNum(Math.min(...v), 3)} – ${fmtNum(Math.max(...v), 3)}), VmRSS at end ${fmtNum(procMemory(agents[name].pid).rss / 1048576, 1)} MiB, ${failures[name]} failed polls`,
    );
  }
  if (perMinute.floor) {
    const above = (name) => median(perMinute[name].map((v, i) => v - perMinute.floor[i]));
    console.log(`above the floor (per-round differences, median): base ${fmtNum(above("base"), 3)}, new ${fmtNum(above("new"), 3)} CPU s/min`);
  }
  if (perMinute.node_exporter) {
    const vs = (name) => {
      const r = perMinute[name].map((v, i) => v / perMinute.node_exporter[i]);
      return `${fmtRatio(median(r))} (middle half ${fmtRatio(quantile(r, 0.25))} – ${fmtRatio(quantile(r, 0.75))})`;
    };
    console.log(`vs node_exporter (per-round ratios, median): base ${vs("base")}, new ${vs("new")}${perMinute.floor ? `, floor ${vs("floor")}` : ""}`);
  }
  console.log(
    `new/base: median of per-round ratios ${fmtRatio(median(ratios))} (middle half ${fmtRatio(quantile(ratios, 0.25))} – ${fmtRatio(quantile(ratios, 0.75))}, min – max ${fmtRatio(Math.min(...ratios))} – ${fmtRatio(Math.max(...ratios))}); ratio of medians ${fmtRatio(median(perMinute.new) / median(perMinute.base))}`,
  );
} finally {
  for (const client of Object.values(clients)) await client.close();
  for (const agent of Object.values(agents)) await agent.stop();
  killTracked();
}
