/**
 * Memoised replies (src/replies.ts) are the bytes sent and nothing more: each
 * holds a block of its own, so a reply promoted to V8's old generation keeps
 * only its own length alive (not zlib's 16 KiB output chunk, nor a slab shared
 * with other small buffers), and the bytes still decode to what was encoded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { GZIP_THRESHOLD_BYTES, decodeProcessList, type ProcessEntry } from "@socktop/protocol";
import { asBytes, legacyJson, processListReply, ReplyMemo, textJson } from "../src/replies.js";

const rows = (n: number): ProcessEntry[] =>
  Array.from({ length: n }, (_, i) => ({ pid: i + 1, name: `process-${i}`, cpu_usage: (i % 7) / 3, mem_bytes: 4096 * (i + 1) }));

function assertOwnBlock(data: string | Buffer, what: string): Buffer {
  assert.ok(Buffer.isBuffer(data), `${what}: bytes`);
  assert.equal(data.byteOffset, 0, `${what}: starts its block`);
  assert.equal(data.buffer.byteLength, data.length, `${what}: a block of ${data.buffer.byteLength} bytes for ${data.length}`);
  return data;
}

test("a gzipped process list holds a block of its own length and decodes to the list", () => {
  const list = rows(70);
  const reply = processListReply(list);
  assert.equal(reply.binary, true);
  const data = assertOwnBlock(reply.data, "gzip reply");
  const decoded = decodeProcessList(new Uint8Array(gunzipSync(data)));
  assert.deepEqual(
    decoded.processes.map((p) => [p.pid, p.name]),
    list.map((p) => [p.pid, p.name]),
  );
});

test("a process list under the gzip threshold is its own block too, not a view into the encoder's buffer", () => {
  const reply = processListReply(rows(2));
  const data = assertOwnBlock(reply.data, "small reply");
  assert.ok(data.length <= GZIP_THRESHOLD_BYTES);
  // The encoder reuses its buffer: the next encoding must not change this reply.
  const before = Buffer.from(data);
  processListReply(rows(3));
  assert.deepEqual(data, before);
  assert.equal(decodeProcessList(new Uint8Array(data)).processes.length, 2);
});

test("text replies encoded once for many clients, and gzipped legacy JSON, hold their own blocks", () => {
  const text = asBytes(textJson({ hostname: "h", cpu_total: 1.5 }));
  assert.equal(text.binary, false);
  assert.equal(assertOwnBlock(text.data, "text reply").toString(), '{"hostname":"h","cpu_total":1.5}');
  const long = legacyJson(rows(40));
  assert.equal(long.binary, true);
  assert.deepEqual(JSON.parse(gunzipSync(assertOwnBlock(long.data, "legacy gzip reply")).toString()), rows(40));
});

test("a shared reply goes out as text to its first client and as bytes of its own from the second on", () => {
  const memo = new ReplyMemo<object>();
  const snapshot = { hostname: "h" };
  let encodings = 0;
  const encode = (value: object) => {
    encodings++;
    return textJson(value);
  };
  const first = memo.shared(snapshot, "seed", encode);
  assert.equal(first.data, '{"hostname":"h"}');
  const second = memo.shared(snapshot, "seed", encode);
  assert.equal(second.binary, false, "still a text frame");
  assert.equal(assertOwnBlock(second.data, "shared reply").toString(), '{"hostname":"h"}');
  assert.equal(memo.shared(snapshot, "seed", encode), second, "the same bytes for every later client");
  assert.equal(encodings, 1);
  // A new snapshot is encoded afresh; binary replies are shared as they are.
  const next = { hostname: "i" };
  assert.equal(memo.shared(next, "seed", encode).data, '{"hostname":"i"}');
  const gz = memo.shared(next, "legacy", () => legacyJson(rows(40)));
  assert.equal(memo.shared(next, "legacy", () => legacyJson(rows(1))), gz);
  assert.equal(encodings, 2);
});
