/**
 * Suite 5 — fan-out: 10, 1000 and 2000 concurrent clients polling at the
 * recommended rates (metrics 500 ms, processes 2 s, disks 5 s) for 30 s each,
 * against a freshly started agent with default TTLs. Clients live in a
 * separate worker process; on a 2-core machine that worker competes with the
 * agent for CPU, so its own event-loop lag is reported next to the latency.
 */
import { startAgent } from "../lib/peers.mjs";
import { runLoad } from "../lib/load.mjs";
import { CpuMeter, fmtBytes, fmtMs, fmtNum, procMemory, procSmaps, sleep } from "../lib/util.mjs";

export function errorsOf(f) {
  return f.connectErrors + f.errorReplies + f.unexpectedCloses + f.socketErrors + f.timeouts + f.unanswered + (f.connect?.failed ?? 0);
}

/** Memory targets (VmRSS, MB) by number of clients; 0 = the agent before any client. */
export const RSS_TARGETS_MB = { 0: 50, 10: 60, 1000: 90 };
/** The fan-out latency target is checked at this many clients. */
export const FANOUT_CLIENTS = 2000;

/** Explanation of a missed RSS target from what this run measured. */
function rssWhy(ctx, rss, smaps, limitMb) {
  const bare = ctx.machine?.bareNodeRss;
  const parts = [];
  if (Number.isFinite(bare)) {
    parts.push(
      `a bare \`node\` process is ${fmtNum(bare / 1e6, 1)} MB of VmRSS on this machine, which leaves ${fmtNum(limitMb - bare / 1e6, 1)} MB for the agent's own code, heap and buffers; it used ${fmtNum((rss - bare) / 1e6, 1)} MB over that`,
    );
  }
  if (smaps) parts.push(`its private memory was ${fmtNum(smaps.private / 1e6, 1)} MB (the rest of VmRSS is pages shared with other processes, chiefly the node binary)`);
  return `${parts.join("; ")}.`;
}

/**
 * Where the slow replies came from, from the load worker's episodes: a p99
 * over the target at a low p50 is a few stalls, and the worker's own loop
 * stall in the same span tells whether it (or the machine) or the agent stalled.
 */
export function stallWhy(final) {
  const worst = final.slowEpisodes?.[0];
  if (!worst) return `no reply took ${final.slowMs ?? 25} ms or more`;
  const share = (final.slowReplies / Math.max(1, final.replies)) * 100;
  const side =
    worst.workerStallMs >= worst.maxMs / 2
      ? `the client worker's own event loop stalled ${fmtMs(worst.workerStallMs)} in that span: it (or the machine) stalled, not only the agent`
      : `the client worker's loop stalled at most ${fmtMs(worst.workerStallMs)} in that span: the agent was slow to answer`;
  return `${final.slowReplies} replies (${fmtNum(share, 2)} %) took ≥ ${final.slowMs} ms, in ${final.slowEpisodeCount} episode(s); the worst held ${worst.replies} of them, sent over ${fmtMs(worst.spanMs)} from ${fmtNum(worst.atS, 1)} s into the polling, slowest ${fmtMs(worst.maxMs)}, and ${side}`;
}

export async function run(ctx) {
  const levels = ctx.quick ? [10, 200] : [10, 1000, FANOUT_CLIENTS];
  const durationMs = ctx.quick ? 8_000 : 20_000;
  const rows = [];
  const targets = [];
  const data = [];
  for (const clients of levels) {
    // Above the default cap of 1024 connections (SOCKTOP_MAX_CLIENTS), which would refuse the 2000-client round with 503.
    const agent = await startAgent(ctx, { label: `agent-fanout-${clients}`, env: { SOCKTOP_MAX_CLIENTS: String(Math.max(4096, clients * 2)) } });
    try {
      await sleep(300);
      const rssStart = procMemory(agent.pid).rss;
      const smapsStart = procSmaps(agent.pid);
      let meter = null;
      let rssMax = rssStart;
      const rssTimer = setInterval(() => {
        const m = procMemory(agent.pid).rss;
        if (m > rssMax) rssMax = m;
      }, 500);
      ctx.log(`fanout: ${clients} clients for ${durationMs / 1000} s`);
      let cpu = null;
      const final = await runLoad(ctx, {
        url: agent.url,
        clients,
        durationMs,
        windowMs: durationMs + 1000,
        onConnected: () => {
          meter = new CpuMeter(agent.pid);
          setTimeout(() => {
            cpu = meter.read();
          }, durationMs).unref();
        },
      });
      clearInterval(rssTimer);
      cpu ??= meter?.read();
      const rssEnd = procMemory(agent.pid).rss;
      const smaps = procSmaps(agent.pid);
      const errors = errorsOf(final);
      const d = { clients, final, cpu, rssStart, smapsStart, rssEnd, rssMax, smaps, errors, rps: final.replies / final.elapsedS };
      data.push(d);
      rows.push(
        `| ${clients} | ${final.clients} | ${fmtNum(d.rps, 0)} | ${fmtMs(final.latency.p50)} | ${fmtMs(final.latency.p99)} | ${fmtMs(final.latency.max)} | ${errors}${final.late ? ` (late: ${final.late})` : ""} | ${fmtNum(cpu.coreFraction * 100, 1)} % | ${fmtBytes(rssStart)} → ${fmtBytes(rssEnd)} (max ${fmtBytes(rssMax)}) | ${fmtBytes(smaps.private)} | ${fmtMs(final.loopLag.p99Ms)} / ${fmtNum(final.workerCpuS / final.elapsedS * 100, 0)} % |`,
      );
      if (data.length === 1) {
        const limit = RSS_TARGETS_MB[0];
        targets.push({
          name: `Agent idle (started, no client yet): VmRSS ≤ ${limit} MB`,
          figure: `${fmtNum(rssStart / 1e6, 1)} MB VmRSS`,
          met: rssStart <= limit * 1e6,
          why: rssWhy(ctx, rssStart, d.smapsStart, limit),
        });
      }
      const limit = RSS_TARGETS_MB[clients];
      if (limit !== undefined) {
        targets.push({
          name: `${clients} clients at the recommended rates: agent VmRSS ≤ ${limit} MB`,
          figure: `max ${fmtNum(rssMax / 1e6, 1)} MB VmRSS (private ${fmtNum(smaps.private / 1e6, 1)} MB at the end)`,
          met: rssMax <= limit * 1e6,
          why: rssWhy(ctx, rssMax, smaps, limit),
        });
      }
      if (clients === FANOUT_CLIENTS) {
        const lag = final.loopLag.p99Ms;
        targets.push({
          name: `${clients} clients: p99 < 50 ms`,
          figure: `p99 ${fmtMs(final.latency.p99)} (p50 ${fmtMs(final.latency.p50)}; client worker's loop lag p99 ${fmtMs(lag)})`,
          met: final.latency.p99 < 50,
          why: `${stallWhy(final)}; the client worker's own event-loop lag p99 was ${fmtMs(lag)} (it shares the cores and adds its lag to every latency it measures); the agent used ${fmtNum(cpu.coreFraction * 100, 1)} % of one core.`,
        });
        targets.push({ name: `${clients} clients: zero errors`, figure: `${errors} errors in ${final.requests} requests`, met: errors === 0, why: (final.errorSamples ?? []).slice(0, 3).join(" | ") || null });
      }
      if (final.errorSamples?.length) ctx.log(`fanout ${clients}: errors: ${final.errorSamples.join(" | ")}`);
    } finally {
      await agent.stop();
    }
  }
  const last = data[data.length - 1];
  const perKind = last
    ? Object.entries(last.final.byKind)
        .map(([k, s]) => `${k} p50 ${fmtMs(s.p50)} / p99 ${fmtMs(s.p99)}`)
        .join("; ")
    : "";
  const markdown = [
    `Each level: a freshly started agent (default TTLs), ${durationMs / 1000} s of polling after all clients connected. Every client polls metrics every 500 ms, processes every 2 s and disks every 5 s with a random phase; a client never has two requests of one kind outstanding (skipped sends are counted as "late"). Errors = failed connections + error replies + unexpected closes + socket errors + replies missing at the end. Agent CPU = CPU time of all the agent's threads over the polling window, as a share of one core.`,
    "",
    "| clients | connected | replies/s | p50 | p99 | max | errors | agent CPU | agent RSS start → end | agent private memory at end | client worker: loop lag p99 / CPU |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    last ? `At ${last.clients} clients, by kind: ${perKind}.` : "",
    "",
    "The client worker runs on the same 2 cores: its event-loop lag p99 is added to every latency it measures, so the latency figures are an upper bound for the agent.",
  ].join("\n");
  return { id: "fanout", title: "5. Fan-out", markdown, targets, data };
}
