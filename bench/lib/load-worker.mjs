/**
 * Fan-out load generator, run as its own process so that the measuring side
 * does not share an event loop with the agent:
 *   node bench/lib/load-worker.mjs '<json options>'
 *
 * Opens `clients` WebSocket connections to the agent (loopback only), then
 * every client polls like the TUI does, at the seed's recommended rates, with
 * a random phase so that clients are not synchronised: `{"type":"metrics"}`
 * every 500 ms, processes every 2 s, disks every 5 s. Like a real client, a
 * client does not send a request of a kind while its previous one of that
 * kind is unanswered (counted as `late`). Runs for `durationMs`, then stops
 * by itself.
 *
 * Prints JSON lines on stdout: {"type":"connected"}, {"type":"window",...}
 * every `windowMs`, and a final {"type":"final",...}.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import WebSocket from "ws";

const o = JSON.parse(process.argv[2]);
const url = o.url;
const clients = o.clients;
const durationMs = o.durationMs;
const windowMs = o.windowMs ?? 10_000;
const rates = o.rates ?? { metrics: 500, processes: 2000, disks: 5000 };
if (o.kinds) for (const k of Object.keys(rates)) if (!o.kinds.includes(k)) delete rates[k];
const KINDS = Object.keys(rates);
const REQUEST = Object.fromEntries(KINDS.map((k) => [k, JSON.stringify({ type: k })]));
const REQUEST_TIMEOUT_MS = 10_000;

const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

// ---------------------------------------------------------------- sample store

class Samples {
  constructor() {
    this.values = new Float64Array(1024);
    this.n = 0;
  }
  push(v) {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = v;
  }
  summary() {
    const a = this.values.slice(0, this.n).sort();
    const q = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * (a.length - 1) + 0.5))] : null);
    return { n: a.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: a.length ? a[a.length - 1] : null };
  }
}

const total = { latency: new Samples(), byKind: Object.fromEntries(KINDS.map((k) => [k, new Samples()])) };
let win = { latency: new Samples(), requests: 0, replies: 0, errors: 0 };
const counters = {
  requests: 0,
  replies: 0,
  errorReplies: 0,
  late: 0,
  connectErrors: 0,
  unexpectedCloses: 0,
  socketErrors: 0,
  timeouts: 0,
  bytes: Object.fromEntries(KINDS.map((k) => [k, 0])),
  replyCount: Object.fromEntries(KINDS.map((k) => [k, 0])),
};
const errorSamples = [];

// ---------------------------------------------------------------- stalls

/**
 * Replies slower than SLOW_MS, grouped into episodes (requests sent within
 * EPISODE_GAP_MS of each other): one stall of the agent or of this worker
 * shows as one episode holding many slow replies, while load spread thin
 * shows as many small ones. Beside each episode, this worker's own longest
 * event-loop stall in the same span (from a 5 ms timer), to tell which side stalled.
 */
const SLOW_MS = 25;
const EPISODE_GAP_MS = 100;
class Episodes {
  constructor() {
    this.list = [];
  }
  /** A span [from, from + ms] (ms since the time origin) that was slow. */
  note(from, ms) {
    const last = this.list[this.list.length - 1];
    const to = from + ms;
    if (last && from <= last.to + EPISODE_GAP_MS) {
      last.to = Math.max(last.to, to);
      last.n++;
      last.max = Math.max(last.max, ms);
    } else if (this.list.length < 1000) this.list.push({ from, to, n: 1, max: ms });
  }
}
const slow = new Episodes();
const lagStalls = new Episodes();
const noteError = (what) => {
  if (errorSamples.length < 10) errorSamples.push(what);
};

// ---------------------------------------------------------------- clients

let stopping = false;
const conns = [];

function connect() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 15_000 });
    const conn = { ws, queue: [], outstanding: Object.fromEntries(KINDS.map((k) => [k, false])), timers: [], open: false };
    ws.once("open", () => {
      conn.open = true;
      resolve(conn);
    });
    ws.on("message", (data, isBinary) => {
      const entry = conn.queue.shift();
      if (!entry) return;
      const ms = performance.now() - entry.t0;
      conn.outstanding[entry.kind] = false;
      counters.replies++;
      win.replies++;
      const bytes = Buffer.isBuffer(data) ? data.length : Array.isArray(data) ? data.reduce((s, b) => s + b.length, 0) : data.byteLength;
      counters.bytes[entry.kind] += bytes;
      counters.replyCount[entry.kind]++;
      // An error reply is JSON text starting with {"error" or {"type":"error" (agent replies to our kinds are never that).
      if (!isBinary && bytes < 512) {
        const text = data.toString();
        if (text.startsWith('{"error"') || text.startsWith('{"type":"error"')) {
          counters.errorReplies++;
          win.errors++;
          noteError(text.slice(0, 160));
          return;
        }
      }
      total.latency.push(ms);
      total.byKind[entry.kind].push(ms);
      if (ms >= SLOW_MS) slow.note(performance.now() - ms, ms);
      win.latency.push(ms);
    });
    ws.on("error", (error) => {
      if (!conn.open) {
        counters.connectErrors++;
        noteError(`connect: ${error.message}`);
        resolve(null);
        return;
      }
      counters.socketErrors++;
      win.errors++;
      noteError(`socket: ${error.message}`);
    });
    ws.on("close", (code) => {
      if (!conn.open) {
        resolve(null);
        return;
      }
      if (!stopping) {
        counters.unexpectedCloses++;
        win.errors++;
        noteError(`closed by agent: ${code}`);
      }
      for (const t of conn.timers) clearTimeout(t), clearInterval(t);
    });
  });
}

function send(conn, kind) {
  if (stopping || conn.ws.readyState !== WebSocket.OPEN) return;
  if (conn.outstanding[kind]) {
    // The previous request of this kind is unanswered: a real client waits.
    counters.late++;
    const oldest = conn.queue[0];
    if (oldest && performance.now() - oldest.t0 > REQUEST_TIMEOUT_MS) {
      counters.timeouts++;
      noteError("request unanswered for 10 s");
    }
    return;
  }
  conn.outstanding[kind] = true;
  conn.queue.push({ kind, t0: performance.now() });
  counters.requests++;
  win.requests++;
  conn.ws.send(REQUEST[kind]);
}

// ---------------------------------------------------------------- run

const connectStart = performance.now();
const BATCH = 50;
for (let i = 0; i < clients; i += BATCH) {
  const batch = await Promise.all(Array.from({ length: Math.min(BATCH, clients - i) }, () => connect()));
  for (const c of batch) if (c) conns.push(c);
}
emit({ type: "connected", clients: conns.length, failed: clients - conns.length, connectMs: performance.now() - connectStart });

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const started = performance.now();
let lagTick = performance.now();
const lagTimer = setInterval(() => {
  const now = performance.now();
  if (now - lagTick - 5 >= SLOW_MS) lagStalls.note(lagTick, now - lagTick - 5);
  lagTick = now;
}, 5);
for (const conn of conns) {
  for (const kind of KINDS) {
    const every = rates[kind];
    const first = setTimeout(() => {
      send(conn, kind);
      conn.timers.push(setInterval(() => send(conn, kind), every));
    }, Math.random() * every);
    conn.timers.push(first);
  }
}

const windowTimer = setInterval(() => {
  emit({
    type: "window",
    t: (performance.now() - started) / 1000,
    requests: win.requests,
    replies: win.replies,
    errors: win.errors,
    latency: win.latency.summary(),
    open: conns.filter((c) => c.ws.readyState === WebSocket.OPEN).length,
    loopLagP99Ms: loop.percentile(99) / 1e6,
  });
  win = { latency: new Samples(), requests: 0, replies: 0, errors: 0 };
}, windowMs);

await new Promise((r) => setTimeout(r, durationMs));
stopping = true;
clearInterval(windowTimer);
clearInterval(lagTimer);
for (const conn of conns) for (const t of conn.timers) clearTimeout(t), clearInterval(t);
// Let the last replies arrive.
const drainUntil = performance.now() + 3000;
while (conns.some((c) => c.queue.length > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
const unanswered = conns.reduce((s, c) => s + c.queue.length, 0);
const elapsedS = (performance.now() - started) / 1000;
loop.disable();
emit({
  type: "final",
  clients: conns.length,
  elapsedS,
  ...counters,
  unanswered,
  latency: total.latency.summary(),
  byKind: Object.fromEntries(KINDS.map((k) => [k, total.byKind[k].summary()])),
  loopLag: { p50Ms: loop.percentile(50) / 1e6, p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 },
  workerCpuS: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  errorSamples,
  // The worst episodes by number of slow replies, times in s since polling began.
  slowEpisodes: slow.list
    .sort((a, b) => b.n - a.n)
    .slice(0, 5)
    .map((e) => ({
      atS: (e.from - started) / 1000,
      spanMs: e.to - e.from,
      replies: e.n,
      maxMs: e.max,
      workerStallMs: lagStalls.list.filter((l) => l.to >= e.from && l.from <= e.to).reduce((m, l) => Math.max(m, l.max), 0),
    })),
  slowReplies: slow.list.reduce((n, e) => n + e.n, 0),
  slowEpisodeCount: slow.list.length,
  slowMs: SLOW_MS,
});
for (const conn of conns) conn.ws.terminate();
setTimeout(() => process.exit(0), 100);
