/**
 * Suite 10 — V8 options for the agent's memory: each variant is an agent
 * started with some `node` options; for each, VmRSS and private memory once
 * it listens, then the agent's CPU for a fixed piece of work (fresh process
 * lists and metrics, TTL 0) and VmRSS after it. Variants take turns round by
 * round, so the CPU cost of the memory saved is measured side by side.
 */
import { connectAgent, startAgent } from "../lib/peers.mjs";
import { fmtMs, fmtNum, fmtRatio, median, procCpuNs, procMemory, procSmaps, sleep } from "../lib/util.mjs";

export const title = "10. V8 options: memory saved and its CPU cost";

// [] is the agent as shipped: it sets --semi-space-growth-factor=1 itself (v8-tuning.ts; more above BUSY_CLIENTS) unless
// given a semi-space option; "--semi-space-growth-factor=2" is V8's own default, i.e. the agent untuned.
export const VARIANTS = [
  [],
  ["--semi-space-growth-factor=2"],
  ["--max-semi-space-size=1"],
  ["--lite-mode"],
  ["--lite-mode", "--max-semi-space-size=1"],
  ["--max-old-space-size=64", "--max-semi-space-size=1"],
];

export async function run(ctx) {
  const rounds = ctx.quick ? 1 : 3;
  const requests = ctx.quick ? 20 : 50;
  const by = new Map(VARIANTS.map((v) => [v.join(" "), { rssIdle: [], privIdle: [], rssAfter: [], cpuMs: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const key = variant.join(" ");
      ctx.log(`v8flags: round ${round + 1}/${rounds}: ${key || "(defaults)"}`);
      const agent = await startAgent(ctx, {
        label: `agent-v8 ${key}`,
        nodeArgs: [...(ctx.agentNodeArgs ?? []), ...variant],
        env: { SOCKTOP_AGENT_PROCESSES_TTL_MS: "0", SOCKTOP_AGENT_METRICS_TTL_MS: "0" },
      });
      try {
        await sleep(1000);
        const r = by.get(key);
        r.rssIdle.push(procMemory(agent.pid).rss);
        r.privIdle.push(procSmaps(agent.pid).private);
        const client = await connectAgent(agent.url);
        const before = procCpuNs(agent.pid);
        for (let i = 0; i < requests; i++) {
          await client.request("processes");
          await client.request("metrics");
        }
        r.cpuMs.push((procCpuNs(agent.pid) - before) / 1e6 / requests);
        r.rssAfter.push(procMemory(agent.pid).rss);
        await client.close();
      } finally {
        await agent.stop();
      }
    }
  }
  const base = by.get("");
  const rows = [];
  const data = [];
  for (const [key, r] of by) {
    const d = { options: key, rssIdle: median(r.rssIdle), privIdle: median(r.privIdle), rssAfter: median(r.rssAfter), cpuMs: median(r.cpuMs) };
    data.push(d);
    rows.push(
      `| ${key ? `\`${key}\`` : "(defaults)"} | ${fmtNum(d.rssIdle / 1e6, 1)} MB | ${fmtNum(d.privIdle / 1e6, 1)} MB | ${fmtNum(d.rssAfter / 1e6, 1)} MB | ${fmtNum((median(base.rssAfter) - d.rssAfter) / 1e6, 1)} MB | ${fmtMs(d.cpuMs)} | ${fmtRatio(d.cpuMs / median(base.cpuMs))} |`,
    );
  }
  const markdown = [
    `Each variant: an agent started with these node options (TTLs 0), VmRSS and private memory 1 s after it listens, then ${requests} fresh process-list + metrics request pairs one at a time; agent CPU (all threads) per pair, VmRSS after. ${rounds} round(s), variants taking turns; medians.`,
    "",
    "| node options | VmRSS idle | private idle | VmRSS after the work | saved vs defaults (after) | CPU per request pair | CPU vs defaults |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    "\"(defaults)\" is the agent as shipped, which sets `--semi-space-growth-factor=1` on itself at start-up (packages/agent/src/v8-tuning.ts: the semi-spaces stay at 1 MiB, as with `--max-semi-space-size=1`, an option V8 reads only when the heap is created) and lets them grow with many clients (its BUSY_CLIENTS and CROWDED_CLIENTS; not reached here: one client); `--semi-space-growth-factor=2` is V8's own default, i.e. the agent without that tuning (any semi-space option given to node leaves the agent's tuning off). `--lite-mode` turns off V8's optimising compiler: less code and feedback memory, more CPU in hot loops (the scan's parser); like the old-space limit it would need a re-execution (a second start-up) to apply, so it is measured here, not applied.",
  ].join("\n");
  return { id: "v8flags", title, markdown, targets: [], data };
}
