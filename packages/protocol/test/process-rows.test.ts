/**
 * Protocol-2 process rows: the extra fields travel only in the "rich" form,
 * and the "basic" form a protocol-1 client gets is byte-for-byte what this
 * agent sent before the fields existed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { ALLOWED_SIGNALS, cgroupSubtree, decodeProcessList, encodeProcessList, encodeRequest, parseRequest, type CgroupInfo, type ProcessEntry } from "../src/index.js";

const SNAPSHOT: ProcessEntry[] = [
  { pid: 1, name: "systemd", cpu_usage: 0.25, mem_bytes: 12582912, ppid: 0, uid: 0, user: "root", state: "S", threads: 1, start_time: 1764000000, command: "/sbin/init splash" },
  { pid: 4242, name: "nginx: wörker", cpu_usage: 12.5, mem_bytes: 0, ppid: 1, uid: 33, user: "www-data", state: "R", threads: 4, start_time: 1764000100, command: "nginx: worker process" },
  // A row whose uid and command could not be read: those fields are simply absent.
  { pid: 70000, name: "", cpu_usage: 0, mem_bytes: 8589934592, ppid: 2, state: "I", threads: 1, start_time: 1764000000 },
];
const BASIC = SNAPSHOT.map(({ pid, name, cpu_usage, mem_bytes }) => ({ pid, name, cpu_usage, mem_bytes }));
/** encodeProcessList(BASIC) as the encoder produced it before protocol-2 rows existed (commit ea8cc51). */
const BEFORE_HEX =
  "080312150801120773797374656d641d0000803e20808080061218089221120e6e67696e783a2077c3b6726b65721d00004841120a08f0a204208080808020";

test("the basic form of a rich snapshot is byte-identical to the old encoding of the same data", () => {
  assert.equal(Buffer.from(encodeProcessList(SNAPSHOT, "basic")).toString("hex"), BEFORE_HEX);
  assert.equal(Buffer.from(encodeProcessList(BASIC)).toString("hex"), BEFORE_HEX, "basic is the default");
  assert.deepEqual(decodeProcessList(encodeProcessList(SNAPSHOT, "basic")).processes, BASIC);
});

test("the rich form carries every field, absent ones stay absent, and zero is not absent", () => {
  const rich = encodeProcessList(SNAPSHOT, "rich");
  assert.ok(rich.length > BEFORE_HEX.length / 2);
  const decoded = decodeProcessList(rich);
  assert.deepEqual(decoded.processes, SNAPSHOT);
  assert.equal(decoded.processes[0]?.ppid, 0, "ppid 0 of pid 1 survives (explicit presence)");
  assert.equal("uid" in (decoded.processes[2] as object), false);
});

/**
 * A decoder that knows only the original four-field schema, as the released
 * clients' prost code does: unknown fields are skipped by wire type.
 */
function decodeLikeProtocol1(bytes: Uint8Array): Array<{ pid: number; name: string; cpu_usage: number; mem_bytes: number }> {
  const rows: Array<{ pid: number; name: string; cpu_usage: number; mem_bytes: number }> = [];
  const list = new BinaryReader(bytes);
  while (list.pos < list.len) {
    const [field, wire] = list.tag();
    if (field !== 2) {
      list.skip(wire);
      continue;
    }
    const row = new BinaryReader(list.bytes());
    const p = { pid: 0, name: "", cpu_usage: 0, mem_bytes: 0 };
    while (row.pos < row.len) {
      const [f, w] = row.tag();
      if (f === 1) p.pid = row.uint32();
      else if (f === 2) p.name = row.string();
      else if (f === 3) p.cpu_usage = row.float();
      else if (f === 4) p.mem_bytes = Number(row.uint64());
      else row.skip(w);
    }
    rows.push(p);
  }
  return rows;
}

test("a protocol-1 decoder (the four-field schema) reads the rich form, skipping the unknown fields", () => {
  assert.deepEqual(decodeLikeProtocol1(encodeProcessList(SNAPSHOT, "rich")), BASIC);
  assert.deepEqual(decodeLikeProtocol1(encodeProcessList(SNAPSHOT, "basic")), BASIC);
});

test("new requests parse in both dialects and encode back", () => {
  for (const [text, kind] of [
    ['{"type":"load"}', "load"],
    ["get_load", "load"],
    ['{"type":"disk_io","id":3}', "disk_io"],
    ["get_disk_io", "disk_io"],
    ['{"type":"cgroups"}', "cgroups"],
    ["get_cgroups", "cgroups"],
  ] as const) {
    const parsed = parseRequest(text);
    assert.equal(parsed.kind, kind, text);
    assert.equal(encodeRequest(parsed), text);
  }
  const signal = parseRequest('{"type":"signal","pid":42,"signal":"sigterm","id":"x"}');
  assert.deepEqual(signal, { kind: "signal", dialect: "json", pid: 42, signal: "TERM", id: "x" });
  if (signal.kind === "signal") assert.equal(encodeRequest(signal), '{"type":"signal","pid":42,"signal":"TERM","id":"x"}');
  assert.throws(() => encodeRequest({ kind: "signal", dialect: "legacy", pid: 42, signal: "TERM" }), /no legacy command/);
  assert.equal((parseRequest("get_signal:42") as { code: string }).code, "UNKNOWN_REQUEST", "signals have no plain-text form");
  const bad = parseRequest('{"type":"signal","pid":42,"signal":"SEGV"}');
  assert.equal(bad.kind === "invalid" ? bad.code : "", "MALFORMED_REQUEST");
  assert.equal(bad.kind === "invalid" ? bad.pid : undefined, 42);
  assert.equal((parseRequest('{"type":"signal","signal":"TERM"}') as { code: string }).code, "INVALID_PID");
  assert.deepEqual([...ALLOWED_SIGNALS], ["TERM", "INT", "HUP", "KILL", "STOP", "CONT"]);
});

test("cgroupSubtree: a group's own pids and those of every group under it, and nothing of its siblings", () => {
  const g = (path: string, pids: number[]): CgroupInfo => ({
    path,
    name: path.slice(path.lastIndexOf("/") + 1),
    kind: "group",
    runtime: null,
    container_id: null,
    cpu_usage: 0,
    cpu_usec: 0,
    mem_bytes: null,
    mem_limit_bytes: null,
    pids,
  });
  const groups = [g("/a", [1]), g("/a/b", [2, 3]), g("/ab", [4]), g("/a/b/c", [5])];
  assert.deepEqual(cgroupSubtree(groups, "/a").pids, [1, 2, 3, 5]);
  assert.deepEqual(cgroupSubtree(groups, "/a/b").groups.map((x) => x.path), ["/a/b", "/a/b/c"]);
  assert.deepEqual(cgroupSubtree(groups, "/nope").pids, []);
});
