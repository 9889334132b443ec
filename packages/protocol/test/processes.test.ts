import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { decodeProcessList, encodeProcessList, encodeProcessListInto, isGzip, type ProcessEntry } from "../src/index.js";
import { ProcessListSchema, ProcessSchema } from "../src/gen/processes_pb.js";

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

// The hand-written writer against @bufbuild's create() + toBinary(), the
// library the schema is generated for: the bytes must be identical.
function libraryEncoding(processes: readonly ProcessEntry[]): Uint8Array {
  const message = create(ProcessListSchema, {
    processCount: processes.length,
    processes: processes.map((p) =>
      create(ProcessSchema, { pid: p.pid, name: p.name, cpuUsage: p.cpu_usage, memBytes: BigInt(Math.trunc(p.mem_bytes)) }),
    ),
  });
  return toBinary(ProcessListSchema, message);
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
  return { pid, name, cpu_usage: cpu, mem_bytes: mem };
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
  }
});

test("encodeProcessList returns bytes of its own; encodeProcessListInto reuses its buffer", () => {
  const first = encodeProcessList([{ pid: 1, name: "one", cpu_usage: 1, mem_bytes: 4096 }]);
  const copy = [...first];
  encodeProcessList([{ pid: 2, name: "two", cpu_usage: 2, mem_bytes: 8192 }]);
  assert.deepEqual([...first], copy, "a later call leaves earlier bytes alone");
  const view = encodeProcessListInto([{ pid: 3, name: "three", cpu_usage: 0, mem_bytes: 0 }]);
  assert.deepEqual(decodeProcessList(view).processes, [{ pid: 3, name: "three", cpu_usage: 0, mem_bytes: 0 }]);
});
