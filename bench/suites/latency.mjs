/**
 * Suite 2 — request latency over a real socket, agent vs node_exporter vs
 * Glances for the same data; and the bytes each reply puts on the wire
 * (reported in the memory/wire section).
 *
 * Every server runs at once, idle but for our requests; requests go one at a
 * time, interleaved contender by contender, round by round.
 *  - agent, fresh: TTLs 0, so every request collects (like node_exporter, which has no cache);
 *  - agent, cached: default TTLs, requests well inside the window (what most fan-out clients get);
 *  - node_exporter: `/metrics` restricted with `collect[]` to the collectors behind the same data;
 *  - Glances: one instance per kind with only the plugins behind that data and
 *    `--cached-time 0 -t 0` (refresh on every request), fetched with `/api/3/all`.
 */
import { gunzipSync, gzipSync, constants as zlib } from "node:zlib";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import {
  GLANCES_PLUGINS,
  NODE_EXPORTER_QUERIES,
  connectAgent,
  startAgent,
  startGlances,
  startNodeExporter,
} from "../lib/peers.mjs";
import { fmtBytes, fmtMs, fmtRatio, httpGet, sleep, summarize } from "../lib/util.mjs";

const KINDS = ["metrics", "disks", "processes"];

async function loadProtocol(ctx) {
  // The built protocol package (dist): decodes the process list to count rows.
  try {
    return await import(pathToFileURL(join(ctx.root, "packages", "protocol", "dist", "index.js")).href);
  } catch {
    return null;
  }
}

function gz(buf) {
  return gzipSync(buf, { level: zlib.Z_BEST_SPEED }).length;
}

export async function run(ctx) {
  const rounds = ctx.quick ? 30 : 100;
  const protocol = await loadProtocol(ctx);
  const servers = [];
  const stopAll = async () => {
    for (const s of servers.splice(0)) await s.stop();
  };
  try {
    ctx.log("latency: starting agents, node_exporter and Glances");
    const fresh = await startAgent(ctx, {
      label: "agent-fresh",
      env: { SOCKTOP_AGENT_METRICS_TTL_MS: "0", SOCKTOP_AGENT_PROCESSES_TTL_MS: "0", SOCKTOP_AGENT_DISKS_TTL_MS: "0" },
    });
    servers.push(fresh);
    const cached = await startAgent(ctx, { label: "agent-cached" });
    servers.push(cached);
    const ne = await startNodeExporter(ctx);
    if (ne) servers.push(ne);
    const glances = {};
    for (const kind of KINDS) {
      glances[kind] = await startGlances(ctx, { plugins: GLANCES_PLUGINS[kind], cachedTime: 0, time: 0, label: `glances-${kind}` });
      if (glances[kind]) servers.push(glances[kind]);
    }
    const freshClient = await connectAgent(fresh.url);
    const cachedClient = await connectAgent(cached.url);

    // contenders per kind: name -> async () => { ms, bytes, rows?, raw? }
    const contenders = {};
    for (const kind of KINDS) {
      const list = [];
      const agentReq = (client) => async () => {
        const r = await client.request(kind);
        return { ms: r.ms, bytes: r.bytes, data: r.data, binary: r.binary };
      };
      list.push({ id: "agent-fresh", name: "socktop_agent, fresh (TTL 0)", what: `\`{"type":"${kind}"}\``, fn: agentReq(freshClient) });
      // Cached: an untimed request first makes sure the window is open, so the
      // timed one is served from the cache whatever the other contenders took.
      const cachedReq = agentReq(cachedClient);
      list.push({
        id: "agent-cached",
        name: "socktop_agent, cached (default TTLs)",
        what: `\`{"type":"${kind}"}\``,
        fn: async () => {
          await cachedClient.request(kind);
          return cachedReq();
        },
      });
      if (ne && NODE_EXPORTER_QUERIES[kind]) {
        const path = NODE_EXPORTER_QUERIES[kind];
        list.push({
          id: "node_exporter",
          name: "node_exporter",
          what: `\`${path.replace("/metrics?", "/metrics?…").replace(/collect\[\]=/g, "")}\``,
          fn: async () => {
            const r = await httpGet(ne.port, path);
            if (r.status !== 200) throw new Error(`node_exporter ${path}: ${r.status}`);
            return { ms: r.ms, bytes: r.bytes, data: r.body };
          },
        });
      }
      if (glances[kind]) {
        const g = glances[kind];
        list.push({
          id: "glances",
          name: "Glances (refresh per request)",
          what: `\`/api/3/all\` (${GLANCES_PLUGINS[kind].join(", ")})`,
          fn: async () => {
            const r = await httpGet(g.port, "/api/3/all");
            if (r.status !== 200) throw new Error(`glances /api/3/all: ${r.status}`);
            return { ms: r.ms, bytes: r.bytes, data: r.body };
          },
        });
      }
      contenders[kind] = list;
    }

    // Warm-up: JIT, first-time probes, Glances' first refresh.
    for (let i = 0; i < 5; i++) for (const kind of KINDS) for (const c of contenders[kind]) await c.fn();

    ctx.log(`latency: ${rounds} interleaved rounds`);
    const samples = {};
    const last = {};
    for (let round = 0; round < rounds; round++) {
      for (const kind of KINDS) {
        for (const c of contenders[kind]) {
          const r = await c.fn();
          (samples[`${kind}/${c.id}`] ??= []).push(r.ms);
          last[`${kind}/${c.id}`] = r;
        }
      }
      await sleep(10);
    }

    // Rows in the replies, to show the data is comparable.
    const rowsOf = (kind, id, r) => {
      try {
        if (id.startsWith("agent")) {
          if (kind === "processes" && protocol) {
            const bytes = protocol.isGzip(r.data) ? gunzipSync(r.data) : r.data;
            return protocol.decodeProcessList(bytes).processes.length;
          }
          if (kind === "disks") return JSON.parse(r.data.toString()).length;
          return null;
        }
        if (id === "glances") {
          const all = JSON.parse(r.data.toString());
          if (kind === "processes") return all.processlist?.length ?? null;
          if (kind === "disks") return all.fs?.length ?? null;
          return null;
        }
        if (id === "node_exporter") {
          const text = r.data.toString();
          return text.split("\n").filter((l) => l && !l.startsWith("#")).length + " series";
        }
      } catch {
        return null;
      }
      return null;
    };

    const table = [];
    const targets = [];
    const data = {};
    for (const kind of KINDS) {
      const base = summarize(samples[`${kind}/agent-fresh`]);
      for (const c of contenders[kind]) {
        const s = summarize(samples[`${kind}/${c.id}`]);
        const r = last[`${kind}/${c.id}`];
        data[`${kind}/${c.id}`] = { ...s, bytes: r.bytes };
        const rows = rowsOf(kind, c.id, r);
        table.push(
          `| ${kind} | ${c.name} | ${c.what} | ${rows ?? ""} | ${fmtBytes(r.bytes)} | ${fmtMs(s.median)} | ${fmtMs(s.p99)} | ${fmtMs(s.p10)} – ${fmtMs(s.p90)} | ${c.id === "agent-fresh" ? "1.00×" : fmtRatio(s.median / base.median)} |`,
        );
        if (c.id === "node_exporter" || c.id === "glances") {
          const tie = Math.abs(s.median - base.median) <= 0.03 * Math.max(s.median, base.median);
          targets.push({
            name: `${kind} latency below ${c.id === "glances" ? "Glances" : "node_exporter"} (fresh collection, p50)`,
            figure: `${fmtMs(base.median)} vs ${fmtMs(s.median)} (${c.id} takes ${fmtRatio(s.median / base.median)})${tie ? ": a tie, within 3 %" : ""}`,
            met: base.median < s.median && !tie,
            why: (() => {
              const cached = samples[`${kind}/agent-cached`]?.length ? summarize(samples[`${kind}/agent-cached`]).median : NaN;
              return Number.isFinite(cached)
                ? `the agent answers the same request from its cache in ${fmtMs(cached)} (the socket and framing), so collecting and encoding this data took about ${fmtMs(base.median - cached)} of its ${fmtMs(base.median)}.`
                : null;
            })(),
          });
        }
      }
      if (!ne || !NODE_EXPORTER_QUERIES[kind]) {
        if (kind === "processes") table.push(`| processes | node_exporter | – (no per-process list; that is process-exporter's job) | | | | | | |`);
      }
    }

    // Bytes on the wire per poll cycle (used by the memory section).
    const wire = {};
    for (const kind of KINDS) {
      const r = last[`${kind}/agent-cached`];
      let raw = r.bytes;
      if (r.binary && protocol?.isGzip(r.data)) raw = gunzipSync(r.data).length;
      wire[kind] = { onWire: r.bytes, raw, gzip: protocol?.isGzip(r.data) ? r.bytes : gz(r.binary && protocol?.isGzip(r.data) ? gunzipSync(r.data) : r.data), sentGzip: Boolean(protocol?.isGzip(r.data)) };
    }
    // Legacy dialect (what released socktop clients send): get_metrics JSON is gzip-binary when > 768 bytes.
    const legacy = await legacyMetricsSize(cached.url);
    const peerBytes = {};
    if (ne) {
      for (const kind of ["metrics", "disks"]) {
        const path = NODE_EXPORTER_QUERIES[kind];
        const plain = await httpGet(ne.port, path);
        const zipped = await httpGet(ne.port, path, { headers: { "Accept-Encoding": "gzip" } });
        peerBytes[`node_exporter/${kind}`] = { raw: plain.bytes, gzip: zipped.headers["content-encoding"] === "gzip" ? zipped.bytes : gz(plain.body) };
      }
    }
    for (const kind of KINDS) {
      if (!glances[kind]) continue;
      const r = await httpGet(glances[kind].port, "/api/3/all");
      peerBytes[`glances/${kind}`] = { raw: r.bytes, gzip: gz(r.body) };
    }

    await freshClient.close();
    await cachedClient.close();

    const markdown = [
      `${rounds} requests per contender and kind, one at a time over a kept-alive connection, interleaved round by round (after 5 warm-up rounds). Time = request sent → whole reply received. Ratio = median ÷ the agent's fresh median. "Fresh" means every request collects from /proc (agent TTLs 0; node_exporter always collects; Glances with \`--cached-time 0 -t 0\`); "cached" is the agent with its default TTLs, timed on a request right after an untimed one, so it is served the bytes encoded once per window.`,
      "",
      "| data | contender | request | rows | reply | p50 | p99 | p10 – p90 | vs agent fresh |",
      "|---|---|---|---:|---:|---:|---:|---:|---:|",
      ...table,
    ].join("\n");
    return { id: "latency", title: "2. Request latency over a socket", markdown, targets, data, wire, legacy, peerBytes };
  } finally {
    await stopAll();
  }
}

async function legacyMetricsSize(url) {
  const WebSocket = (await import("ws")).default;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  try {
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const reply = new Promise((resolve) => ws.once("message", (data, binary) => resolve({ bytes: data.length, binary })));
    ws.send("get_metrics");
    return await Promise.race([reply, sleep(5000).then(() => null)]);
  } catch {
    return null;
  } finally {
    ws.terminate();
  }
}
