/**
 * Suite 3 — CPU cost of one watcher: one client per server polling at the
 * recommended rates (metrics 500 ms, processes 2 s, disks 5 s); each
 * server's CPU seconds per minute of wall time from /proc/<pid>.
 *
 * Each target's contenders are polled side by side, at the same moment, so
 * the machine's drifting background load hits both sides of a ratio alike
 * (since 2026-12-03; before, every contender had a window of its own in
 * turn, and the per-round ratio against node_exporter spread from 0.28× to
 * 0.76× within one run, where bench/ab-watcher.mjs, side by side, measured
 * a middle half of 0.54× – 0.62×). Two groups take turns, the first of each
 * round alternating:
 *  - node_exporter's target: a second agent asked only for metrics and disks
 *    (node_exporter's share of the work; a process of its own, so that the
 *    process-list rounds' garbage and JIT work do not land in it), node_exporter
 *    (its cpu/meminfo/netdev/hwmon scrape every 500 ms, its filesystem scrape
 *    every 5 s; it has no process list) and the floor: a bare Node ws server
 *    answering every metrics and disks request with the same bytes
 *    (bench/lib/peers.mjs startWsFloor), what any Node WebSocket server pays
 *    per request before doing work of its own, so that the explanation can
 *    tell the agent's own work apart;
 *  - Glances's target: the agent (default TTLs) asked for
 *    `{"type":"metrics"|"processes"|"disks"}` over one WebSocket, and Glances
 *    with the plugins behind the same data, each refreshed at the same rate
 *    (config `refresh=`; `--cached-time 0` so the REST server does not hold
 *    them back), polled on its per-plugin REST endpoints.
 * Each target's ratio is the median of the per-round ratios (ours ÷ the
 * peer's in the same window); the spread of those ratios is reported.
 */
import { GLANCES_PATHS, GLANCES_PLUGINS, NODE_EXPORTER_QUERIES, connectAgent, startAgent, startGlances, startNodeExporter, startWsFloor } from "../lib/peers.mjs";
import { CpuMeter, WATCHER_RATES, fmtBytes, fmtNum, fmtRatio, httpGet, median, pollAtRates, procMemory, quantile } from "../lib/util.mjs";

const RATES = WATCHER_RATES;

export async function run(ctx) {
  // Enough rounds for a stable ratio (the spread of the per-round ratios is reported): an agent's
  // 10 s is ~50 ms of CPU, where one garbage collection more or less moves it by a tenth. Two
  // groups of 20 s per round: about the suite's length when each of five contenders had 11 s.
  const rounds = ctx.quick ? 2 : 12;
  const durationMs = ctx.quick ? 5_000 : 20_000;
  // Long enough for the agent's hot paths to be compiled by V8's optimising tier before measuring.
  const warmUpMs = ctx.quick ? 1_000 : 6_000;
  const servers = [];
  try {
    ctx.log("watcher: starting the agent, node_exporter and Glances");
    const agent = await startAgent(ctx, { label: "agent-watcher" });
    servers.push(agent);
    const agentMd = await startAgent(ctx, { label: "agent-watcher-md" });
    servers.push(agentMd);
    const ne = await startNodeExporter(ctx);
    if (ne) servers.push(ne);
    const plugins = [...GLANCES_PLUGINS.metrics, ...GLANCES_PLUGINS.disks, ...GLANCES_PLUGINS.processes];
    const refresh = {};
    for (const [kind, list] of Object.entries(GLANCES_PLUGINS)) for (const p of list) refresh[p] = RATES[kind] / 1000;
    const glances = await startGlances(ctx, { plugins, cachedTime: 0, time: 0.5, refresh, label: "glances-watcher" });
    if (glances) servers.push(glances);

    const floor = ne ? await startWsFloor(ctx) : null;
    if (floor) servers.push(floor);

    const client = await connectAgent(agent.url);
    const clientMd = await connectAgent(agentMd.url);
    const clientFloor = floor ? await connectAgent(floor.url) : null;
    const contenders = [
      {
        id: "agent",
        name: "socktop_agent",
        pid: agent.pid,
        poll: async (kind) => {
          await client.request(kind);
        },
      },
    ];
    if (ne) {
      // An agent asked only for what node_exporter can give: comparable work.
      contenders.push({
        id: "agent-nop",
        name: "socktop_agent, metrics + disks only (a second agent)",
        pid: agentMd.pid,
        poll: async (kind) => {
          if (kind !== "processes") await clientMd.request(kind);
        },
      });
      contenders.push({
        id: "node_exporter",
        name: "node_exporter (no process list)",
        pid: ne.pid,
        poll: async (kind) => {
          const path = NODE_EXPORTER_QUERIES[kind];
          if (!path) return;
          const r = await httpGet(ne.port, path);
          if (r.status !== 200) throw new Error(String(r.status));
        },
      });
    }
    if (floor && clientFloor) {
      contenders.push({
        id: "floor",
        name: "floor: a bare Node ws server, fixed 400-byte reply (metrics + disks requests)",
        pid: floor.pid,
        poll: async (kind) => {
          if (kind !== "processes") await clientFloor.request(kind);
        },
      });
    }
    if (glances) {
      contenders.push({
        id: "glances",
        name: "Glances",
        pid: glances.pid,
        poll: async (kind) => {
          for (const path of GLANCES_PATHS[kind]) {
            const r = await httpGet(glances.port, path);
            if (r.status !== 200) throw new Error(String(r.status));
          }
        },
      });
    }

    // The contenders of one target are polled at the same moment; the two groups take turns.
    const groups = [
      contenders.filter((c) => c.id === "agent-nop" || c.id === "node_exporter" || c.id === "floor"),
      contenders.filter((c) => c.id === "agent" || c.id === "glances"),
    ].filter((g) => g.length > 0);
    const pollGroup = (group, ms) => Promise.all(group.map((c) => pollAtRates(ms, c.poll)));

    // Warm-up: first scans, JIT, Glances' first refresh.
    for (const group of groups) await pollGroup(group, warmUpMs);

    const perMinute = Object.fromEntries(contenders.map((c) => [c.id, []]));
    const failures = Object.fromEntries(contenders.map((c) => [c.id, 0]));
    let exact = true;
    for (let round = 0; round < rounds; round++) {
      const order = groups.map((_, i) => groups[(i + round) % groups.length]);
      for (const group of order) {
        ctx.log(`watcher: round ${round + 1}/${rounds}: ${group.map((c) => c.id).join(" + ")} side by side for ${durationMs / 1000} s`);
        const meters = group.map((c) => new CpuMeter(c.pid));
        const results = await pollGroup(group, durationMs);
        for (const [i, c] of group.entries()) {
          const reading = meters[i].read();
          exact &&= reading.exact;
          perMinute[c.id].push(reading.cpuSecondsPerMinute);
          failures[c.id] += results[i].failures;
        }
      }
    }
    await client.close();
    await clientMd.close();
    await clientFloor?.close();

    const agentMedian = median(perMinute.agent);
    const rows = contenders.map((c) => {
      const v = perMinute[c.id];
      const m = median(v);
      return `| ${c.name} | ${fmtNum(m, 3)} s | ${fmtNum(quantile(v, 0.25), 3)} – ${fmtNum(quantile(v, 0.75), 3)} s | ${fmtNum(Math.min(...v), 3)} – ${fmtNum(Math.max(...v), 3)} s | ${fmtNum((m / 60) * 100, 2)} % | ${c.id === "agent" ? "1.00×" : fmtRatio(m / agentMedian)} | ${fmtBytes(procMemory(c.pid).rss)} | ${failures[c.id]} |`;
    });
    const nopMedian = perMinute["agent-nop"] ? median(perMinute["agent-nop"]) : NaN;
    const floorMedian = perMinute.floor ? median(perMinute.floor) : NaN;
    // Targets as ratios: the agent's CPU ÷ the peer's for the same data, per round
    // (measured side by side, so a round's ratio shares its load).
    const targets = [];
    const ratioNotes = [];
    for (const c of contenders.filter((x) => x.id === "node_exporter" || x.id === "glances")) {
      const oursId = c.id === "node_exporter" ? "agent-nop" : "agent";
      if (!perMinute[oursId]) continue;
      const limit = c.id === "node_exporter" ? 0.5 : 0.2;
      const what = c.id === "node_exporter" ? "metrics + disks" : "metrics + processes + disks";
      const perRound = perMinute[c.id].map((theirs, i) => perMinute[oursId][i] / theirs);
      const ratio = median(perRound);
      const ours = median(perMinute[oursId]);
      const m = median(perMinute[c.id]);
      const met = ratio <= limit;
      // The floor and the agent's own work (its CPU less the floor's), each per round over the peer's.
      const floorRatio = perMinute.floor ? median(perMinute.floor.map((f, i) => f / perMinute[c.id][i])) : NaN;
      const ownRatio = perMinute.floor ? median(perMinute.floor.map((f, i) => (perMinute[oursId][i] - f) / perMinute[c.id][i])) : NaN;
      const peer = c.id === "glances" ? "Glances" : "node_exporter";
      targets.push({
        name: `Agent CPU per watcher ≤ ${limit}× ${peer}'s (${what})`,
        figure: `${fmtRatio(ratio)} (per-round ratios: middle half ${fmtRatio(quantile(perRound, 0.25))} – ${fmtRatio(quantile(perRound, 0.75))}, all ${fmtRatio(Math.min(...perRound))} – ${fmtRatio(Math.max(...perRound))} over ${perRound.length} rounds; ${fmtNum(ours, 3)} vs ${fmtNum(m, 3)} CPU s/min)`,
        met,
        why: met
          ? null
          : // In the verdict's own terms (the median of per-round ratios), not the medians taken apart, which can disagree with it.
            `meeting it needs the median of the per-round ratios at ${fmtRatio(limit)}: the agent's CPU ${fmtNum((1 - limit / ratio) * 100, 0)} % lower in every round (at its median, ${fmtNum(ours * (limit / ratio), 3)} CPU s/min instead of ${fmtNum(ours, 3)}; the two medians taken apart give ${fmtRatio(ours / m)})` +
            (c.id === "glances" && nopMedian > 0
              ? `; an agent asked without the process list used ${fmtNum(nopMedian, 3)} s/min, so the process list costs ${fmtNum(ours - nopMedian, 3)} s/min of it`
              : "") +
            (c.id === "node_exporter" && floorMedian > 0
              ? `; a bare Node ws server answering the same requests with fixed bytes (no collection, no encoding) used ${fmtNum(floorMedian, 3)} s/min, ${fmtRatio(floorRatio)} node_exporter's (per-round median): that floor leaves ${fmtRatio(Math.max(0, limit - floorRatio))} of node_exporter's CPU for the agent's own work (collecting, encoding), which took ${fmtRatio(ownRatio)} (per-round median of the agent's CPU less the floor's, over node_exporter's)`
              : "") +
            ".",
      });
      ratioNotes.push(`- ${peer} (${what}): per-round ratios ${perRound.map((r) => fmtRatio(r)).join(", ")}; median ${fmtRatio(ratio)}, middle half ${fmtRatio(quantile(perRound, 0.25))} – ${fmtRatio(quantile(perRound, 0.75))}.`);
    }
    const markdown = [
      `One client per server, ${rounds} round(s); in each, the contenders of one target are polled side by side for ${durationMs / 1000} s (the agent asked for metrics + disks, node_exporter and the floor; then the agent and Glances; the group that goes first alternates), after ${warmUpMs / 1000} s of warm-up per group. CPU = CPU time of all threads of the server process per minute of wall time (${exact ? "exact, from /proc/<pid>/task/*/schedstat" : "utime+stime, 10 ms ticks"}); median, middle half (25th – 75th percentile) and min – max over the rounds. Ratio = median ÷ the agent's median.`,
      "",
      "| server | CPU s / min (median) | middle half | min – max | of one core | vs agent | RSS at end | failed polls |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...rows,
      "",
      ...ratioNotes,
      "",
      "node_exporter is polled for the same metrics and disks but has no per-process list; the agent's \"metrics + disks only\" row is the comparable work (a second agent process, polled without the process list, so that the first one's process-list garbage is not collected in its rounds). Glances refreshes each plugin at the rate it is polled (its REST server's own cache is switched off with `--cached-time 0`, as it only takes whole seconds). The floor row is a bare Node ws server (the agent's ws) answering the metrics and disks requests with the same 400 bytes: what any Node WebSocket server pays per request (waking up, reading the socket, ws framing, writing) before work of its own.",
    ].join("\n");
    return { id: "watcher", title: "3. CPU cost of one watcher", markdown, targets, data: { perMinute, failures } };
  } finally {
    for (const s of servers.splice(0)) await s.stop();
  }
}
