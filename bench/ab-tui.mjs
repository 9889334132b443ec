#!/usr/bin/env node
/**
 * A/B of the TUI's own cost: two builds of packages/tui run side by side
 * (same moment, same agents, so the machine's noise hits both alike), over
 * several rounds, the order of start-up alternating. Not a suite: a tool for
 * judging a change to the TUI on this noisy machine, where one run of the
 * bench's fleet or TUI row moves by ±20 % from run to run.
 *
 *   node bench/ab-tui.mjs --base DIR [--new DIR] [--mode fleet|single] [--rounds N] [--seconds S]
 *
 * DIR is a copy of packages/tui/dist (keep the base with
 * `cp -r packages/tui/dist packages/tui/dist-base`; it resolves its
 * @socktop/* imports from the workspace, so only the TUI differs).
 * fleet: 10 agents, 80×24, 8 s warm-up (the fleet suite's row); single: one
 * agent, 160×50, 5 s warm-up (the soak suite's TUI row). Prints ticks,
 * CPU share and RSS max per round (minute by minute too for rounds of 120 s
 * and more) and the medians.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startAgent } from "./lib/peers.mjs";
import { sampleTree, startTui } from "./lib/tui.mjs";
import { asOnAUsersMachine, installExitHandlers, killTracked, median, sleep } from "./lib/util.mjs";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    base: { type: "string" },
    new: { type: "string", default: join(root, "packages", "tui", "dist") },
    mode: { type: "string", default: "fleet" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "60" },
  },
});
if (!values.base) throw new Error("--base DIR (a copy of packages/tui/dist) is required");
const fleet = values.mode === "fleet";
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const ctx = { root, outDir: join(root, "bench", "out"), log: (s) => console.error(s) };
installExitHandlers();
asOnAUsersMachine();

const agents = [];
for (let i = 0; i < (fleet ? 10 : 1); i++) agents.push(await startAgent(ctx, { label: `agent-ab-${i}` }));
const builds = { base: resolve(values.base), new: resolve(values.new) };
const results = { base: [], new: [] };
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ["new", "base"] : ["base", "new"];
    const runs = {};
    for (const name of order) {
      runs[name] = await startTui({
        cli: join(builds[name], "cli.js"),
        args: agents.map((a) => a.url),
        xdg: join(ctx.outDir, `xdg-ab-${name}`),
        dataHome: false,
        cols: fleet ? 80 : 160,
        rows: fleet ? 24 : 50,
        socket: `socktop-ab-${name}-${process.pid}`,
        label: `tui-ab-${name}`,
      });
      if (runs[name].error) throw new Error(runs[name].error);
    }
    await sleep(fleet ? 8000 : 5000);
    // Rounds of two minutes and more are also told minute by minute: a compiler or a heap that
    // settles late shows there, not in the round's total.
    const samples = await Promise.all(order.map((name) => sampleTree(runs[name].pid, seconds, { partS: seconds >= 120 ? 60 : null })));
    for (const [i, name] of order.entries()) {
      const s = samples[i];
      results[name].push(s);
      console.log(`round ${r + 1} ${name}: ${s.ticks} ticks, ${((s.cpuSeconds / s.seconds) * 100).toFixed(3)} % of a core, RSS max ${(s.rssMax / 1e6).toFixed(1)} MB`);
      if (s.parts?.length) console.log(`  by minute: ${s.parts.map((p) => `${p.ticks} ticks / ${(p.rssMax / 1e6).toFixed(1)} MB`).join(", ")}`);
    }
    for (const name of order) await runs[name].stop();
  }
} finally {
  for (const a of agents) await a.stop();
  killTracked();
}
for (const name of ["base", "new"]) {
  const xs = results[name];
  console.log(
    `${name}: median ${median(xs.map((s) => s.ticks))} ticks, ${(median(xs.map((s) => s.coreFraction)) * 100).toFixed(3)} % of a core, RSS max median ${(median(xs.map((s) => s.rssMax)) / 1e6).toFixed(1)} MB`,
  );
}
