import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { parseMeminfo, readMemorySync } from "../../src/collectors/memory.js";

const fixture = new URL("../fixtures/proc-basic/", import.meta.url).pathname;

test("parseMeminfo converts kB to bytes and uses MemAvailable", async () => {
  const info = parseMeminfo(await readFile(`${fixture}meminfo`, "utf8"));
  assert.equal(info.memTotal, 16318480 * 1024);
  assert.equal(info.memUsed, (16318480 - 9204740) * 1024);
  assert.equal(info.swapTotal, 2097148 * 1024);
  assert.equal(info.swapUsed, (2097148 - 1048574) * 1024);
});

test("parseMeminfo estimates MemAvailable on kernels without it", () => {
  const info = parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 300 kB\nSReclaimable: 50 kB\nShmem: 20 kB\n");
  assert.equal(info.memUsed, (1000 - (100 + 50 + 300 + 50 - 20)) * 1024);
  assert.equal(info.swapTotal, 0);
  assert.equal(info.swapUsed, 0);
});

test("parseMeminfo tolerates garbage and empty input", () => {
  assert.deepEqual(parseMeminfo(""), { memTotal: 0, memUsed: 0, swapTotal: 0, swapUsed: 0 });
  const info = parseMeminfo("MemTotal: lots kB\nnonsense\n:\nSwapTotal: 10 kB\nSwapFree: 20 kB\n");
  assert.equal(info.memTotal, 0);
  assert.equal(info.swapUsed, 0, "never negative");
});

test("readMemorySync fails clearly when meminfo is missing", async () => {
  assert.throws(() => readMemorySync("/nonexistent-proc"), /cannot read \/nonexistent-proc\/meminfo/);
});

test("live: matches /proc/meminfo totals", async () => {
  const info = readMemorySync();
  const text = await readFile("/proc/meminfo", "utf8");
  const total = Number(/MemTotal:\s+(\d+)/.exec(text)?.[1]) * 1024;
  assert.equal(info.memTotal, total);
  assert.ok(info.memUsed > 0 && info.memUsed < info.memTotal);
  assert.ok(info.swapUsed <= info.swapTotal);
});
