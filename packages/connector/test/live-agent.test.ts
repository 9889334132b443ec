/**
 * Every method against the real agent, in both protocol versions: protocol 2
 * (negotiated from the upgrade headers, request ids, typed errors) and the
 * legacy commands (protocol: "legacy").
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import WebSocket from "ws";
import { compareBusiest } from "@socktop/protocol";
import { connect, AgentError, type AgentConnection, type Metrics } from "../src/index.js";
import { liveUrl, startLiveAgent, type StartedAgent } from "./helpers/live.js";

const agentVersion = (createRequire(import.meta.url)("../../agent/package.json") as { version: string }).version;

/** Every frame the connector sends, recorded at the ws layer. */
const sent: string[] = [];
const originalSend = WebSocket.prototype.send;

let agent: StartedAgent;

before(async () => {
  WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
    // The agent runs in this process too: only client sockets (which have a URL) count.
    if (this.url) sent.push(String(data));
    return (originalSend as (...a: unknown[]) => void).call(this, data, ...rest);
  } as typeof originalSend;
  agent = await startLiveAgent();
});
after(async () => {
  WebSocket.prototype.send = originalSend;
  await agent.close();
});

const METRICS_KEYS = [
  "cpu_per_core", "cpu_temp_c", "cpu_total", "gpus", "hostname", "mem_total", "mem_used", "networks", "process_count", "swap_total", "swap_used",
];

function checkMetrics(m: Metrics): void {
  assert.deepEqual(Object.keys(m).sort(), METRICS_KEYS);
  assert.equal(m.hostname, hostname());
  assert.ok(m.cpu_total >= 0 && m.cpu_total <= 100);
  assert.ok(m.cpu_per_core.length >= 1);
  assert.ok(m.mem_used !== null && m.mem_total !== null && m.mem_used > 0 && m.mem_used <= m.mem_total, `${m.mem_used} of ${m.mem_total}`);
  assert.equal(typeof m.process_count, "number", "the process count is there in both protocols");
  assert.ok(m.networks.some((n) => n.name === "lo"));
}

for (const protocol of ["auto", "legacy"] as const) {
  describe(`protocol: "${protocol}"`, () => {
    let connection: AgentConnection;
    let firstFrame = 0;

    before(async () => {
      firstFrame = sent.length;
      connection = await connect(liveUrl(agent), { protocol, reconnect: false });
    });
    after(() => connection.close());

    test("info: what the agent stated in its upgrade headers", async () => {
      const info = connection.info;
      assert.equal(info.agentVersion, agentVersion);
      assert.equal(info.legacy, false);
      assert.equal(info.agentProtocolVersion, 2);
      assert.ok(["metrics", "disks", "processes", "hello", "request_id"].every((c) => info.capabilities.includes(c)), info.capabilities.join(","));
      assert.equal(info.protocolVersion, protocol === "auto" ? 2 : 1);
    });

    test("metrics()", async () => {
      checkMetrics(await connection.metrics());
    });

    test("disks()", async () => {
      const disks = await connection.disks();
      assert.ok(disks.length >= 1);
      for (const d of disks) {
        assert.deepEqual(Object.keys(d).sort(), ["available", "is_partition", "name", "temperature", "total"]);
        assert.ok(d.available <= d.total);
      }
    });

    test("processes()", async () => {
      const list = await connection.processes();
      assert.equal(list.process_count, list.processes.length);
      const me = list.processes.find((p) => p.pid === process.pid);
      assert.ok(me, "this test process is listed");
      assert.ok(me.mem_bytes > 0);
    });

    test("processes({ top }): the busiest few, busiest first, process_count of all", async () => {
      const before = sent.length;
      const list = await connection.processes({ top: 2 });
      assert.equal(list.processes.length, 2);
      assert.ok(compareBusiest(list.processes[0]!, list.processes[1]!) < 0);
      assert.ok(list.process_count > 2);
      // Protocol 2 asks the agent for two rows; the legacy command has no such form and gets all (cut here).
      const frame = sent.slice(before).find((f) => f.includes("processes")) ?? "";
      if (protocol === "auto") assert.match(frame, /^\{"type":"processes","top":2,"id":\d+\}$/);
      else assert.equal(frame, "get_processes");
      await assert.rejects(connection.processes({ top: 0 }), RangeError);
      await assert.rejects(connection.processes({ top: 1.5 }), RangeError);
    });

    test("processMetrics(pid): this process's details (or the agent's error, until it serves them)", async (t) => {
      try {
        const details = await connection.processMetrics(process.pid);
        assert.equal(details.process.pid, process.pid);
        // null only from the portable backend, which cannot count threads.
        if (process.env.SOCKTOP_AGENT_BACKEND === "portable") assert.equal(details.process.thread_count, null);
        else assert.ok(details.process.thread_count !== null && details.process.thread_count >= 1);
        assert.equal(typeof details.cached_at, "number");
      } catch (error) {
        assert.ok(error instanceof AgentError, String(error));
        assert.match(error.agentMessage, /does not serve/);
        t.diagnostic(`agent does not serve process details yet: ${error.message}`);
      }
      const missing = await connection.processMetrics(4_000_000_000).catch((e: unknown) => e);
      assert.ok(missing instanceof AgentError);
      assert.equal(missing.pid, 4_000_000_000);
      if (protocol === "auto") assert.ok(missing.agentCode === "NOT_FOUND" || missing.agentCode === "UNKNOWN_REQUEST", String(missing.agentCode));
      else assert.equal(missing.agentCode, null);
    });

    test("journalEntries(pid): entries (or the agent's error: no journal here, or not served yet)", async (t) => {
      try {
        const journal = await connection.journalEntries(process.pid);
        assert.ok(Array.isArray(journal.entries));
        assert.equal(typeof journal.truncated, "boolean");
      } catch (error) {
        assert.ok(error instanceof AgentError, String(error));
        t.diagnostic(`journal: ${error.message}`);
      }
    });

    test("pipelining: many requests in flight at once, each gets its own reply", async () => {
      const calls = Array.from({ length: 30 }, (_, i) => i % 3);
      const results = await Promise.all(
        calls.map((k) => (k === 0 ? connection.metrics() : k === 1 ? connection.disks() : connection.processes())),
      );
      results.forEach((r, i) => {
        if (calls[i] === 0) checkMetrics(r as Metrics);
        else if (calls[i] === 1) assert.ok(Array.isArray(r));
        else assert.ok("processes" in (r as object));
      });
    });

    test(protocol === "auto" ? "on the wire: a pipelined hello, then JSON requests with ids" : "on the wire: only legacy commands", async () => {
      const frames = sent.slice(firstFrame);
      if (protocol === "auto") {
        assert.match(frames[0] ?? "", /^\{"type":"hello","id":\d+\}$/);
        assert.match(frames[1] ?? "", /^\{"type":"metrics","id":\d+\}$/);
        const ids = frames.map((f) => (JSON.parse(f) as { id: number }).id);
        assert.equal(new Set(ids).size, ids.length, "ids are unique");
        assert.ok(frames.some((f) => /^\{"type":"process_metrics","pid":\d+,"id":\d+\}$/.test(f)));
        // Once the hello is answered, info comes from it, including the agent's minimum protocol.
        assert.equal(connection.info.source, "hello");
        assert.equal(connection.info.agentMinProtocolVersion, 1);
      } else {
        for (const f of frames) assert.match(f, /^get_(metrics|disks|processes|process_metrics:\d+|journal_entries:\d+)$/);
        assert.equal(connection.info.source, "headers");
      }
    });
  });
}

test("both protocols describe the same machine the same way", async () => {
  const v2 = await connect(liveUrl(agent), { reconnect: false });
  const v1 = await connect(liveUrl(agent), { protocol: "legacy", reconnect: false });
  try {
    const [a, b] = await Promise.all([v2.metrics(), v1.metrics()]);
    assert.equal(a.hostname, b.hostname);
    assert.equal(a.mem_total, b.mem_total);
    assert.equal(a.cpu_per_core.length, b.cpu_per_core.length);
    assert.deepEqual(a.gpus, b.gpus);
  } finally {
    await v2.close();
    await v1.close();
  }
});
