/**
 * Profiles the agent under fan-out: starts the built agent with
 * `--cpu-prof`, runs the fan-out load worker against it (N clients at the
 * recommended rates for D seconds, in a separate process), stops the agent
 * with SIGTERM so V8 writes the profile, and prints where its time went.
 *
 *   node bench/profile-agent.mjs [--clients 500] [--seconds 20] [--kinds metrics,disks] [--root DIR] [--node-args "..."]
 *
 * The raw profile lands in bench/out/agent-prof/ (Chrome DevTools / speedscope).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startAgent } from "./lib/peers.mjs";
import { runLoad } from "./lib/load.mjs";
import { CpuMeter, installExitHandlers, procMemory } from "./lib/util.mjs";
import { printProfile, summarizeProfile } from "./lib/cpuprofile.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const clients = Number(opt("--clients", 500));
const seconds = Number(opt("--seconds", 20));
const root = resolve(opt("--root", resolve(benchDir, "..")));
const extraArgs = opt("--node-args", "").split(/\s+/).filter(Boolean);
const kinds = opt("--kinds", null)?.split(",") ?? null;

installExitHandlers();
const profDir = join(benchDir, "out", "agent-prof");
rmSync(profDir, { recursive: true, force: true });
mkdirSync(profDir, { recursive: true });
const ctx = { root, benchDir, outDir: join(benchDir, "out"), log: (l) => process.stderr.write(`${l}\n`) };
const agent = await startAgent(ctx, { nodeArgs: [...extraArgs, "--cpu-prof", "--cpu-prof-dir", profDir, "--cpu-prof-interval", "200"] });
let meter = null;
const final = await runLoad(ctx, {
  url: agent.url,
  clients,
  durationMs: seconds * 1000,
  windowMs: seconds * 1000 + 1000,
  kinds,
  onConnected: () => {
    meter = new CpuMeter(agent.pid);
  },
});
const cpu = meter.read();
const rss = procMemory(agent.pid).rss;
await agent.stop(5000);
const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("the agent wrote no profile (did it exit on SIGTERM?)");
const summary = summarizeProfile(JSON.parse(readFileSync(join(profDir, file), "utf8")), { top: 30 });
console.log(
  `${final.clients} clients, ${seconds} s: ${final.replies} replies (${(final.replies / final.elapsedS).toFixed(0)}/s), p50 ${final.latency.p50?.toFixed(2)} ms, p99 ${final.latency.p99?.toFixed(2)} ms; agent CPU ${(cpu.coreFraction * 100).toFixed(1)} % of a core = ${((cpu.cpuSeconds * 1e6) / final.replies).toFixed(1)} µs per reply; RSS ${(rss / 1048576).toFixed(1)} MiB`,
);
console.log(printProfile(summary, { perUnit: final.replies, unitName: "reply" }));
console.log(`\nprofile: ${join(profDir, file)}`);
