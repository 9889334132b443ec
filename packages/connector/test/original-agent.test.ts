/**
 * Against a stand-in for the original Rust agent (no headers, legacy commands
 * only, gzip JSON over 768 bytes, silent on unknown input): the connector
 * falls back to the legacy commands at once, sends nothing else, and
 * normalises the original's reply shapes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { topProcesses } from "@socktop/protocol";
import { connect, AgentError, type AgentConnection } from "../src/index.js";
import { ORIGINAL_AGENT_INFO, ORIGINAL_PROCESSES, startOriginalAgent, type OriginalAgent } from "./helpers/original-agent.js";
import { waitFor } from "./helpers/util.js";

let original: OriginalAgent;
let agent: AgentConnection;

before(async () => {
  original = await startOriginalAgent();
  agent = await connect(original.url, { reconnect: false });
});
after(async () => {
  await agent.close();
  await original.close();
});

test("info: no version stated, so protocol 1 with the legacy commands", () => {
  assert.deepEqual(agent.info, ORIGINAL_AGENT_INFO);
  assert.equal(original.upgrades[0]?.protocols, undefined, "no subprotocol offered (ws would fail the handshake when none is selected)");
});

test("metrics: gzip-binary JSON decoded, original GPU names mapped to the seed's, legacy-only keys dropped", async () => {
  const m = await agent.metrics();
  assert.equal(m.hostname, "original-host");
  assert.equal(m.networks.length, 40, "long enough to have come gzipped");
  assert.deepEqual(m.gpus, [{ name: "NVIDIA T4", usage: 56.5, memory_total: 8_589_934_592, memory_used: 1_073_741_824, temp_c: null }]);
  assert.equal(m.process_count, 3);
  assert.equal(m.cpu_temp_c, 48.5);
  assert.ok(!("top_processes" in m) && !("disks" in m));
});

test("disks: an older agent's {name,total,available} gets temperature null and is_partition false", async () => {
  assert.deepEqual(await agent.disks(), [
    { name: "sda1", total: 1000, available: 400, temperature: null, is_partition: false },
    { name: "nvme0n1p2", total: 5000, available: 2500, temperature: null, is_partition: false },
  ]);
});

test("processes: gzipped protobuf decoded", async () => {
  const list = await agent.processes();
  assert.equal(list.process_count, ORIGINAL_PROCESSES.length);
  assert.deepEqual(list.processes[5], ORIGINAL_PROCESSES[5]);
});

test("processes({ top }): the original sends every process (get_processes); the connector keeps the busiest", async () => {
  const list = await agent.processes({ top: 3 });
  assert.equal(list.process_count, ORIGINAL_PROCESSES.length);
  assert.deepEqual(list.processes, topProcesses(ORIGINAL_PROCESSES, 3));
  assert.equal(original.received.at(-1), "get_processes");
});

test("process details and journal through the legacy commands, and the original's error object as AGENT_ERROR", async () => {
  const details = await agent.processMetrics(4242);
  assert.equal(details.process.name, "nginx");
  assert.equal(details.process.threads.length, 1);
  const journal = await agent.journalEntries(4242);
  assert.equal(journal.entries[0]?.priority, "Warning");
  const error = await agent.processMetrics(999999).then(
    () => assert.fail("expected AGENT_ERROR"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AgentError);
  assert.equal(error.code, "AGENT_ERROR");
  assert.equal(error.agentMessage, "Process 999999 not found");
  assert.equal(error.agentCode, null, "protocol 1 has no error codes");
  assert.equal(error.pid, 999999);
  assert.match(error.message, /Process 999999 not found/);
  assert.equal(agent.state, "open", "an agent error leaves the connection usable");
});

test("pipelined requests resolve to the right replies, in order", async () => {
  const [m, d, p, m2] = await Promise.all([agent.metrics(), agent.disks(), agent.processes(), agent.metrics()]);
  assert.equal(m.hostname, "original-host");
  assert.equal(d.length, 2);
  assert.equal(p.processes.length, ORIGINAL_PROCESSES.length);
  assert.equal(m2.hostname, "original-host");
});

test("only legacy commands were ever sent: no hello, no JSON", () => {
  assert.ok(original.received.length > 0);
  for (const frame of original.received) {
    assert.match(frame, /^get_(metrics|disks|processes|process_metrics:\d+|journal_entries:\d+)$/, `unexpected frame ${frame}`);
  }
});

test("no added delay: connect + first metrics take one reply's time, and get_metrics is the first thing sent", async () => {
  const replyDelayMs = 200;
  const slow = await startOriginalAgent({ replyDelayMs });
  try {
    const started = Date.now();
    const connection = await connect(slow.url, { reconnect: false });
    const connected = Date.now();
    const metrics = await connection.metrics();
    const done = Date.now();
    await connection.close();
    assert.equal(metrics.hostname, "original-host");
    assert.deepEqual(slow.received, ["get_metrics"], "the first and only frame is the legacy command");
    assert.ok(connected - started < 100, `connect took ${connected - started} ms: it must not wait for anything from the agent`);
    // One delayed reply (200 ms) plus local overhead; waiting for a hello that never comes would cost
    // at least another reply's time or a timeout.
    assert.ok(done - started < replyDelayMs + 150, `connect + metrics took ${done - started} ms`);
    // The request left as soon as the link was up.
    assert.ok(slow.connectedAt.length === 1);
  } finally {
    await slow.close();
  }
});

test("protocol: \"legacy\" against the original behaves the same", async () => {
  const connection = await connect(original.url, { protocol: "legacy", reconnect: false });
  try {
    assert.equal(connection.info.legacy, true);
    assert.equal((await connection.metrics()).hostname, "original-host");
  } finally {
    await connection.close();
  }
});

test("a request the original ignores ends in TIMEOUT and a fresh link, not in mismatched replies", async () => {
  const silent = await startOriginalAgent({ override: (command) => (command.startsWith("get_journal_entries") ? null : undefined) });
  // The first shape mismatch loads the protocol's explainer (lazily, to keep it out of browser
  // bundles): about 1.3 s under tsx on this machine, during which the queued metrics request's
  // timer keeps running. A 300 ms timeout made the test measure that import, not the reset.
  const connection = await connect(silent.url, { requestTimeoutMs: 5000, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
  try {
    const journal = connection.journalEntries(4242);
    const metrics = connection.metrics();
    // The metrics reply arrives first and lands in the journal's slot: a shape mismatch, detected.
    await assert.rejects(journal, { code: "PROTOCOL_ERROR" });
    await assert.rejects(metrics, { code: "CONNECTION_CLOSED" });
    await waitFor(() => connection.state === "open" && silent.connectedAt.length === 2);
    assert.equal((await connection.metrics()).hostname, "original-host", "works again after reconnecting");
    // Alone in the queue, the ignored request simply times out.
    await assert.rejects(connection.journalEntries(4242), { code: "TIMEOUT" });
  } finally {
    await connection.close();
    await silent.close();
  }
});

test("a wrong token: the original accepts and closes at once; the connector says why it might be and keeps backing off", async () => {
  const guarded = await startOriginalAgent({ token: "right" });
  const connection = await connect(guarded.url, { token: "wrong", reconnect: { initialDelayMs: 20, maxDelayMs: 200, jitter: 0 } });
  const scheduled: Array<[number, string]> = [];
  connection.on("reconnect-scheduled", (delay, _attempt, error) => scheduled.push([delay, error.message]));
  try {
    await waitFor(() => scheduled.length >= 4);
    assert.deepEqual(scheduled.slice(0, 4).map(([delay]) => delay), [20, 40, 80, 160], "no reply ever came: the delay keeps growing");
    assert.match(scheduled[0]?.[1] ?? "", /closes connections whose \?token= does not match/);
  } finally {
    await connection.close();
    await guarded.close();
  }
});
