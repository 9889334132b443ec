import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeProcessList, encodeProcessList, isGzip } from "../src/index.js";

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
