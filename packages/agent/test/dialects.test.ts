/** End to end over a real socket: both request dialects and their reply shapes. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { GZIP_THRESHOLD_BYTES, decodeProcessList, isGzip, topProcesses } from "@socktop/protocol";
import type { StartedAgent } from "../src/agent.js";
import { TestClient, json, startTestAgent, unzip, wsUrl } from "./helpers/agent.js";

let agent: StartedAgent;
let client: TestClient;

before(async () => {
  agent = await startTestAgent();
  client = await TestClient.connect(wsUrl(agent));
});
after(async () => {
  await client.close();
  await agent.close();
});

const SEED_METRICS_KEYS = [
  "cpu_per_core", "cpu_temp_c", "cpu_total", "gpus", "hostname", "mem_total", "mem_used", "networks", "swap_total", "swap_used",
];
/** Keys the original socktop client refuses to parse without. */
const LEGACY_REQUIRED_KEYS = [
  "cpu_total", "cpu_per_core", "mem_total", "mem_used", "swap_total", "swap_used", "hostname", "disks", "networks", "top_processes",
];

test('seed {"type":"metrics"}: a text frame with exactly the seed fields', async () => {
  const frame = await client.request('{"type":"metrics"}');
  assert.equal(frame.isBinary, false);
  const m = json<Record<string, unknown>>(frame);
  assert.deepEqual(Object.keys(m).sort(), SEED_METRICS_KEYS);
  assert.equal(m.hostname, hostname());
  assert.equal(typeof m.cpu_total, "number");
  assert.ok((m.cpu_total as number) >= 0 && (m.cpu_total as number) <= 100);
  assert.ok(Array.isArray(m.cpu_per_core));
  assert.equal(m.gpus, null, "no GPU on this machine: gpus is null");
  const meminfo = await readFile("/proc/meminfo", "utf8");
  assert.equal(m.mem_total, Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1]) * 1024);
  const nets = m.networks as Array<Record<string, unknown>>;
  assert.ok(nets.some((n) => n.name === "lo"));
  for (const n of nets) assert.deepEqual(Object.keys(n).sort(), ["name", "received", "transmitted"]);
});

test('seed {"type":"disks"}: a text JSON array of {name,total,available,...}', async () => {
  const frame = await client.request('{"type":"disks"}');
  assert.equal(frame.isBinary, false);
  const disks = json<Array<Record<string, unknown>>>(frame);
  assert.ok(disks.length >= 1, "the root filesystem at least");
  for (const d of disks) {
    assert.equal(typeof d.name, "string");
    assert.ok((d.total as number) > 0);
    assert.ok((d.available as number) <= (d.total as number));
    assert.equal(typeof d.is_partition, "boolean");
  }
});

test('seed {"type":"processes"}: binary protobuf, gzip when over 768 bytes', async () => {
  const frame = await client.request('{"type":"processes"}');
  assert.equal(frame.isBinary, true);
  const raw = unzip(frame);
  if (isGzip(frame.data)) assert.ok(raw.length > GZIP_THRESHOLD_BYTES);
  else assert.ok(raw.length <= GZIP_THRESHOLD_BYTES);
  const list = decodeProcessList(raw);
  assert.equal(list.process_count, list.processes.length);
  assert.ok(list.processes.some((p) => p.pid === process.pid), "this test process is listed");
  assert.ok(list.processes.length > 5);
});

test('{"type":"processes","top":N}: the N busiest of the same list, busiest first, process_count of all', async () => {
  // Pipelined: both answered from one cached scan.
  client.send('{"type":"processes"}');
  client.send('{"type":"processes","top":3}');
  const all = decodeProcessList(unzip(await client.next()));
  const frame = await client.next();
  assert.ok(frame.isBinary);
  const top = decodeProcessList(unzip(frame));
  assert.equal(top.process_count, all.processes.length);
  assert.deepEqual(top.processes, topProcesses(all.processes, 3));
  // A protocol-2 client gets the same rows as its own full list, with whatever protocol-2 fields the backend fills.
  const v2 = await TestClient.connect(wsUrl(agent, "?socktop_hello=1"));
  try {
    const hello = json<{ capabilities: string[] }>(await v2.next());
    assert.ok(hello.capabilities.includes("processes_top"));
    v2.send('{"type":"processes","id":1}');
    v2.send('{"type":"processes","top":1,"id":2}');
    const richAll = decodeProcessList(unzip(await v2.next()));
    const rich = decodeProcessList(unzip(await v2.next()));
    assert.equal(rich.processes.length, 1);
    assert.deepEqual(rich.processes, topProcesses(richAll.processes, 1));
    assert.equal(rich.process_count, richAll.processes.length);
  } finally {
    await v2.close();
  }
});

test("a processes request with a bad top is refused, the connection kept", async () => {
  const error = json<{ error: string; request: string }>(await client.request('{"type":"processes","top":0}'));
  assert.match(error.error, /"top" must be an integer/);
  assert.equal(error.request, "processes");
  assert.ok(decodeProcessList(unzip(await client.request("get_processes"))).processes.length > 5);
});

test("legacy get_metrics: every key the original client requires, gzip-binary when long", async () => {
  const frame = await client.request("get_metrics");
  const text = unzip(frame).toString("utf8");
  if (frame.isBinary) {
    assert.ok(isGzip(frame.data), "binary JSON replies are gzip");
    assert.ok(Buffer.byteLength(text) > GZIP_THRESHOLD_BYTES);
  } else {
    assert.ok(Buffer.byteLength(text) <= GZIP_THRESHOLD_BYTES);
  }
  const m = JSON.parse(text) as Record<string, unknown>;
  for (const key of LEGACY_REQUIRED_KEYS) assert.ok(key in m, `has ${key}`);
  assert.ok(Array.isArray(m.disks) && Array.isArray(m.top_processes) && Array.isArray(m.networks));
  assert.equal(typeof m.process_count, "number");
  assert.equal(m.gpus, null);
});

test("legacy get_disks and get_processes", async () => {
  const disks = json<unknown[]>(await client.request("get_disks"));
  assert.ok(Array.isArray(disks) && disks.length >= 1);
  const frame = await client.request("get_processes");
  assert.equal(frame.isBinary, true);
  const list = decodeProcessList(unzip(frame));
  assert.ok(list.processes.length > 5);
});

test("a long legacy JSON reply is sent as gzip binary", async () => {
  // Many fake interfaces make get_metrics long; the rule is the reply's length, not the request.
  const many = await startTestAgent();
  const original = many.sources.metrics.get.bind(many.sources.metrics);
  many.sources.metrics.get = async () => {
    const s = await original();
    return { ...s, networks: Array.from({ length: 40 }, (_, i) => ({ name: `veth${i}`, received: i, transmitted: i })) };
  };
  const c = await TestClient.connect(wsUrl(many));
  try {
    const frame = await c.request("get_metrics");
    assert.equal(frame.isBinary, true);
    assert.ok(isGzip(frame.data));
    assert.equal(json<{ networks: unknown[] }>(frame).networks.length, 40);
    const seed = await c.request('{"type":"metrics"}');
    assert.equal(seed.isBinary, false, "the seed dialect always answers metrics as text");
  } finally {
    await c.close();
    await many.close();
  }
});
