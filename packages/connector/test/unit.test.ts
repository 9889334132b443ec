/** The pure parts: URLs, options, reply decoding and normalisation, errors. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { encodeProcessList } from "@socktop/protocol";
import { agentErrorOf, normaliseDisks, normaliseMetrics, readFrame, shaped } from "../src/decode.js";
import { AgentError, ConnectionFailedError, ERROR_CODES, InvalidUrlError, SocktopError, isSocktopError } from "../src/errors.js";
import { DEFAULT_RECONNECT, resolveOptions } from "../src/options.js";
import { parseAgentUrl, withQueryParameter } from "../src/url.js";

const gunzip = async (bytes: Uint8Array): Promise<Uint8Array> => gunzipSync(bytes);

test("URL: schemes, token, TLS upgrade, redaction", () => {
  assert.equal(parseAgentUrl("ws://h:3000/ws", {}).href, "ws://h:3000/ws");
  assert.equal(parseAgentUrl("http://h:3000/ws", {}).href, "ws://h:3000/ws");
  assert.equal(parseAgentUrl("https://h:8443/ws", {}).href, "wss://h:8443/ws");
  assert.equal(parseAgentUrl("ws://h:8443/ws", { tlsCa: "x" }).href, "wss://h:8443/ws", "a pinned CA means TLS");
  const withToken = parseAgentUrl("ws://h:3000/ws?token=old#frag", { token: "new secret" });
  assert.equal(withToken.href, "ws://h:3000/ws?token=new%20secret", "the option overrides the URL's token; no fragment");
  // A space as %20, a plus as %2B: agents read "+" as a plus sign; other parameters are kept as written.
  assert.equal(parseAgentUrl("ws://h/ws?x=a%20b&token=old", { token: "a+b c" }).href, "ws://h/ws?x=a%20b&token=a%2Bb%20c");
  assert.equal(withToken.display, "ws://h:3000/ws?token=***");
  assert.equal(parseAgentUrl("ws://h/ws?token=abc&x=1", {}).display, "ws://h/ws?token=***&x=1");
  assert.equal(parseAgentUrl("ws://[::1]:3000/ws", {}).authority, "[::1]:3000");
  for (const bad of ["", "   ", "ws://", "ftp://h/ws", "h:3000", "ws://user:pw@h/ws"]) {
    assert.throws(() => parseAgentUrl(bad, {}), InvalidUrlError, bad);
  }
  assert.throws(() => parseAgentUrl("localhost:3000", {}), /did you mean ws:\/\/localhost:3000\/ws\?/);
});

test("URL: ?socktop_hello=1 is appended to the query as the user wrote it, and not shown", () => {
  const url = parseAgentUrl("ws://h:3000/ws?token=a%20b&x=~y", {});
  const dialled = withQueryParameter(url, "socktop_hello", "1");
  assert.equal(dialled.href, "ws://h:3000/ws?token=a%20b&x=~y&socktop_hello=1");
  assert.equal(dialled.display, url.display);
  assert.doesNotMatch(dialled.display, /socktop_hello/);
  assert.equal(withQueryParameter(parseAgentUrl("ws://h/ws", {}), "socktop_hello", "1").href, "ws://h/ws?socktop_hello=1");
  assert.equal(withQueryParameter(parseAgentUrl("ws://h/ws?", {}), "socktop_hello", "1").href, "ws://h/ws?socktop_hello=1");
  assert.equal(withQueryParameter(parseAgentUrl("ws://h/ws?socktop_hello=0", {}), "socktop_hello", "1").href, "ws://h/ws?socktop_hello=1");
});

test("options: defaults, and mistakes refused with a clear message", () => {
  const d = resolveOptions();
  assert.equal(d.requestTimeoutMs, 10_000);
  assert.equal(d.connectTimeoutMs, 10_000);
  assert.equal(d.verifyHostname, false);
  assert.equal(d.protocol, "auto");
  assert.deepEqual(d.reconnect, DEFAULT_RECONNECT);
  assert.equal(resolveOptions({ reconnect: false }).reconnect, null);
  assert.deepEqual(resolveOptions({ reconnect: { initialDelayMs: 100 } }).reconnect, { ...DEFAULT_RECONNECT, initialDelayMs: 100 });
  assert.throws(() => resolveOptions({ requestTimeoutMs: 0 }), /requestTimeoutMs must be/);
  assert.throws(() => resolveOptions({ protocol: "v3" as "auto" }), /protocol must be/);
  assert.throws(() => resolveOptions({ reconnect: { jitter: 2 } }), /jitter/);
  assert.throws(() => resolveOptions({ reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }), /maxDelayMs/);
  assert.throws(() => resolveOptions({ tlsCa: "" }), /tlsCa/);
});

test("frames: text JSON, gzip-binary JSON, bare and gzipped protobuf", async () => {
  assert.deepEqual(await readFrame('{"a":1}', "x", gunzip), { kind: "json", value: { a: 1 }, binary: false });
  assert.deepEqual(await readFrame(gzipSync('[1,2]'), "x", gunzip), { kind: "json", value: [1, 2], binary: true });
  const proto = encodeProcessList([{ pid: 1, name: "init", cpu_usage: 0, mem_bytes: 1 }]);
  assert.equal((await readFrame(proto, "x", gunzip)).kind, "protobuf");
  assert.equal((await readFrame(gzipSync(proto), "x", gunzip)).kind, "protobuf");
  await assert.rejects(readFrame("nope", "metrics", gunzip), { code: "DECODE_ERROR" });
  await assert.rejects(readFrame(new Uint8Array([0x7b, 0xff, 0xfe]), "metrics", gunzip), { code: "DECODE_ERROR" });
});

const seedBase = {
  cpu_total: 1, cpu_per_core: [1], mem_total: 2, mem_used: 1, swap_total: 0, swap_used: 0, hostname: "h", networks: [],
};

test("metrics: every GPU spelling the original client reads maps to the seed's names", async () => {
  const gpus = [
    { name: "a", usage: 1, memory_total: 2, memory_used: 3, temp_c: 4 },
    { name: "b", utilization: 1, mem_total: 2, mem_used: 3, temp: 4 },
    { name: "c", utilization_gpu_pct: 1, mem_total_bytes: 2, mem_used_bytes: 3, temperature_c: 4 },
    { name: "d", gpu_util_pct: 1, vram_total_bytes: 2, vram_used_bytes: 3, temp_c: 4 },
    { name: "e", gpu_utilization: 1, memory_total: 2, memory_used: 3, temp_c: 4 },
  ];
  const m = await normaliseMetrics({ ...seedBase, gpus });
  for (const g of m.gpus ?? []) assert.deepEqual({ ...g, name: "" }, { name: "", usage: 1, memory_total: 2, memory_used: 3, temp_c: 4 });
  assert.deepEqual((await normaliseMetrics({ ...seedBase, gpus: [{}] })).gpus, [{ name: "gpu0", usage: null, memory_total: null, memory_used: null, temp_c: null }]);
  assert.equal((await normaliseMetrics({ ...seedBase, gpus: [] })).gpus, null, "no GPU is null, however the agent says it");
  const plain = await normaliseMetrics(seedBase);
  assert.equal(plain.cpu_temp_c, null);
  assert.equal(plain.process_count, null);
  await assert.rejects(shaped("metrics", () => normaliseMetrics({ ...seedBase, hostname: 5 })), { code: "PROTOCOL_ERROR", message: /not a metrics reply: \/hostname: Expected string\.$/ });
});

test("disks: missing newer fields get defaults; wrong types are refused", async () => {
  assert.deepEqual(await normaliseDisks([{ name: "a", total: 2, available: 1 }]), [{ name: "a", total: 2, available: 1, temperature: null, is_partition: false }]);
  assert.deepEqual((await normaliseDisks([{ name: "a", total: 2, available: 1, temperature: 40, is_partition: true }]))[0]?.is_partition, true);
  await assert.rejects(shaped("disks", () => normaliseDisks({ error: "x" })), { code: "PROTOCOL_ERROR" });
});

test("agent errors: protocol 1 objects and protocol 2 frames", () => {
  const v1 = agentErrorOf({ error: "Process 9 not found", request: "get_process_metrics", pid: 9 }, "process_metrics(9)");
  assert.ok(v1 instanceof AgentError);
  assert.equal(v1.agentCode, null);
  assert.equal(v1.pid, 9);
  assert.equal(v1.message, "The agent could not answer process_metrics(9): Process 9 not found");
  const v2 = agentErrorOf({ type: "error", code: "NOT_FOUND", error: "gone", request: "process_metrics", id: 3 }, "x");
  assert.equal(v2?.agentCode, "NOT_FOUND");
  assert.equal(agentErrorOf({ type: "metrics", error: "not an error" }, "x"), null);
  assert.equal(agentErrorOf([{ error: "x" }], "x"), null);
});

test("errors: stable codes, names, causes kept, recognisable across copies", () => {
  assert.equal(ERROR_CODES.length, 12);
  const cause = new Error("ECONNREFUSED");
  const e = new ConnectionFailedError("refused", { cause });
  assert.equal(e.code, "CONNECTION_FAILED");
  assert.equal(e.name, "ConnectionFailedError");
  assert.equal(e.cause, cause);
  assert.ok(e instanceof SocktopError && e instanceof Error);
  assert.equal("cause" in new ConnectionFailedError("x"), false, "no cause property when there is none");
  const foreign = Object.assign(new Error("from another copy"), { code: "TIMEOUT" });
  assert.ok(isSocktopError(foreign, "TIMEOUT"));
  assert.ok(!isSocktopError(Object.assign(new Error("x"), { code: "ENOENT" })));
});
