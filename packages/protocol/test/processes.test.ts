import { test } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { compareBusiest, decodeProcessList, encodeProcessList, encodeProcessListInto, isGzip, topProcesses, type ProcessEntry } from "../src/index.js";
import { ProcessListSchema, ProcessSchema } from "./gen/processes_pb.js";

test("process list round-trips through protobuf", () => {
  const processes = [
    { pid: 1, name: "systemd", cpu_usage: 0.5, mem_bytes: 12 * 1024 * 1024 },
    { pid: 4242, name: "naïve name (with) spaces", cpu_usage: 99.75, mem_bytes: 2 ** 40 },
    { pid: 4294967295, name: "", cpu_usage: 0, mem_bytes: 0 },
  ];
  const decoded = decodeProcessList(encodeProcessList(processes));
  assert.equal(decoded.process_count, 3);
  assert.deepEqual(decoded.processes, processes);
});

test("wire bytes match the seed schema field numbers", () => {
  // ProcessList{process_count=1, processes=[Process{pid=5,name="a",cpu_usage=0,mem_bytes=300}]}
  const bytes = encodeProcessList([{ pid: 5, name: "a", cpu_usage: 0, mem_bytes: 300 }]);
  assert.deepEqual(
    [...bytes],
    [0x08, 0x01, 0x12, 0x08, 0x08, 0x05, 0x12, 0x01, 0x61, 0x20, 0xac, 0x02],
  );
});

test("a uint64 process_count from the original agent decodes", () => {
  // field 1 varint 2, then two empty Process messages
  const decoded = decodeProcessList(new Uint8Array([0x08, 0x02, 0x12, 0x00, 0x12, 0x00]));
  assert.equal(decoded.process_count, 2);
  assert.equal(decoded.processes.length, 2);
});

test("garbage bytes throw rather than decode silently", () => {
  assert.throws(() => decodeProcessList(new Uint8Array([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f])));
});

test("isGzip recognises the gzip magic", () => {
  assert.equal(isGzip(new Uint8Array([0x1f, 0x8b, 8])), true);
  assert.equal(isGzip(new Uint8Array([0x1f])), false);
  assert.equal(isGzip(new Uint8Array([0x08, 0x8b])), false);
});

// The hand-written writer and reader against @bufbuild's create() + toBinary()
// and fromBinary(), the library the schema is generated for (a dev dependency
// kept for this proof): identical bytes, equal rows.
function libraryEncoding(processes: readonly ProcessEntry[], rich = false): Uint8Array {
  const message = create(ProcessListSchema, {
    processCount: processes.length,
    processes: processes.map((p) =>
      create(ProcessSchema, {
        pid: p.pid,
        name: p.name,
        cpuUsage: p.cpu_usage,
        memBytes: BigInt(Math.max(0, Math.trunc(p.mem_bytes))),
        ...(rich && p.ppid !== undefined ? { ppid: p.ppid } : {}),
        ...(rich && p.uid !== undefined ? { uid: p.uid } : {}),
        ...(rich && p.user !== undefined ? { user: p.user } : {}),
        ...(rich && p.state !== undefined ? { state: p.state } : {}),
        ...(rich && p.threads !== undefined ? { threads: p.threads } : {}),
        ...(rich && p.start_time !== undefined ? { startTime: BigInt(Math.max(0, Math.trunc(p.start_time))) } : {}),
        ...(rich && p.command !== undefined ? { command: p.command } : {}),
      }),
    ),
  });
  return toBinary(ProcessListSchema, message);
}

/** The library's decoding in this package's row shape (absent optional fields left out). */
function libraryDecoding(bytes: Uint8Array): unknown {
  const m = fromBinary(ProcessListSchema, bytes);
  return {
    process_count: m.processCount,
    processes: m.processes.map((p) => ({
      pid: p.pid,
      name: p.name,
      cpu_usage: p.cpuUsage,
      mem_bytes: Number(p.memBytes),
      ...(p.ppid !== undefined ? { ppid: p.ppid } : {}),
      ...(p.uid !== undefined ? { uid: p.uid } : {}),
      ...(p.user !== undefined ? { user: p.user } : {}),
      ...(p.state !== undefined ? { state: p.state } : {}),
      ...(p.threads !== undefined ? { threads: p.threads } : {}),
      ...(p.startTime !== undefined ? { start_time: Number(p.startTime) } : {}),
      ...(p.command !== undefined ? { command: p.command } : {}),
    })),
  };
}

/** Deterministic pseudo-random numbers (xorshift32), so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const NAMES = ["", "a", "systemd", "kworker/u4:2-events_unbound", "naïve", "名前", "emoji 🚀", "lone \ud800 surrogate", "x".repeat(127), "y".repeat(128), "é".repeat(100), "z".repeat(3000)];

function randomEntry(next: () => number): ProcessEntry {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const pid = pick([0, 1, 127, 128, 16383, 16384, 4194304, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, Math.floor(next() * 2 ** 32)]);
  const cpu = pick([0, -0, 0.001, 0.1, 1 / 3, 12.5, 99.99, 100, 1e-40, 3.4e38, Number.NaN, next() * 100]);
  const mem = pick([0, 1, 127, 128, 4096, 2 ** 31, 2 ** 32, 2 ** 35 + 4096, 2 ** 53 - 1, Math.floor(next() * 2 ** 40) * 4096]);
  const name = next() < 0.8 ? pick(NAMES) : String.fromCharCode(...Array.from({ length: Math.floor(next() * 20) }, () => Math.floor(next() * 0x10000)));
  const entry: ProcessEntry = { pid, name, cpu_usage: cpu, mem_bytes: mem };
  // Protocol-2 fields, each present or not (0 and "" are values, not absence).
  if (next() < 0.7) entry.ppid = pick([0, 1, 2, 300, 2 ** 31, 2 ** 32 - 1]);
  if (next() < 0.7) entry.uid = pick([0, 33, 1000, 65534, 2 ** 32 - 2]);
  if (next() < 0.7) entry.user = pick(["", "root", "www-data", "jürgen", "x".repeat(200)]);
  if (next() < 0.7) entry.state = pick(["R", "S", "D", "Z", ""]);
  if (next() < 0.7) entry.threads = pick([0, 1, 4, 300, 70000]);
  if (next() < 0.7) entry.start_time = pick([0, 1764000000, 2 ** 40, 2 ** 53 - 1]);
  if (next() < 0.7) entry.command = pick(["", "/sbin/init splash", "z".repeat(256), "名前 ".repeat(60)]);
  return entry;
}


test("the hand-written writer is byte-identical to @bufbuild's encoding", () => {
  assert.deepEqual([...encodeProcessList([])], [...libraryEncoding([])]);
  const next = rng(13);
  for (let round = 0; round < 300; round++) {
    const size = round < 200 ? Math.floor(next() * 8) : Math.floor(next() * 3000);
    const list = Array.from({ length: size }, () => randomEntry(next));
    const ours = encodeProcessList(list);
    const theirs = libraryEncoding(list);
    assert.equal(Buffer.from(ours).toString("hex"), Buffer.from(theirs).toString("hex"), `round ${round}: ${JSON.stringify(list).slice(0, 300)}`);
    // The rich form and the reader on the short lists only (the library's rich encoding and deep comparison are slow;
    // rows of a rich list pass 127 bytes, so the longer length prefixes are covered there too).
    if (round >= 200) continue;
    const oursRich = encodeProcessList(list, "rich");
    const theirsRich = libraryEncoding(list, true);
    assert.equal(Buffer.from(oursRich).toString("hex"), Buffer.from(theirsRich).toString("hex"), `rich, round ${round}: ${JSON.stringify(list).slice(0, 300)}`);
    assert.deepEqual(decodeProcessList(oursRich), libraryDecoding(theirsRich), `decoding rich, round ${round}`);
    assert.deepEqual(decodeProcessList(ours), libraryDecoding(theirs), `decoding basic, round ${round}`);
    assert.equal(decodeProcessList(ours).processes.length, list.length);
  }
});

test("on damaged bytes the reader never accepts what the library refuses, and agrees when both accept", () => {
  const next = rng(14);
  let refused = 0;
  for (let round = 0; round < 2000; round++) {
    const list = Array.from({ length: 1 + Math.floor(next() * 4) }, () => randomEntry(next));
    const bytes = encodeProcessList(list, next() < 0.5 ? "rich" : "basic");
    // Flip, drop or insert a few bytes.
    const damaged = [...bytes];
    for (let k = 0, n = 1 + Math.floor(next() * 3); k < n; k++) {
      const at = Math.floor(next() * damaged.length);
      const what = next();
      if (what < 0.4) damaged[at] = Math.floor(next() * 256);
      else if (what < 0.7) damaged.splice(at, 1);
      else damaged.splice(at, 0, Math.floor(next() * 256));
    }
    const input = new Uint8Array(damaged);
    let ours: unknown;
    try {
      ours = decodeProcessList(input);
    } catch (error) {
      assert.ok(error instanceof Error && error.message.length > 0, "a precise message");
      refused++;
      continue;
    }
    let theirs: unknown;
    assert.doesNotThrow(() => (theirs = libraryDecoding(input)), `round ${round}: accepted what the library refuses: ${Buffer.from(input).toString("hex")}`);
    assert.deepEqual(ours, theirs, `round ${round}: ${Buffer.from(input).toString("hex")}`);
  }
  assert.ok(refused > 100, `damage was detected (${refused} refused)`);
});

test("unknown fields (a newer agent's) are skipped by wire type, groups included", () => {
  // Row: pid 7, unknown field 12 varint, unknown 13 fixed64, unknown 14 bytes, unknown 15 fixed32, group 16 { field 1 varint }, name "a".
  const row = [0x08, 0x07, 0x60, 0x96, 0x01, 0x69, 1, 2, 3, 4, 5, 6, 7, 8, 0x72, 0x02, 0xaa, 0xbb, 0x7d, 1, 2, 3, 4, 0x83, 0x01, 0x08, 0x01, 0x84, 0x01, 0x12, 0x01, 0x61];
  const bytes = new Uint8Array([0x08, 0x01, 0x18, 0x05, 0x12, row.length, ...row]);
  assert.deepEqual(decodeProcessList(bytes), { process_count: 1, processes: [{ pid: 7, name: "a", cpu_usage: 0, mem_bytes: 0 }] });
  assert.deepEqual(decodeProcessList(bytes), libraryDecoding(bytes));
});

test("malformed input is refused with a precise message", () => {
  assert.throws(() => decodeProcessList(new Uint8Array([0x12, 0x05, 0x08])), /premature end/);
  assert.throws(() => decodeProcessList(new Uint8Array([0x0e])), /illegal tag/);
  assert.throws(() => decodeProcessList(new Uint8Array([0x12, 0x02, 0x12, 0x01, 0xff].slice(0, 5))), /premature end/);
  assert.throws(() => decodeProcessList(new Uint8Array([0x12, 0x03, 0x12, 0x01, 0xff])), TypeError, "invalid UTF-8 in a name");
  assert.throws(() => decodeProcessList(new Uint8Array([0x12, 0x02, 0x15, 0x00])), /field 2 has wire type 5/);
  assert.throws(() => decodeProcessList(new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), /varint/);
});

test("encodeProcessList returns bytes of its own; encodeProcessListInto reuses its buffer", () => {
  const first = encodeProcessList([{ pid: 1, name: "one", cpu_usage: 1, mem_bytes: 4096 }]);
  const copy = [...first];
  encodeProcessList([{ pid: 2, name: "two", cpu_usage: 2, mem_bytes: 8192 }]);
  assert.deepEqual([...first], copy, "a later call leaves earlier bytes alone");
  const view = encodeProcessListInto([{ pid: 3, name: "three", cpu_usage: 0, mem_bytes: 0 }]);
  assert.deepEqual(decodeProcessList(view).processes, [{ pid: 3, name: "three", cpu_usage: 0, mem_bytes: 0 }]);
});

test("topProcesses picks the busiest (CPU, then memory, then the lower pid), busiest first, whatever n", () => {
  const list: ProcessEntry[] = [];
  // Ties on CPU and on memory, in an order that is not the answer.
  for (let pid = 1; pid <= 200; pid++) list.push({ pid: (pid * 37) % 211, name: `p${pid}`, cpu_usage: pid % 7, mem_bytes: (pid % 5) * 1000 });
  const sorted = [...list].sort(compareBusiest);
  assert.ok(sorted[0]!.cpu_usage === 6 && sorted[0]!.mem_bytes >= sorted[1]!.mem_bytes);
  for (const n of [1, 2, 3, 10, 24, 25, 26, 199, 200, 500]) {
    assert.deepEqual(topProcesses(list, n), sorted.slice(0, n), `top ${n}`);
  }
  assert.deepEqual(topProcesses([], 3), []);
});

test("a top-N list keeps process_count: the number of all processes", () => {
  const rows = [{ pid: 7, name: "busy", cpu_usage: 50, mem_bytes: 1 }];
  assert.deepEqual(decodeProcessList(encodeProcessList(rows, "basic", 312)), { process_count: 312, processes: rows });
  assert.deepEqual(decodeProcessList(encodeProcessList([], "rich", 0)), { process_count: 0, processes: [] });
});
