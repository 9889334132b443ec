/**
 * Suite 1 — process scan: the agent's ProcessCollector (in-process) vs a C
 * program doing the minimum vs `ps -eo pid,comm,rss,time` vs
 * systeminformation.processes(), at the machine's own process count and with
 * ~2000 extra sleeping processes that this suite starts and kills by PID.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { connectAgent, startAgent } from "../lib/peers.mjs";
import { fmtMs, fmtNum, fmtRatio, median, procCpuNs, quantile, processCount, sleep, spreadMs, summarize, track, untrack, procStat } from "../lib/util.mjs";

/** Compiles bench/ref/procscan.c into outDir with the system cc; returns the binary's path. */
export function compileProcscan(ctx) {
  const bin = join(ctx.outDir, "procscan");
  const r = spawnSync("cc", ["-O2", "-o", bin, join(ctx.benchDir, "ref", "procscan.c")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cc failed: ${r.stderr || r.error?.message}`);
  return bin;
}

/**
 * Starts `total` `sleep 600` processes in batches of `batch`. Each batch is a
 * shell that starts its sleeps, prints their PIDs and then `wait`s, so that
 * it (not init) reaps them when they are killed. Every PID is registered for
 * the exit-time cleanup.
 */
export async function startSleepers(total, batch = 250) {
  const shells = [];
  const sleepers = [];
  for (let started = 0; started < total; started += batch) {
    const n = Math.min(batch, total - started);
    const script = `i=0; while [ $i -lt ${n} ]; do sleep 600 </dev/null >/dev/null 2>&1 & echo $!; i=$((i+1)); done; echo ready; wait`;
    const child = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
    track(child.pid, "sleeper-shell");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const pids = await new Promise((resolve, reject) => {
      let text = "";
      const list = [];
      child.stdout.on("data", (chunk) => {
        text += chunk.toString();
        let nl;
        while ((nl = text.indexOf("\n")) >= 0) {
          const line = text.slice(0, nl).trim();
          text = text.slice(nl + 1);
          if (line === "ready") return resolve(list);
          const pid = Number(line);
          if (pid > 0) {
            list.push(pid);
            track(pid, "sleeper");
          }
        }
      });
      child.once("exit", () => reject(new Error("sleeper shell exited early")));
    });
    shells.push({ child, exited });
    sleepers.push(...pids);
  }
  return { shells, sleepers };
}

/** Kills every sleeper by PID (checking it is still ours), then lets the shells reap them and exit. */
export async function stopSleepers({ shells, sleepers }) {
  for (const pid of sleepers) {
    const s = procStat(pid);
    if (s !== null && s.comm === "sleep") {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    untrack(pid);
  }
  for (const { child, exited } of shells) {
    const r = await Promise.race([exited.then(() => "exited"), sleep(10000).then(() => "timeout")]);
    if (r === "timeout") {
      try {
        child.kill("SIGKILL");
      } catch {
        /* gone */
      }
      await exited;
    }
    untrack(child.pid);
  }
}

/** Scans the C programs time per round (their samples of round i are at C_PER_ROUND * i …). */
const C_PER_ROUND = 2;

function runWorker(ctx, procscan, rounds, siRounds, withPs = true) {
  const options = { root: ctx.root, procscan, rounds, warmup: 5, siRounds, cIterationsPerRound: C_PER_ROUND, withPs };
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--conditions=source", join(ctx.benchDir, "lib", "scan-worker.mjs"), JSON.stringify(options)],
    { cwd: ctx.root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
  );
  if (r.status !== 0) throw new Error(`scan worker failed (${r.status ?? r.signal}): ${(r.stderr || "").slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

/** The scan target: at most the C open/read/close reference's time. */
export const SCAN_TARGET = 1.0;
/** A fresh process-list request end to end: agent CPU per request ≤ this × the C scan (at ~1000 processes). */
export const REQUEST_TARGET = 1.6;

/**
 * Agent CPU per fresh process-list request (processes TTL 0: every request
 * scans, encodes, gzips and sends), interleaved round by round with the C
 * reference scan. CPU is the agent's exact run time (all threads) around a
 * batch of sequential requests, divided by the batch size.
 */
async function requestCost(ctx, procscan, agent, rounds) {
  const client = await connectAgent(agent.url);
  const perRequest = [];
  const c = [];
  let bytes = 0;
  try {
    for (let i = 0; i < 5; i++) await client.request("processes");
    const batch = 5;
    for (let round = 0; round < rounds; round++) {
      const before = procCpuNs(agent.pid);
      for (let i = 0; i < batch; i++) bytes = (await client.request("processes")).bytes;
      const after = procCpuNs(agent.pid);
      if (before !== null && after !== null) perRequest.push((after - before) / 1e6 / batch);
      const r = spawnSync(procscan, ["2"], { encoding: "utf8" });
      // CPU against CPU: on a busy machine wall time would count other people's work.
      if (r.status === 0) for (const ns of JSON.parse(r.stdout).cpu_ns) c.push(ns / 1e6);
      await sleep(20);
    }
  } finally {
    await client.close();
  }
  return { perRequest: summarize(perRequest), c: summarize(c), bytes };
}

export async function run(ctx) {
  const procscan = compileProcscan(ctx);
  const rounds = ctx.quick ? 10 : 30;
  const siRounds = ctx.quick ? 2 : 8;
  // Extra sleeping processes per phase, started cumulatively: ~70 (own), ~1000, ~2000.
  const steps = ctx.quick ? [0, 1000] : [0, 1000, 2000];
  const phases = [];
  const started = [];
  const agent = await startAgent(ctx, { env: { SOCKTOP_AGENT_PROCESSES_TTL_MS: "0" }, label: "socktop_agent (processes TTL 0)" });
  try {
    for (const extra of steps) {
      const have = started.reduce((n, s) => n + s.sleepers.length, 0);
      if (extra > have) {
        ctx.log(`scan: starting ${extra - have} more sleeping processes`);
        started.push(await startSleepers(extra - have));
        await sleep(200);
      }
      const label = extra === 0 ? "own" : `+${extra}`;
      ctx.log(`scan: ${label} (${processCount()} processes)`);
      const before = processCount();
      // systeminformation and ps take long at thousands of processes: only where the issue compares them.
      // Twice the rounds at the machine's own count: its scans take under a millisecond, where one
      // round's noise moves a median most (the C reference's median moved 1.02 → 0.67 ms between
      // two full runs of 30 rounds).
      const result = runWorker(ctx, procscan, extra === 0 ? 2 * rounds : rounds, extra === 0 || extra === steps.at(-1) ? siRounds : 0);
      const request = await requestCost(ctx, procscan, agent, rounds);
      phases.push({ label, range: [before, processCount()], result, request });
    }
  } finally {
    await agent.stop();
    for (const s of started) await stopSleepers(s);
  }
  ctx.log(`scan: sleepers stopped (${processCount()} processes now)`);

  const targets = [];
  const rows = [];
  const data = [];
  const notes = [];
  const requestRows = [];
  for (const phase of phases) {
    const { samples, seen } = phase.result;
    // What the C reference saw in its last scan is the count the phase ran at.
    phase.count = seen.c;
    const c = summarize(samples.c);
    const cCpu = summarize(samples.cCpu);
    // [name, wall samples, CPU samples (null: wall only), rows seen]
    const contenders = [
      ["socktop ProcessCollector.collect() (in-process)", samples.ours, samples.oursCpu, seen.ours],
      ["Node I/O floor, kept descriptors: list /proc + one pread per process, no parsing", samples.floorKept, samples.floorKeptCpu, seen.floorKept],
      ["Node I/O floor, open/read/close per process, no parsing", samples.floor, samples.floorCpu, seen.floor],
      ["C reference (list /proc, open/read/close each stat)", samples.c, samples.cCpu, seen.c],
      ["C reference, its two scans back to back (no pause: the second on warm caches)", samples.cBackToBack, samples.cBackToBackCpu, seen.cBackToBack],
      ["C, kept descriptors (list /proc, pread each kept stat)", samples.cKept, samples.cKeptCpu, seen.cKept],
      ["`ps -eo pid,comm,rss,time` (whole command)", samples.ps, null, seen.ps],
      ["systeminformation.processes() (in-process)", samples.si, null, seen.si],
    ];
    for (const [name, values, cpuValues, n] of contenders) {
      if (values.length === 0) continue;
      const s = summarize(values);
      const sc = cpuValues !== null && cpuValues.length > 0 ? summarize(cpuValues) : null;
      rows.push(
        `| ${phase.count} | ${name} | ${n} | ${fmtMs(s.median)} | ${spreadMs(s)} | ${fmtRatio(s.median / c.median)} | ${sc ? fmtMs(sc.median) : "–"} | ${sc ? fmtRatio(sc.median / cCpu.median) : "–"} |`,
      );
    }
    const ours = summarize(samples.ours);
    const oursCpu = summarize(samples.oursCpu);
    const floorKept = summarize(samples.floorKeptCpu);
    const floor = summarize(samples.floorCpu);
    const cKept = summarize(samples.cKeptCpu);
    const cBackToBack = summarize(samples.cBackToBackCpu);
    // The target's ratio: the median of per-round ratios (the collector's CPU over the mean of the
    // C reference's scans in the same round), as the watcher suite judges, so that drift in the
    // machine's load between rounds cancels; the ratio of the two medians is reported beside it.
    const perRound = samples.oursCpu.map((ms, i) => {
      const cRound = samples.cCpu.slice(C_PER_ROUND * i, C_PER_ROUND * (i + 1));
      return ms / (cRound.reduce((sum, v) => sum + v, 0) / cRound.length);
    });
    const ratio = median(perRound);
    const ratioOfMedians = oursCpu.median / cCpu.median;
    const wallRatio = ours.median / c.median;
    const siRatio = samples.si.length ? median(samples.si) / ours.median : NaN;
    data.push({ phase: phase.label, processes: phase.count, range: phase.range, floor, floorKept, ours, oursCpuMs: oursCpu, c, cCpu, cKept, ps: summarize(samples.ps), si: summarize(samples.si), ratio, perRound, ratioOfMedians, wallRatio, siRatio });
    const met = ratio <= SCAN_TARGET;
    targets.push({
      name: `Process scan ≤ ${SCAN_TARGET.toFixed(1)}× C open/read/close (${phase.label === "own" ? "own process count" : `${phase.label} sleeping`}: ${phase.count} processes)`,
      figure: `${fmtRatio(ratio)} CPU (per-round ratios: middle half ${fmtRatio(quantile(perRound, 0.25))} – ${fmtRatio(quantile(perRound, 0.75))} over ${perRound.length} rounds; medians ${fmtMs(oursCpu.median)} vs ${fmtMs(cCpu.median)}, ${fmtRatio(ratioOfMedians)}; wall ${fmtRatio(wallRatio)}; C kept descriptors ${fmtRatio(cKept.median / cCpu.median)}; vs C's scans back to back ${fmtRatio(oursCpu.median / cBackToBack.median)})`,
      met,
      why: met
        ? null
        : `Node's own I/O with kept descriptors (list /proc + one pread per process, no parsing) takes ${fmtRatio(floorKept.median / cCpu.median)} the C open/read/close CPU time at ${phase.count} processes; ` +
          `the collector, which lists /proc only when the pid cursor cannot tell what is new (at least every 10 s: process-listing.ts), takes ${fmtMs(oursCpu.median)} per scan, ${fmtRatio(oursCpu.median / floorKept.median)} that floor ` +
          `(${oursCpu.median >= floorKept.median ? `${fmtMs(oursCpu.median - floorKept.median)} more` : `${fmtMs(floorKept.median - oursCpu.median)} less`}) with parsing, CPU% bookkeeping and building the list. ` +
          `Meeting it needs the median of the per-round ratios at ${fmtRatio(SCAN_TARGET)}: the collector's CPU ${fmtNum((1 - SCAN_TARGET / ratio) * 100, 0)} % lower in every round (at its median, ${fmtMs(oursCpu.median * (SCAN_TARGET / ratio))} per scan instead of ${fmtMs(oursCpu.median)}).`,
    });
    if (samples.si.length) {
      targets.push({
        name: `Process scan far ahead of systeminformation (${phase.count} processes)`,
        figure: `systeminformation takes ${fmtRatio(siRatio)} our time`,
        met: siRatio >= 5,
      });
    }
    const req = phase.request;
    const reqRatio = req.perRequest.median / req.c.median;
    const scanShare = oursCpu.median;
    requestRows.push(
      `| ${phase.count} | ${fmtMs(req.perRequest.median)} | ${spreadMs(req.perRequest)} | ${fmtMs(req.c.median)} | ${fmtRatio(reqRatio)} | ${fmtMs(scanShare)} | ${fmtMs(Math.max(0, req.perRequest.median - scanShare))} | ${(req.bytes / 1024).toFixed(1)} KiB |`,
    );
    data.at(-1).request = { ...req, ratio: reqRatio };
    if (phase.label === "+1000") {
      const ok = reqRatio <= REQUEST_TARGET;
      targets.push({
        name: `Fresh process-list request (scan + protobuf + gzip + send) ≤ ${REQUEST_TARGET}× the C scan (${phase.count} processes)`,
        figure: `${fmtRatio(reqRatio)} (agent CPU ${fmtMs(req.perRequest.median)} per request vs C CPU ${fmtMs(req.c.median)} per scan)`,
        met: ok,
        why: ok
          ? null
          : `the scan alone costs ${fmtMs(scanShare)} of CPU in process (${fmtRatio(scanShare / req.c.median)} the C scan), so encoding, compression, the WebSocket frame and the request's own handling take the other ${fmtMs(Math.max(0, req.perRequest.median - scanShare))} per request.`,
      });
    }
    notes.push(
      `- ${phase.count} processes (CPU time): keeping descriptors takes C from ${fmtMs(cCpu.median)} to ${fmtMs(cKept.median)} (${fmtRatio(cKept.median / cCpu.median)}) and Node's bare I/O from ${fmtMs(floor.median)} to ${fmtMs(floorKept.median)} (${fmtRatio(floorKept.median / floor.median)}); ` +
        `the collector (no listing of /proc while the pid cursor tells what is new) takes ${fmtMs(oursCpu.median)}, ${fmtRatio(oursCpu.median / floorKept.median)} the kept-descriptor floor.`,
    );
  }

  const markdown = [
    `Wall time of one full scan; ${rounds} rounds per contender, interleaved round by round (systeminformation: ${siRounds} rounds at the first and last process count, ≥ 0.5 s apart because it returns a cached list within 500 ms; \`ps\` timed as a whole command, fork + exec + scan + print, as a user pays it). Every timed scan of the collector, the Node floors and the C programs starts after the same 20 ms idle pause, because the agent's scans do (it scans when asked, every 2 s while a client watches) and a scan right after another one finds the kernel's and the CPU's caches warm: the row "its two scans back to back" is the C reference without the pause, as this suite timed it before 2026-12-01 (the collector's scan already followed a pause then). The C programs report their own in-process time of 2 scans per round (the kept-descriptor one after an untimed scan that opens them); the Node floors and the collector keep their state between rounds as the agent does between requests. The C programs, \`ps\` and systeminformation are started by a helper process, so the process that times the collector and the Node floors never forks: a fork write-protects every page of the forking process until it is next written, which the agent (it does not fork between scans) never pays, and a collector scan timed right after the round's spawns did (since 2026-12-02). The extra processes are \`sleep\`s this suite starts. The timed contenders' order rotates from round to round (since 2026-12-03; before, the collector always came first). At the machine's own count the rounds are ${2 * rounds}. Ratio in the table = median ÷ C open/read/close median; the scan targets are judged on the median of the per-round CPU ratios (the collector's scan over the mean of the C reference's two scans of the same round, as the watcher suite judges its ratios; since 2026-12-03), with the ratio of medians beside it.`,
    "",
    "| processes | contender | rows seen | wall median | p10 – p90 | vs C (wall) | CPU median | vs C (CPU) |",
    "|---:|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    ...notes,
    "",
    `**A fresh process-list request end to end**: an agent with its process TTL at 0 (every request scans, encodes the protobuf, gzips it and sends it) asked \`{"type":"processes"}\` one at a time over one connection; its CPU (all threads, exact) per request over batches of 5, ${rounds} batches interleaved with the C reference scan, whose CPU time it is compared with (two C scans back to back, as the batch's requests are). "Scan" is the in-process collector's CPU per scan from the table above; the rest is encoding, gzip, the frame and request handling.`,
    "",
    "| processes | agent CPU per request | p10 – p90 | C scan (CPU) | vs C | of which scan (in-process) | rest | reply |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...requestRows,
    "",
    ...phases
      .filter((ph) => Math.abs(ph.range[0] - ph.range[1]) > 0.1 * ph.range[0])
      .map((ph) => `- The machine's process count moved from ${ph.range[0]} to ${ph.range[1]} during the "${ph.label}" phase (other users' processes): each row gives the rows that contender saw.`),
  ].join("\n");
  return { id: "scan", title: "1. Process scan", markdown, targets, data };
}
