/**
 * The bad-input battery (docs/security.md): every malformed input gets a JSON
 * error reply or its documented close code; the connection keeps working where
 * the protocol allows; other connections never notice.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { StartedAgent } from "../src/agent.js";
import { TestClient, json, startTestAgent, wsUrl } from "./helpers/agent.js";

let agent: StartedAgent;
let bystander: TestClient;

before(async () => {
  agent = await startTestAgent();
  bystander = await TestClient.connect(wsUrl(agent));
});
after(async () => {
  // The bystander was connected through every case below and is still served.
  const m = json<{ hostname: string }>(await bystander.request('{"type":"metrics"}'));
  assert.equal(typeof m.hostname, "string");
  await bystander.close();
  await agent.close();
});

interface Case {
  name: string;
  frame: string | Buffer;
  binary?: boolean;
  /** Expected `request` field, or undefined to skip that check. */
  request?: string | null;
  error: RegExp;
  pid?: number | null;
}

const cases: Case[] = [
  { name: "invalid JSON", frame: "{", request: "{", error: /Malformed JSON/ },
  { name: "JSON with a syntax error inside", frame: '{"type":}', error: /Malformed JSON/ },
  { name: "a JSON array", frame: "[]", error: /not an array/ },
  { name: "JSON null", frame: "null", request: "null", error: /Unknown request 'null'|not null/ },
  { name: "a JSON number", frame: "42", error: /Unknown request '42'/ },
  { name: "a JSON string", frame: '"metrics"', error: /not a string/ },
  { name: "type null", frame: '{"type":null}', request: null, error: /string "type"/ },
  { name: "type an array", frame: '{"type":["metrics"]}', request: null, error: /string "type"/ },
  { name: "type in the wrong case", frame: '{"type":"METRICS"}', request: "METRICS", error: /Unknown request type/ },
  { name: "unknown type", frame: '{"type":"shutdown"}', request: "shutdown", error: /Unknown request type 'shutdown'/ },
  { name: "an object id", frame: '{"type":"metrics","id":{}}', error: /"id" must be/ },
  { name: "empty frame", frame: "", request: null, error: /Empty request/ },
  { name: "binary frame of random bytes", frame: Buffer.from([0x00, 0xff, 0x13, 0x37, 0x8b, 0x1f]), binary: true, request: null, error: /Binary frames/ },
  { name: "gzip magic in a binary frame", frame: Buffer.from([0x1f, 0x8b, 0x08, 0x00]), binary: true, request: null, error: /Binary frames/ },
  { name: "non-numeric pid", frame: "get_process_metrics:abc", request: "get_process_metrics", error: /Invalid pid 'abc'/, pid: null },
  { name: "negative pid", frame: "get_process_metrics:-1", request: "get_process_metrics", error: /Invalid pid '-1'/, pid: null },
  { name: "pid beyond u32", frame: "get_process_metrics:99999999999", request: "get_process_metrics", error: /Invalid pid/, pid: null },
  { name: "empty pid", frame: "get_journal_entries:", request: "get_journal_entries", error: /Invalid pid ''/, pid: null },
  { name: "pid with shell metacharacters", frame: '{"type":"journal_entries","pid":"1; rm -rf /"}', request: "journal_entries", error: /^Invalid pid "1; rm -rf \/": "pid" must be an integer from 1 to 4294967295$/, pid: null },
  { name: "pid missing", frame: '{"type":"process_metrics"}', request: "process_metrics", error: /^"process_metrics" needs a "pid" field/, pid: null },
  { name: "pid a float", frame: '{"type":"process_metrics","pid":1.5}', request: "process_metrics", error: /^Invalid pid 1\.5: /, pid: null },
  { name: "pid an object", frame: '{"type":"process_metrics","pid":{"a":1}}', request: "process_metrics", error: /^Invalid pid \{"a":1\}: /, pid: null },
  { name: "control characters", frame: "\u0000\u0001get_metrics\u001b[2J", error: /Unknown request/ },
  { name: "deeply nested JSON", frame: "[".repeat(1500) + "]".repeat(1500), error: /not an array/ },
  { name: "__proto__ smuggling", frame: '{"__proto__":{"type":"metrics"}}', request: null, error: /string "type"/ },
  { name: "a long unknown command", frame: "x".repeat(4000), error: /Unknown request 'x{64}…'/ },
  { name: "SQL-ish text", frame: "get_metrics' OR 1=1 --", error: /Unknown request/ },
];

for (const c of cases) {
  test(`bad input: ${c.name} → error reply, connection still usable`, async () => {
    const client = await TestClient.connect(wsUrl(agent));
    try {
      client.send(c.frame, c.binary ?? false);
      const reply = await client.next();
      assert.equal(reply.isBinary, false, "errors are text frames");
      const body = json<{ error: string; request: string | null; pid?: number | null }>(reply);
      assert.match(body.error, c.error);
      if (c.request !== undefined) assert.equal(body.request, c.request);
      if (c.pid !== undefined) assert.equal(body.pid, c.pid);
      assert.ok(!/\n\s+at /.test(body.error), "no stack trace");
      const m = json<{ cpu_total: number }>(await client.request('{"type":"metrics"}'));
      assert.equal(typeof m.cpu_total, "number");
    } finally {
      await client.close();
    }
  });
}

test("bad input: a frame over 4096 bytes closes with 1009", async () => {
  const client = await TestClient.connect(wsUrl(agent));
  client.send(`{"type":"metrics","pad":"${"x".repeat(5000)}"}`);
  const { code } = await client.closed;
  assert.equal(code, 1009);
});

test("bad input: invalid UTF-8 in a text frame closes with 1007", async () => {
  const client = await TestClient.connect(wsUrl(agent));
  client.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), false);
  const { code } = await client.closed;
  assert.equal(code, 1007);
});

test("bad input: a legacy trailing newline is tolerated", async () => {
  const client = await TestClient.connect(wsUrl(agent));
  try {
    const m = json<{ top_processes: unknown[] }>(await client.request("get_metrics\n"));
    assert.ok(Array.isArray(m.top_processes));
  } finally {
    await client.close();
  }
});

test("a request flood is answered from the cache without extra collection", async () => {
  const client = await TestClient.connect(wsUrl(agent));
  try {
    await client.request('{"type":"metrics"}');
    const before = agent.sources.counts.metrics;
    for (let i = 0; i < 200; i++) client.send('{"type":"metrics"}');
    for (let i = 0; i < 200; i++) await client.next();
    // 200 replies within a few TTL windows at most, not 200 collections
    assert.ok(agent.sources.counts.metrics - before <= 3, `${agent.sources.counts.metrics - before} collections`);
  } finally {
    await client.close();
  }
});
