/**
 * Suites 4, 6 and 7, run side by side to keep the full run near 15 minutes:
 *
 *  6. Memory: an agent under fan-out for `soakMinutes` (default 10) with
 *     `soakClients` clients; RSS sampled every 5 s (start, after warm-up,
 *     end, trend); and the bytes one poll cycle puts on the wire, raw vs gzip.
 *  4. Idle: during the same window, two more agents nobody talks to (one
 *     never used, one that served a client which then left) and the peers,
 *     idle: CPU ticks over the first 60 s and over the whole window.
 *  7. TUI: `socktop` against an agent of its own, under tmux, at its default
 *     intervals: CPU and RSS over the soak after a 5 s warm-up, then once more
 *     alone, after the soak (a fresh TUI and agent, TUI_ALONE_S). Skipped,
 *     with the reason, when packages/tui/dist/cli.js is missing or does not
 *     stay up.
 *
 * The idle agents and the first TUI share the machine with the soak: idle
 * ticks count work the agent does by itself, which load elsewhere cannot
 * create. The TUI's CPU is its own process's, but on this 2-core machine the
 * soak's agent and client worker make each of its wake-ups dearer: measured
 * alone, the same build used less (2026-12-03: 0.53-0.77 % of a core alone
 * over 1-2 min, 1.05 % beside the soak). Its CPU target is therefore judged
 * on the run alone, where a user's TUI runs; the figure beside the soak is
 * reported with it.
 */
import { existsSync } from "node:fs";
import { gunzipSync, gzipSync, constants as zlib } from "node:zlib";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { connectAgent, startAgent, startGlances, startNodeExporter } from "../lib/peers.mjs";
import { runLoad } from "../lib/load.mjs";
import { errorsOf } from "./fanout.mjs";
import {
  CpuMeter,
  fmtBytes,
  fmtMs,
  fmtNum,
  procMemory,
  procRssByKind,
  procSmaps,
  procStat,
  sleep,
  waitFor,
} from "../lib/util.mjs";
import { sampleTree, startTui, tmuxMissing } from "../lib/tui.mjs";
import { gcExplanation, gcLine, gcSummary, parseGcLine, traceGc } from "../lib/gc-trace.mjs";

/** Soak target: RSS trend after warm-up, MiB per minute. */
export const SOAK_TREND_MIB_PER_MIN = 0.2;
const MiB = 1024 * 1024;
/** Seconds after start-up / the last client before idle is measured (see below). */
const SETTLE_S = 15;

const fmtSigned = (mib) => `${mib >= 0 ? "+" : "−"}${fmtNum(Math.abs(mib), 1)}`;

/**
 * The trend the soak target is judged on (since 2026-12-03): the Theil–Sen
 * slope, the median of the slopes between every pair of samples, MiB per
 * minute. V8's memory reducer collects every ~106 s under this load and hands
 * the young generation's pages back; the agent grows them again within a
 * minute (v8-tuning.ts), so one or two samples fall by 8-10 MiB and the rest
 * stay level. Least squares reads where such a dip falls as a trend: a dip in
 * the first third pushes the slope up, one in the last third down (two runs of
 * the same build on 2026-12-03: 0.41 and 0.29 MiB/min, both RSS series level
 * to ±1 MiB apart from their dips). The median of pairwise slopes is not moved
 * by a few such samples, and a leak, which raises every later sample, moves it
 * as much as it moves least squares. Least squares is reported beside it.
 */
function robustSlopePerMinute(points) {
  if (points.length < 3) return NaN;
  const slopes = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = (points[j][0] - points[i][0]) / 60;
      if (dt > 0) slopes.push((points[j][1] - points[i][1]) / MiB / dt);
    }
  }
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 ? slopes[mid] : (slopes[mid - 1] + slopes[mid]) / 2;
}

function slopePerMinute(points) {
  // least squares of rss (MiB) over t (min)
  const n = points.length;
  if (n < 3) return NaN;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const [t, y] of points) {
    const x = t / 60;
    const v = y / MiB;
    sx += x;
    sy += v;
    sxx += x * x;
    sxy += x * v;
  }
  const den = n * sxx - sx * sx;
  return den === 0 ? NaN : (n * sxy - sx * sy) / den;
}

async function wireBytes(ctx, url) {
  let protocol = null;
  try {
    protocol = await import(pathToFileURL(join(ctx.root, "packages", "protocol", "dist", "index.js")).href);
  } catch {
    protocol = null;
  }
  const isGzip = (b) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
  const client = await connectAgent(url);
  const out = {};
  try {
    for (const kind of ["metrics", "processes", "disks"]) {
      const r = await client.request(kind);
      const gz = isGzip(r.data);
      const raw = gz ? gunzipSync(r.data) : r.data;
      out[kind] = {
        onWire: r.bytes,
        sentAs: gz ? "gzip" : r.binary ? "binary" : "text",
        raw: raw.length,
        gzip: gz ? r.bytes : gzipSync(raw, { level: zlib.Z_BEST_SPEED }).length,
        rows: kind === "processes" && protocol ? protocol.decodeProcessList(raw).processes.length : null,
      };
    }
  } finally {
    await client.close();
  }
  return out;
}

/** How each kind of resident memory (procRssByKind) changed from `before` to `after`, in words. */
function kindsChange(before, after) {
  const names = { malloc: "malloc heap", files: "mapped files", anonymous: "other anonymous memory (V8's heap, threads' malloc arenas)" };
  return Object.keys(before)
    .map((k) => `${names[k] ?? k} ${fmtSigned((after[k] - before[k]) / MiB)} MiB`)
    .join(", ");
}

/** Length of the TUI's run alone, after the soak (seconds): its first minute included, as in the run beside the soak. */
const TUI_ALONE_S = 300;

/** Runs the TUI against an agent of its own and measures its CPU and RSS (bench/lib/tui.mjs). */
async function measureTui(ctx, windowS) {
  const cli = join(ctx.root, "packages", "tui", "dist", "cli.js");
  if (!existsSync(cli)) return { skipped: "packages/tui/dist/cli.js is absent (it was not built)" };
  const noTmux = tmuxMissing();
  if (noTmux) return { skipped: noTmux };
  const agent = await startAgent(ctx, { label: "agent-tui" });
  const tui = await startTui({ cli, args: [agent.url], xdg: join(ctx.outDir, "xdg"), cols: 160, rows: 50, socket: `socktop-bench-${process.pid}`, label: "tui" });
  try {
    if (tui.error) return { skipped: tui.error };
    await sleep(5000); // warm-up: connect, first frames
    const alive = procStat(tui.pid);
    if (alive === null || alive.state === "Z") {
      return { skipped: `the TUI exited during warm-up; its screen: ${tui.capture().trim().split("\n").slice(-3).join(" / ").slice(0, 300)}` };
    }
    const kindsBefore = procRssByKind(tui.pid);
    const sample = await sampleTree(tui.pid, windowS, { partS: 60 });
    const kindsAfter = procRssByKind(tui.pid);
    const after = tui.capture();
    return {
      ...sample,
      kindsBefore,
      kindsAfter,
      screenLines: after.split("\n").filter((l) => l.trim()).length,
      screenHead: after.split("\n").find((l) => l.trim())?.trim().slice(0, 120) ?? "",
    };
  } finally {
    if (!tui.error) await tui.stop();
    await agent.stop();
  }
}

export async function run(ctx) {
  const soakMs = ctx.soakMinutes * 60_000;
  const idleWindowS = Math.min(60, Math.max(5, ctx.soakMinutes * 60 - SETTLE_S - 5));
  // The whole soak, not its first minute: a TUI is left running for hours, and its RSS
  // kept growing for minutes after the first one (58.6 -> 63.7 MB over 5 min on 2026-12-02).
  const tuiWindowS = Math.max(10, ctx.soakMinutes * 60 - 10);
  const servers = [];
  try {
    // ---------------- idle contenders
    ctx.log("soak: starting idle agents and idle peers");
    const idleFresh = await startAgent(ctx, { label: "agent-idle-fresh" });
    servers.push(idleFresh);
    const idleUsed = await startAgent(ctx, { label: "agent-idle-used" });
    servers.push(idleUsed);
    {
      const c = await connectAgent(idleUsed.url);
      for (let i = 0; i < 3; i++) for (const k of ["metrics", "processes", "disks"]) await c.request(k);
      await c.close();
    }
    const idleNe = await startNodeExporter(ctx);
    if (idleNe) servers.push(idleNe);
    const idleGl = await startGlances(ctx, { plugins: null, cachedTime: 1, time: 2, label: "glances-idle" });
    if (idleGl) servers.push(idleGl);
    // V8 runs a few "memory reducer" garbage collections some 8 s after a
    // process stops allocating (start-up, or the last client leaving): a
    // one-off, reported apart as settling. Steady idle is measured after it.
    const idle = [
      { name: "socktop_agent, never used", pid: idleFresh.pid },
      { name: "socktop_agent, after a client came and left", pid: idleUsed.pid },
      ...(idleNe ? [{ name: "node_exporter (defaults)", pid: idleNe.pid }] : []),
      ...(idleGl ? [{ name: "Glances REST server (defaults)", pid: idleGl.pid }] : []),
    ].map((c) => ({ ...c, settleMeter: new CpuMeter(c.pid), settle: null, meter: null, first: null }));
    const idleTimers = [];
    idleTimers.push(
      setTimeout(() => {
        for (const c of idle) {
          c.settle = c.settleMeter.read();
          c.meter = new CpuMeter(c.pid);
        }
        idleTimers.push(
          setTimeout(() => {
            for (const c of idle) c.first = c.meter.read();
          }, idleWindowS * 1000),
        );
      }, SETTLE_S * 1000),
    );

    // ---------------- soak agent
    // --trace-gc only prints what V8 does anyway: which collections ran, and the heap after each
    // (the live heap after a full one), to tell promoted garbage from a leak (lib/gc-trace.mjs).
    const spawnedAt = performance.now();
    const agent = await startAgent(ctx, { label: "agent-soak", nodeArgs: [...(ctx.agentNodeArgs ?? []), "--trace-gc"] });
    servers.push(agent);
    // The start-up's collections are already in its output; later ones are read as they come.
    const gcEvents = agent.output().split("\n").map(parseGcLine).filter((e) => e !== null);
    const laterGc = traceGc(agent.child);
    await sleep(500);
    const rssAtStart = procMemory(agent.pid).rss;
    const smapsAtStart = procSmaps(agent.pid);
    const kindsAtStart = procRssByKind(agent.pid);
    const wire = await wireBytes(ctx, agent.url);

    // ---------------- TUI, side by side
    const tuiPromise = measureTui(ctx, tuiWindowS).catch((error) => ({ skipped: `failed: ${error.message}` }));

    ctx.log(`soak: ${ctx.soakClients} clients for ${ctx.soakMinutes} min`);
    const samples = [];
    let t0 = null;
    let cpuMeter = null;
    const rssTimer = setInterval(() => {
      if (t0 !== null) samples.push([(performance.now() - t0) / 1000, procMemory(agent.pid).rss]);
    }, 5000);
    const windows = [];
    const final = await runLoad(ctx, {
      url: agent.url,
      clients: ctx.soakClients,
      durationMs: soakMs,
      windowMs: ctx.quick ? 5000 : 60_000,
      onConnected: () => {
        t0 = performance.now();
        cpuMeter = new CpuMeter(agent.pid);
        samples.push([0, procMemory(agent.pid).rss]);
      },
      onWindow: (w) => {
        windows.push({ ...w, rss: procMemory(agent.pid).rss, kinds: procRssByKind(agent.pid) });
        ctx.log(`soak: ${w.t.toFixed(0)} s: p99 ${fmtMs(w.latency.p99)}, RSS ${fmtBytes(procMemory(agent.pid).rss)}`);
      },
    });
    clearInterval(rssTimer);
    const soakCpu = cpuMeter.read();
    const loadEndedS = (performance.now() - spawnedAt) / 1000;
    // After the load: 200 clients closing at once is an allocation burst of its own,
    // reported apart from the samples taken under load.
    const rssAfterClose = procMemory(agent.pid).rss;
    const hwm = procMemory(agent.pid).hwm;
    const smapsAtEnd = procSmaps(agent.pid);
    for (const t of idleTimers) clearTimeout(t);
    for (const c of idle) {
      c.settle ??= c.settleMeter.read();
      c.total = c.meter ? c.meter.read() : { ticks: NaN, seconds: 0 };
      c.first ??= c.total;
    }
    const tui = await tuiPromise;
    // The soak's clients are gone and its agent idle: the same measurement with the machine to itself.
    const tuiAlone = tui.skipped ? tui : await measureTui(ctx, Math.max(10, Math.min(TUI_ALONE_S, tuiWindowS))).catch((error) => ({ skipped: `failed: ${error.message}` }));

    // ---------------- memory analysis
    // RSS under load saw-tooths with V8's collections: compare the median of the
    // first and last thirds of the samples after warm-up, and fit a trend line.
    const warmS = Math.min(60, (ctx.soakMinutes * 60) / 5);
    const steady = samples.filter(([t]) => t >= warmS);
    const third = Math.max(1, Math.floor(steady.length / 3));
    const medianOf = (pts) => pts.map(([, r]) => r).sort((a, b) => a - b)[pts.length >> 1];
    const firstThird = medianOf(steady.slice(0, third));
    const lastThird = medianOf(steady.slice(-third));
    const end = samples[samples.length - 1];
    const slope = robustSlopePerMinute(steady);
    const leastSquares = slopePerMinute(steady);
    const maxRss = Math.max(...samples.map(([, r]) => r), hwm || 0);
    const growth = lastThird - firstThird;
    // Where resident memory went between the first window after warm-up and the last one,
    // and the largest drop between two samples (a collection handing pages back).
    const firstWindow = windows.find((w) => w.t >= warmS && w.kinds) ?? null;
    const lastWindow = windows.length > 0 && windows[windows.length - 1].kinds ? windows[windows.length - 1] : null;
    const kindGrowth =
      firstWindow && lastWindow && firstWindow !== lastWindow
        ? kindsChange(firstWindow.kinds, lastWindow.kinds)
        : null;
    let drop = { mib: 0, t: NaN };
    for (let i = 1; i < steady.length; i++) {
      const fell = (steady[i - 1][1] - steady[i][1]) / MiB;
      if (fell > drop.mib) drop = { mib: fell, t: steady[i][0] };
    }
    const errors = errorsOf(final);
    // Seconds since the agent's isolate started (≈ since it was spawned) of the steady window.
    const steadyFromS = (t0 - spawnedAt) / 1000 + warmS;
    const gc = gcSummary([...gcEvents, ...laterGc], steadyFromS, loadEndedS);
    // "at N s" of the soak (a collection before the clients connected: at start-up).
    const soakS = (isolateS) => {
      const s = isolateS - (t0 - spawnedAt) / 1000;
      return s < 0 ? "at start-up" : `at ${fmtNum(s, 0)} s`;
    };
    const gcWhy = gc === null ? "" : gcExplanation(gc, soakS);

    const targets = [];
    for (const c of idle.slice(0, 2)) {
      targets.push({
        name: `Idle: 0 ticks per minute (${c.name})`,
        figure: `${c.first.ticks} ticks in ${fmtNum(c.first.seconds, 0)} s; ${c.total.ticks} in ${fmtNum(c.total.seconds, 0)} s (after ${SETTLE_S} s settling: ${c.settle.ticks} ticks)`,
        met: c.first.ticks === 0 && c.total.ticks === 0,
      });
    }
    // The trend target: the Theil–Sen slope over the samples after warm-up (robustSlopePerMinute).
    const trendOk = slope <= SOAK_TREND_MIB_PER_MIN;
    targets.push({
      name: `Memory soak (${final.clients} clients, ${ctx.soakMinutes} min): RSS trend ≤ ${SOAK_TREND_MIB_PER_MIN} MiB/min after warm-up`,
      figure: `${fmtNum(slope, 2)} MiB/min (median of pairwise slopes; least squares ${fmtNum(leastSquares, 2)}; first third → last third after ${fmtNum(warmS, 0)} s: ${fmtNum(firstThird / MiB, 1)} → ${fmtNum(lastThird / MiB, 1)} MiB; max ${fmtNum(maxRss / 1e6, 1)} MB VmRSS, private ${fmtNum(smapsAtEnd.private / 1e6, 1)} MB at the end)`,
      met: trendOk,
      why: trendOk
        ? null
        : `RSS grew ${fmtNum(growth / MiB, 1)} MiB between the first and last thirds; private memory went from ${fmtNum(smapsAtStart.private / MiB, 1)} to ${fmtNum(smapsAtEnd.private / MiB, 1)} MiB` +
          (kindGrowth ? `; from the window at ${fmtNum(firstWindow.t, 0)} s to the one at ${fmtNum(lastWindow.t, 0)} s: ${kindGrowth}` : "") +
          (drop.mib >= 5 ? `; the largest fall between two samples was ${fmtNum(drop.mib, 1)} MiB at ${fmtNum(drop.t, 0)} s (a garbage collection that shrank the heap)` : "") +
          `. A slope that levels off (see the windows below) is V8 sizing its heap, a steady one a leak${ctx.soakMinutes < 5 ? `; this soak lasted only ${ctx.soakMinutes} min, too short to tell the two apart` : ""}.` +
          (gcWhy ? ` ${gcWhy}` : ""),
    });
    const tuiLimits = { cpu: 0.008, rssMb: 60 };
    const besideSoak = tui.skipped ? null : tui;
    const tuiTarget = `TUI ≤ ${tuiLimits.cpu * 100} % of one core (alone) and ≤ ${tuiLimits.rssMb} MB RSS`;
    const tuiFigure = (run) => {
      const first = run.parts?.length > 1 ? run.parts[0] : null;
      return `${fmtNum(run.coreFraction * 100, 3)} % (${run.ticks} ticks in ${fmtNum(run.seconds, 1)} s${first ? `; first minute ${fmtNum(first.coreFraction * 100, 3)} %` : ""}), RSS max ${fmtNum(run.rssMax / 1e6, 1)} MB`;
    };
    if (tuiAlone.skipped) targets.push({ name: tuiTarget, figure: `skipped: ${tuiAlone.skipped}`, met: null });
    else {
      // CPU from the run alone; RSS from both (the longer run beside the soak shows any growth).
      const rssMax = Math.max(tuiAlone.rssMax, besideSoak?.rssMax ?? 0);
      const ok = tuiAlone.coreFraction <= tuiLimits.cpu && rssMax <= tuiLimits.rssMb * 1e6;
      targets.push({
        name: tuiTarget,
        figure: `alone ${tuiFigure(tuiAlone)}; beside the memory soak ${besideSoak === null ? `skipped: ${tui.skipped}` : tuiFigure(besideSoak)}`,
        met: ok,
        why: ok ? null : tuiWhy(tuiAlone, besideSoak, tuiLimits, ctx.machine?.bareNodeRss),
      });
    }

    // ---------------- markdown
    const idleMd = [
      `CPU ticks (10 ms each) of servers nobody talks to: during the first ${SETTLE_S} s after start-up (or after the client left) — "settling", where V8's memory reducer runs a one-off garbage collection some 8 s after allocation stops — then over the next ${idleWindowS} s and over the whole remaining ${fmtNum(idle[0].total.seconds, 0)} s (measured while the memory soak ran on another agent: ticks count only work a process does by itself). The "after a client" agent served 3 rounds of metrics, processes and disks to one client, which then disconnected.`,
      "",
      `| server | ticks while settling (${SETTLE_S} s) | ticks, next ${idleWindowS} s | ticks, whole window | ticks per minute (steady) | exact CPU time, whole window |`,
      "|---|---:|---:|---:|---:|---:|",
      ...idle.map(
        (c) =>
          `| ${c.name} | ${c.settle.ticks} | ${c.first.ticks} | ${c.total.ticks} | ${fmtNum((c.total.ticks / c.total.seconds) * 60, 2)} | ${c.total.exact ? fmtMs(c.total.cpuSeconds * 1000) : "–"} |`,
      ),
    ].join("\n");

    const perSecond = (k, r) => (1000 / { metrics: 500, processes: 2000, disks: 5000 }[k]) * r;
    const cycleRaw = wire.metrics.raw + wire.processes.raw + wire.disks.raw;
    const cycleWire = wire.metrics.onWire + wire.processes.onWire + wire.disks.onWire;
    const cycleGzip = wire.metrics.gzip + wire.processes.gzip + wire.disks.gzip;
    const rateWire = ["metrics", "processes", "disks"].reduce((s, k) => s + perSecond(k, wire[k].onWire), 0);
    const latency = ctx.results?.find((r) => r.id === "latency");
    const peerLines = [];
    if (latency?.peerBytes) {
      for (const [key, b] of Object.entries(latency.peerBytes)) peerLines.push(`| ${key} | ${fmtBytes(b.raw)} | ${fmtBytes(b.gzip)} |`);
    }
    const memMd = [
      `An agent (default TTLs) polled by ${final.clients} clients at the recommended rates for ${ctx.soakMinutes} min; RSS (VmRSS) sampled every 5 s.`,
      "",
      "| RSS at start (no client) | under load: first third → last third (medians) | last sample under load | max (incl. VmHWM) | trend after warm-up (median of pairwise slopes) | after the clients closed | private memory start → end | Pss start → end | agent CPU | p50 / p99 | errors |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      `| ${fmtBytes(rssAtStart)} | ${fmtBytes(firstThird)} → ${fmtBytes(lastThird)} | ${fmtBytes(end[1])} (${fmtNum(end[0], 0)} s) | ${fmtBytes(maxRss)} | ${fmtNum(slope, 2)} MiB/min (least squares ${fmtNum(leastSquares, 2)}) | ${fmtBytes(rssAfterClose)} | ${fmtBytes(smapsAtStart.private)} → ${fmtBytes(smapsAtEnd.private)} | ${fmtBytes(smapsAtStart.pss)} → ${fmtBytes(smapsAtEnd.pss)} | ${fmtNum(soakCpu.coreFraction * 100, 1)} % of a core | ${fmtMs(final.latency.p50)} / ${fmtMs(final.latency.p99)} | ${errors} |`,
      "",
      windows.length
        ? `RSS by window: ${windows.map((w) => `${fmtNum(w.t, 0)} s ${fmtNum(w.rss / MiB, 1)}`).join(", ")} (MiB).` +
          (kindsAtStart && lastWindow
            ? ` By kind of mapping (/proc/PID/smaps), before the clients → at ${fmtNum(lastWindow.t, 0)} s: malloc heap ${fmtNum(kindsAtStart.malloc / MiB, 1)} → ${fmtNum(lastWindow.kinds.malloc / MiB, 1)}, other anonymous memory (V8's heap, thread stacks, large mallocs) ${fmtNum(kindsAtStart.anonymous / MiB, 1)} → ${fmtNum(lastWindow.kinds.anonymous / MiB, 1)}, mapped files (node, libraries) ${fmtNum(kindsAtStart.files / MiB, 1)} → ${fmtNum(lastWindow.kinds.files / MiB, 1)} (MiB).`
            : "")
        : "",
      ...(gc === null ? [] : ["", gcLine(gc, soakS)]),
      "",
      "**Bytes on the wire per poll cycle** (one reply of each kind, WebSocket payload; the agent gzips the process list when it is over 768 bytes, JSON replies of the seed dialect go as text):",
      "",
      "| reply | sent as | on the wire | raw | gzip (level 1) |",
      "|---|---|---:|---:|---:|",
      ...["metrics", "processes", "disks"].map(
        (k) => `| ${k}${wire[k].rows ? ` (${wire[k].rows} processes)` : ""} | ${wire[k].sentAs} | ${fmtBytes(wire[k].onWire)} | ${fmtBytes(wire[k].raw)} | ${fmtBytes(wire[k].gzip)} |`,
      ),
      `| **one cycle** | | **${fmtBytes(cycleWire)}** | ${fmtBytes(cycleRaw)} | ${fmtBytes(cycleGzip)} |`,
      "",
      `At the recommended rates one client receives about ${fmtBytes(rateWire)}/s.` +
        (latency?.legacy ? ` Released socktop clients ask \`get_metrics\` instead: that reply went as ${latency.legacy.binary ? "gzip binary" : "text"}, ${fmtBytes(latency.legacy.bytes)}.` : ""),
      ...(peerLines.length
        ? ["", "The peers' replies for the same data (from suite 2):", "", "| peer / data | raw | gzip |", "|---|---:|---:|", ...peerLines]
        : []),
    ].join("\n");

    const tuiRuns = [
      { label: "beside the memory soak", run: tui },
      { label: "alone, after the soak", run: tuiAlone },
    ];
    const tuiMd = [
      `\`socktop ${"ws://127.0.0.1:PORT/ws"}\` at its default intervals in a 160×50 tmux pane, against an agent of its own, measured after a 5 s warm-up: first beside the memory soak (its ${final.clients} clients and their agent take ~${fmtNum(soakCpu.coreFraction * 100, 0)} % of a core, their client worker more, on the same 2 cores), then alone with a fresh TUI and agent once the soak is over. The CPU target is judged on the run alone.`,
      "",
      "| run | CPU (share of one core) | ticks | seconds | RSS max | RSS end | screen lines drawn |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...tuiRuns.map(({ label, run }) =>
        run.skipped
          ? `| ${label} | skipped: ${run.skipped} | | | | | |`
          : `| ${label} | ${fmtNum(run.coreFraction * 100, 3)} % | ${run.ticks} | ${fmtNum(run.seconds, 0)} | ${fmtBytes(run.rssMax)} | ${fmtBytes(run.rssEnd)} | ${run.screenLines} |`,
      ),
      ...tuiRuns.flatMap(({ label, run }) =>
        run.parts?.length > 1
          ? [
              "",
              `Minute by minute, ${label} (from the end of the warm-up):`,
              "",
              "| from | ticks | CPU | RSS max | RSS at its end |",
              "|---:|---:|---:|---:|---:|",
              ...run.parts.map((part) => `| ${fmtNum(part.fromS, 0)} s | ${part.ticks} | ${fmtNum(part.coreFraction * 100, 3)} % | ${fmtNum(part.rssMax / 1e6, 1)} MB | ${fmtNum(part.rssEnd / 1e6, 1)} MB |`),
            ]
          : [],
      ),
      ...tuiRuns.flatMap(({ label, run }) =>
        run.kindsBefore && run.kindsAfter ? ["", `Resident memory by kind, ${label}, start → end of the window: ${kindsChange(run.kindsBefore, run.kindsAfter)}.`] : [],
      ),
    ].join("\n");

    return [
      { id: "idle", title: "4. Idle", markdown: idleMd, targets: targets.slice(0, 2), data: idle.map(({ meter, ...c }) => c) },
      { id: "memory", title: "6. Memory and bytes on the wire", markdown: memMd, targets: targets.slice(2, 3), data: { samples, rssAtStart, smapsAtStart, smapsAtEnd, wire, final, slope, leastSquares } },
      { id: "tui", title: "7. TUI", markdown: tuiMd, targets: targets.slice(3), data: { besideSoak: tui, alone: tuiAlone } },
    ];
  } finally {
    for (const s of servers.splice(0)) await s.stop();
  }
}

/** Which of the TUI's two limits it missed (CPU from the run alone, RSS from both), by how much, and what a bare node costs beside. */
function tuiWhy(alone, besideSoak, limits, bareNodeRss) {
  const parts = [];
  if (alone.coreFraction > limits.cpu) {
    const allowed = Math.floor(limits.cpu * alone.seconds * 100);
    parts.push(`CPU alone: ${alone.ticks} ticks of 10 ms in ${fmtNum(alone.seconds, 1)} s, where ≤ ${allowed} would meet ${limits.cpu * 100} %`);
  }
  for (const [label, run] of [["alone", alone], ["beside the soak", besideSoak]]) {
    if (run === null || run.rssMax <= limits.rssMb * 1e6) continue;
    const over = run.parts?.find((part) => part.rssMax > limits.rssMb * 1e6);
    parts.push(
      `RSS ${label}: ${fmtNum(run.rssMax / 1e6, 1)} MB is ${fmtNum(run.rssMax / 1e6 - limits.rssMb, 1)} MB over${Number.isFinite(bareNodeRss) ? `; a bare \`node\` process is ${fmtNum(bareNodeRss / 1e6, 1)} MB of VmRSS here` : ""}` +
        (over && run.parts.length > 1 ? `; first over the limit in the minute from ${fmtNum(over.fromS, 0)} s` : "") +
        (run.kindsBefore && run.kindsAfter ? `; from the start of the window to its end: ${kindsChange(run.kindsBefore, run.kindsAfter)}` : ""),
    );
  }
  return `${parts.join("; ")}.`;
}
