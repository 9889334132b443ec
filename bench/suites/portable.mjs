/**
 * Suite 11 — the portable backend (systeminformation + os, what macOS, Windows
 * and FreeBSD run) beside the Linux backend (/proc and /sys), both on this
 * Linux machine, so the cost on other platforms is known.
 *
 *  - request latency: both agents with TTLs 0 (every request collects),
 *    requests one at a time, interleaved agent by agent, round by round;
 *  - watcher CPU: one client at the recommended rates (metrics 500 ms,
 *    processes 2 s, disks 5 s), agents taking turns; CPU counts the agent and
 *    the children it waited for (the portable backend runs `ps` and shells:
 *    their CPU is its cost too), from utime+stime+cutime+cstime.
 */
import { readFileSync } from "node:fs";
import { connectAgent, startAgent } from "../lib/peers.mjs";
import { TICKS_PER_SECOND, fmtMs, fmtNum, fmtRatio, median, pollAtRates, sleep, summarize } from "../lib/util.mjs";

const KINDS = ["metrics", "disks", "processes"];
const FRESH = { SOCKTOP_AGENT_METRICS_TTL_MS: "0", SOCKTOP_AGENT_PROCESSES_TTL_MS: "0", SOCKTOP_AGENT_DISKS_TTL_MS: "0" };

/** CPU ticks of a process and of the children it has reaped. */
function ticksWithChildren(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3: utime=14, stime=15, cutime=16, cstime=17.
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

export const title = "11. Portable backend (other platforms) beside the Linux backend";

export async function run(ctx) {
  const rounds = ctx.quick ? 15 : 40;
  const watchRounds = ctx.quick ? 2 : 4;
  const watchMs = ctx.quick ? 6_000 : 15_000;
  const agents = [];
  try {
    ctx.log("portable: starting a Linux-backend and a portable-backend agent");
    const contenders = [
      { id: "linux", name: "Linux backend (/proc, /sys)", env: {} },
      { id: "portable", name: "portable backend (systeminformation)", env: { SOCKTOP_AGENT_BACKEND: "portable" } },
    ];
    for (const c of contenders) {
      c.fresh = await startAgent(ctx, { label: `agent-${c.id}-fresh`, env: { ...FRESH, ...c.env } });
      c.watched = await startAgent(ctx, { label: `agent-${c.id}-watched`, env: c.env });
      agents.push(c.fresh, c.watched);
      c.freshClient = await connectAgent(c.fresh.url);
    }
    // Warm-up: first probes (GPU, sensors), the portable backend's first listing, JIT.
    for (let i = 0; i < 3; i++) for (const kind of KINDS) for (const c of contenders) await c.freshClient.request(kind);

    ctx.log(`portable: ${rounds} interleaved latency rounds`);
    const samples = {};
    for (let round = 0; round < rounds; round++) {
      for (const kind of KINDS) {
        for (const c of contenders) {
          const r = await c.freshClient.request(kind);
          (samples[`${kind}/${c.id}`] ??= []).push(r.ms);
        }
      }
      await sleep(20);
    }

    ctx.log(`portable: watcher CPU, ${watchRounds} rounds of ${watchMs / 1000} s each`);
    const perMinute = { linux: [], portable: [] };
    const failures = { linux: 0, portable: 0 };
    for (const c of contenders) {
      c.watchClient = await connectAgent(c.watched.url);
      await pollAtRates(2000, (kind) => c.watchClient.request(kind)); // warm-up
    }
    for (let round = 0; round < watchRounds; round++) {
      for (const c of contenders) {
        const before = ticksWithChildren(c.watched.pid);
        const t0 = performance.now();
        failures[c.id] += (await pollAtRates(watchMs, (kind) => c.watchClient.request(kind))).failures;
        const seconds = (performance.now() - t0) / 1000;
        const cpuSeconds = (ticksWithChildren(c.watched.pid) - before) / TICKS_PER_SECOND;
        perMinute[c.id].push((cpuSeconds / seconds) * 60);
      }
    }
    for (const c of contenders) {
      await c.freshClient.close();
      await c.watchClient.close();
    }

    const lines = [
      "Both agents run on this Linux machine; `SOCKTOP_AGENT_BACKEND=portable` makes one of them read through the",
      "portable backend that macOS, Windows and FreeBSD use. Fresh requests (TTLs 0), interleaved; medians.",
      "",
      "| request | Linux backend, median | portable, median | portable p10 – p90 | portable / Linux |",
      "|---|---|---|---|---|",
    ];
    const data = { latency: {}, watcher: {} };
    for (const kind of KINDS) {
      const l = summarize(samples[`${kind}/linux`]);
      const p = summarize(samples[`${kind}/portable`]);
      data.latency[kind] = { linux: l, portable: p, ratio: p.median / l.median };
      lines.push(`| \`{"type":"${kind}"}\` | ${fmtMs(l.median)} | ${fmtMs(p.median)} | ${fmtMs(p.p10)} – ${fmtMs(p.p90)} | ${fmtRatio(p.median / l.median)} |`);
    }
    const ratios = perMinute.portable.map((p, i) => p / perMinute.linux[i]);
    data.watcher = { perMinute, ratios, failures };
    lines.push(
      "",
      `One watcher at the recommended rates (metrics 500 ms, processes 2 s, disks 5 s), ${watchRounds} rounds of ${watchMs / 1000} s, agents taking turns; CPU includes reaped children (\`ps\`, shells):`,
      "",
      "| backend | CPU-s per minute, median | min – max | failures |",
      "|---|---|---|---|",
      ...contenders.map(
        (c) =>
          `| ${c.name} | ${fmtNum(median(perMinute[c.id]), 3)} | ${fmtNum(Math.min(...perMinute[c.id]), 3)} – ${fmtNum(Math.max(...perMinute[c.id]), 3)} | ${failures[c.id]} |`,
      ),
      "",
      `Portable / Linux watcher CPU: ${fmtRatio(median(ratios))} (per-round ratios ${ratios.map((r) => fmtRatio(r)).join(", ")}).`,
      "The portable backend lists processes by running `ps` and reading each process through a shell",
      "(systeminformation's Linux path), where the Linux backend re-reads kept /proc descriptors: that is the price",
      "of one code path for every other platform, and why Linux keeps its own backend.",
    );
    return { id: "portable", title, markdown: lines.join("\n"), targets: [], data };
  } finally {
    for (const a of agents.splice(0)) await a.stop();
  }
}
