import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, rename } from "node:fs/promises";
import { readdirSync, readlinkSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeptProcFile } from "../../src/collectors/kept-proc-file.js";
import { CpuCollector } from "../../src/collectors/cpu.js";
import { MemoryCollector } from "../../src/collectors/memory.js";
import { NetworkCollector } from "../../src/collectors/network.js";

/** How many of this process's descriptors point at `path`. */
function openCount(path: string): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // The descriptor readdir itself used is gone by now.
    }
  }
  return n;
}

test("live /proc: one descriptor is kept and re-read from offset 0; every read is the whole, current file", () => {
  const file = new KeptProcFile("/proc/stat", "/proc");
  const before = openCount("/proc/stat");
  const first = file.read();
  assert.ok(first !== null && first.startsWith("cpu "), "the whole file from its start");
  assert.equal(openCount("/proc/stat"), before + 1, "one descriptor kept after the first read");
  let last = first;
  for (let i = 0; i < 50; i++) last = file.read() ?? "";
  assert.equal(openCount("/proc/stat"), before + 1, "still one after 50 reads");
  // Whole: ends where the file does (its last line), and as long as a fresh read of the path.
  assert.ok(last.endsWith("\n"), "ends with its last line");
  const fresh = readFileSync("/proc/stat", "latin1");
  assert.equal(last.split("\n").length, fresh.split("\n").length, "as many lines as a fresh read");
  // Current: /proc/uptime moves on every read (1/100 s), a kept descriptor must see it move.
  const uptime = new KeptProcFile("/proc/uptime", "/proc");
  const a = Number.parseFloat(uptime.read() ?? "");
  const until = Date.now() + 50;
  while (Date.now() < until) {
    // Let at least one clock tick pass.
  }
  const b = Number.parseFloat(uptime.read() ?? "");
  assert.ok(b > a, `uptime advanced through the kept descriptor (${a} -> ${b})`);
  file.close();
  uptime.close();
  assert.equal(openCount("/proc/stat"), before, "close() releases it");
  assert.ok(file.read()?.startsWith("cpu "), "a read after close opens it again");
  file.close();
});

test("live /proc: a file longer than the first buffer (several seq_file pages) is read whole", () => {
  // /proc/self/maps of a Node process is tens of KiB: more than the 64-byte start and more than one read.
  const file = new KeptProcFile("/proc/self/maps", "/proc", 64);
  const text = file.read() ?? "";
  file.close();
  const fresh = readFileSync("/proc/self/maps", "latin1");
  assert.ok(text.length > 4096, String(text.length));
  // Mappings may change between the two reads; the line count barely does.
  assert.ok(Math.abs(text.split("\n").length - fresh.split("\n").length) < 20);
  assert.ok(text.endsWith("\n"));
});

test("a fixture tree (not procfs) is read by path each time: a replaced file is seen, nothing is kept", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "socktop-kept-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, "meminfo"), "MemTotal: 1000 kB\nMemAvailable: 400 kB\n");
  const memory = new MemoryCollector(root);
  assert.equal((await memory.collect()).memUsed, 600 * 1024);
  assert.equal(openCount(join(root, "meminfo")), 0, "no descriptor kept on a plain file system");
  // Replaced the way tools write files (a new inode renamed over the old one).
  await writeFile(join(root, "meminfo.new"), "MemTotal: 1000 kB\nMemAvailable: 100 kB\n");
  await rename(join(root, "meminfo.new"), join(root, "meminfo"));
  assert.equal((await memory.collect()).memUsed, 900 * 1024, "the new file's values");
  const missing = new KeptProcFile(join(root, "absent"), root);
  assert.equal(missing.read(), null, "absent: null");
});

test("the collectors on the live machine: kept descriptors, plausible values, released by close()", async () => {
  const cpu = new CpuCollector();
  const memory = new MemoryCollector();
  const network = new NetworkCollector();
  for (let i = 0; i < 3; i++) {
    const usage = await cpu.collect();
    assert.ok(usage.total >= 0 && usage.total <= 100);
    assert.ok(usage.perCore.length >= 1);
    const mem = await memory.collect();
    assert.ok(mem.memTotal > 0 && mem.memUsed <= mem.memTotal);
    const nets = await network.collect();
    assert.ok(nets.some((n) => n.name === "lo"), "the loopback interface");
  }
  assert.equal(openCount("/proc/meminfo"), 1);
  cpu.close();
  memory.close();
  network.close();
  assert.equal(openCount("/proc/meminfo"), 0);
});
