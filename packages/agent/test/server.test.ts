/** End to end: HTTP routes, ordering, errors, cache sharing, idleness. */
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { decodeProcessList } from "@socktop/protocol";
import { TestClient, activeHandles, collectionsFrom, json, startTestAgent, unzip, wsUrl } from "./helpers/agent.js";

test("GET /healthz answers 200; other paths are explained", async () => {
  const agent = await startTestAgent();
  try {
    const base = `http://127.0.0.1:${agent.address.port}`;
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok\n");
    const ws = await fetch(`${base}/ws`);
    assert.equal(ws.status, 426);
    const other = await fetch(`${base}/nope`);
    assert.equal(other.status, 404);
    await assert.rejects(TestClient.connect(`ws://127.0.0.1:${agent.address.port}/other`), /HTTP 404/);
  } finally {
    await agent.close();
  }
});

test("POST /healthz is 405 with Allow; GET /metrics without --prometheus is a 404 that says how to enable it", async () => {
  const agent = await startTestAgent();
  const split = await startTestAgent({ prometheus: { enabled: true, port: 0, topProcesses: 0 } });
  try {
    const base = `http://127.0.0.1:${agent.address.port}`;
    for (const method of ["POST", "PUT", "DELETE"]) {
      const r = await fetch(`${base}/healthz`, { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get("allow"), "GET, HEAD");
      assert.equal(await r.text(), "/healthz answers GET and HEAD\n");
    }
    assert.equal((await fetch(`${base}/healthz`, { method: "HEAD" })).status, 200);
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 404);
    assert.equal(
      await metrics.text(),
      "Not found: Prometheus metrics are off; start socktop_agent with --prometheus (or SOCKTOP_PROMETHEUS=1) to serve them here\n",
    );
    // With --prometheus-port, the agent's own port says where they are.
    const elsewhere = await fetch(`http://127.0.0.1:${split.address.port}/metrics`);
    assert.equal(elsewhere.status, 404);
    assert.equal(await elsewhere.text(), `Not found: Prometheus metrics are served on port ${split.prometheus?.address.port} (--prometheus-port)\n`);
    assert.notEqual(split.prometheus?.address.port, 0);
  } finally {
    await Promise.all([agent.close(), split.close()]);
  }
});

test("pipelined requests are answered in request order", async () => {
  const agent = await startTestAgent();
  const client = await TestClient.connect(wsUrl(agent));
  try {
    const requests = [
      '{"type":"processes"}', '{"type":"metrics"}', "bogus", '{"type":"disks"}', "get_metrics",
      "get_processes", '{"type":"nope"}', "get_disks", '{"type":"metrics"}', '{"type":"processes"}',
    ];
    for (const r of requests) client.send(r);
    const kinds: string[] = [];
    for (let i = 0; i < requests.length; i++) {
      const frame = await client.next();
      const raw = unzip(frame);
      if (raw[0] !== 0x7b && raw[0] !== 0x5b) {
        // not "{" or "[": the protobuf process list
        assert.ok(frame.isBinary);
        assert.ok(decodeProcessList(raw).processes.length > 0);
        kinds.push("processes");
        continue;
      }
      const value = json<unknown>(frame);
      if (Array.isArray(value)) kinds.push("disks");
      else if (typeof value === "object" && value !== null && "error" in value) kinds.push("error");
      else if (typeof value === "object" && value !== null && "top_processes" in value) kinds.push("legacy-metrics");
      else kinds.push("metrics");
    }
    assert.deepEqual(kinds, [
      "processes", "metrics", "error", "disks", "legacy-metrics", "processes", "error", "disks", "metrics", "processes",
    ]);
  } finally {
    await client.close();
    await agent.close();
  }
});

test("an unknown or malformed request gets an error reply and the connection stays usable", async () => {
  const agent = await startTestAgent();
  const client = await TestClient.connect(wsUrl(agent));
  try {
    assert.deepEqual(json(await client.request('{"type":"reboot"}')), {
      error: "Unknown request type 'reboot': expected one of metrics, disks, processes, process_metrics, journal_entries, hello, load, disk_io, cgroups, signal",
      request: "reboot",
    });
    const malformed = json<{ error: string; request: string }>(await client.request("{oops"));
    assert.match(malformed.error, /Malformed JSON/);
    assert.equal(malformed.request, "{oops");
    const legacy = json<{ error: string; request: string }>(await client.request("get_everything"));
    assert.match(legacy.error, /Unknown request 'get_everything'/);
    client.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), true);
    assert.match(json<{ error: string }>(await client.next()).error, /Binary frames are not requests/);
    const m = json<{ hostname: string }>(await client.request('{"type":"metrics"}'));
    assert.equal(typeof m.hostname, "string");
  } finally {
    await client.close();
    await agent.close();
  }
});

test("one collection per TTL window, shared by every client", async () => {
  const agent = await startTestAgent({ metricsTtlMs: 60_000, processesTtlMs: 60_000, disksTtlMs: 60_000 });
  const clients = await Promise.all(Array.from({ length: 10 }, () => TestClient.connect(wsUrl(agent))));
  try {
    const collections = collectionsFrom(agent);
    await Promise.all(
      clients.map(async (c) => {
        for (const r of ['{"type":"metrics"}', "get_metrics", '{"type":"processes"}', "get_disks", '{"type":"disks"}']) {
          await c.request(r);
        }
      }),
    );
    assert.deepEqual(collections(), { metrics: 1, processes: 1, disks: 1 });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await agent.close();
  }
});

test("a short TTL collects again once the window has passed", async () => {
  const agent = await startTestAgent({ metricsTtlMs: 50 });
  const client = await TestClient.connect(wsUrl(agent));
  try {
    await client.request('{"type":"metrics"}');
    const n = agent.sources.counts.metrics;
    await new Promise((r) => setTimeout(r, 80));
    await client.request('{"type":"metrics"}');
    assert.equal(agent.sources.counts.metrics, n + 1);
  } finally {
    await client.close();
    await agent.close();
  }
});

test("an idle agent keeps no timers, before and after serving clients", async () => {
  const timers = (): number => activeHandles("Timeout");
  const baseline = timers();
  const agent = await startTestAgent({}, { heartbeatMs: 20 });
  try {
    assert.equal(timers(), baseline, "listening adds no timer");
    const client = await TestClient.connect(wsUrl(agent));
    await client.request('{"type":"metrics"}');
    await new Promise((r) => setTimeout(r, 60)); // a couple of heartbeats
    assert.equal(client.socket.readyState, client.socket.OPEN, "a live peer answering pings stays connected");
    await client.close();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(agent.server.clientCount, 0);
    assert.equal(timers(), baseline, "the heartbeat stops with the last client");
  } finally {
    await agent.close();
  }
});

test("the client count is reported as each connection opens and closes (the CLI sizes V8's young generation by it)", async () => {
  const counts: number[] = [];
  const agent = await startTestAgent({}, { onClientCount: (n) => counts.push(n) });
  try {
    const a = await TestClient.connect(wsUrl(agent));
    const b = await TestClient.connect(wsUrl(agent));
    await a.close();
    await b.close();
    for (let i = 0; i < 50 && counts.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(counts, [1, 2, 1, 0]);
  } finally {
    await agent.close();
  }
});

test("deferServing (the CLI): the collectors are made on the first connection, concurrent first clients share them, close() works either way", async () => {
  // The Linux backend even on the portable pass: the portable one lists processes before listening, so it is never deferred.
  const idle = await startTestAgent({ backend: "linux" }, { deferServing: true });
  try {
    assert.throws(() => idle.sources, /first connection/);
  } finally {
    await idle.close();
  }

  const agent = await startTestAgent({ backend: "linux" }, { deferServing: true });
  try {
    assert.throws(() => agent.handler, /first connection/);
    const [a, b] = await Promise.all([TestClient.connect(wsUrl(agent)), TestClient.connect(wsUrl(agent))]);
    const [ma, mb] = await Promise.all([a.request('{"type":"metrics"}'), b.request('{"type":"metrics"}')]);
    assert.equal(typeof json<{ cpu_total: number }>(ma).cpu_total, "number");
    assert.equal(typeof json<{ cpu_total: number }>(mb).cpu_total, "number");
    assert.equal(agent.sources.counts.metrics, 1, "one set of collectors, one collection for both");
    assert.equal(agent.server.clientCount, 2);
    await a.close();
    await b.close();
  } finally {
    await agent.close();
  }
});

test("versioning: headers always; a pushed hello for the socktop.v2 subprotocol or ?socktop_hello=1; ids echoed", async () => {
  const agent = await startTestAgent();
  try {
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const socket = new WebSocket(wsUrl(agent));
      socket.once("upgrade", (res) => resolve(res.headers));
      socket.once("open", () => socket.close());
      socket.once("error", reject);
    });
    assert.equal(headers["x-socktop-protocol"], "2");
    assert.equal(headers["x-socktop-min-protocol"], "1");
    assert.match(String(headers["x-socktop-agent-version"]), /^\d+\.\d+\.\d+/);
    assert.match(String(headers["x-socktop-capabilities"]), /metrics,disks,processes/);

    for (const [url, protocols] of [[wsUrl(agent), ["socktop.v2"]], [wsUrl(agent, "?socktop_hello=1"), undefined]] as const) {
      const client = await TestClient.connect(url, {}, protocols ? [...protocols] : undefined);
      const hello = json<{ type: string; protocol_version: number; capabilities: string[] }>(await client.next());
      assert.equal(hello.type, "hello");
      assert.equal(hello.protocol_version, 2);
      assert.ok(hello.capabilities.includes("process_metrics"));
      // protocol 2 on this connection: typed error frames
      const error = json<{ type: string; code: string; id: number }>(await client.request('{"type":"nope","id":9}'));
      assert.deepEqual([error.type, error.code, error.id], ["error", "UNKNOWN_REQUEST", 9]);
      await client.close();
    }

    const plain = await TestClient.connect(wsUrl(agent));
    const envelope = json<{ id: string; type: string; data: { process_count: number; hostname: string } }>(
      await plain.request('{"type":"metrics","id":"m1"}'),
    );
    assert.equal(envelope.id, "m1");
    assert.equal(envelope.type, "metrics");
    assert.equal(typeof envelope.data.process_count, "number");
    // without a hello, errors stay in the protocol-1 shape
    assert.deepEqual(Object.keys(json<object>(await plain.request('{"type":"nope"}'))).sort(), ["error", "request"]);
    await plain.close();
  } finally {
    await agent.close();
  }
});
