/**
 * Profiles one uncached collection of each data source the agent serves
 * (metrics, disks, processes), in-process, from the agent's TypeScript
 * source: wall time and CPU time per collection, then a V8 CPU profile of
 * each source's collections (self and inclusive time per function).
 *
 *   node --import tsx --conditions=source bench/profile-sources.mjs [--calls 300] [--only metrics]
 *
 * This is where the fresh-request latency (suite 2) and the per-watcher CPU
 * (suite 3) come from: with one watcher at the recommended rates, the agent
 * collects metrics twice a second (TTL 250 ms < 500 ms), processes every 2 s
 * and disks every 5 s.
 */
import { Session } from "node:inspector/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { printProfile, summarizeProfile } from "./lib/cpuprofile.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const root = resolve(opt("--root", resolve(benchDir, "..")));
const calls = Number(opt("--calls", 300));
const only = opt("--only", null);

const { MetricsSources } = await import(pathToFileURL(join(root, "packages/agent/src/sources.ts")).href);
const silent = { info() {}, warn() {}, error() {} };
const sources = new MetricsSources({
  procRoot: "/proc",
  sysRoot: "/sys",
  metricsTtlMs: 0,
  processesTtlMs: 0,
  disksTtlMs: 0,
  gpuEnabled: true,
  temperatureEnabled: true,
  log: silent,
});

mkdirSync(join(benchDir, "out"), { recursive: true });
for (const kind of ["metrics", "disks", "processes"]) {
  if (only && only !== kind) continue;
  const cache = sources[kind];
  for (let i = 0; i < 30; i++) await cache.get(); // warm-up
  const wall = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await cache.get();
    wall.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  wall.sort((a, b) => a - b);
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 50 });
  await session.post("Profiler.start");
  for (let i = 0; i < calls; i++) await cache.get();
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  writeFileSync(join(benchDir, "out", `source-${kind}.cpuprofile`), JSON.stringify(profile));
  console.log(
    `\n=== ${kind}: ${calls} uncached collections: wall median ${(wall[calls >> 1] * 1000).toFixed(0)} µs, p90 ${(wall[Math.floor(calls * 0.9)] * 1000).toFixed(0)} µs; CPU ${(((cpu.user + cpu.system) / calls)).toFixed(0)} µs per collection (main + libuv threads)`,
  );
  console.log(printProfile(summarizeProfile(profile, { top: 18 }), { perUnit: calls, unitName: "call" }));
}
