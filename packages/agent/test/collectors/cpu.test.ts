import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile, cp, rm } from "node:fs/promises";
import { tmpdir, availableParallelism } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { CpuCollector, cpuUsageBetween, MAX_CPUS, parseProcStat, usagePercent } from "../../src/collectors/cpu.js";

const fixture = new URL("../fixtures/proc-basic/", import.meta.url).pathname;

test("parseProcStat reads the aggregate line and each core", async () => {
  const stat = parseProcStat(await readFile(join(fixture, "stat"), "utf8"));
  assert.equal(stat.cores.length, 4);
  // user+nice+system+idle+iowait+irq+softirq+steal; guest is inside user already
  assert.equal(stat.total.total, 10132153 + 290696 + 3084719 + 46828483 + 16683 + 0 + 25195 + 0);
  assert.equal(stat.total.idle, 46828483 + 16683);
  assert.equal(stat.cores[2]?.idle, 10098560 + 3567);
});

test("parseProcStat copes with old kernels (4 fields) and offline cores", () => {
  const stat = parseProcStat("cpu 10 0 10 80\ncpu0 5 0 5 40\ncpu2 5 0 5 40\n");
  assert.equal(stat.total.total, 100);
  assert.equal(stat.total.idle, 80);
  assert.equal(stat.cores.length, 3);
  assert.deepEqual(stat.cores[1], { total: 0, idle: 0 });
});

test("parseProcStat reads fields in place as Number would: a malformed field counts as 0, cores may come out of order", () => {
  // "1e3" and "-5" are not plain digits: read by Number (1000 and -5); "x7" is no number (0).
  const stat = parseProcStat("cpu 1e3 -5 x7 80\ncpu1 5 0 5 40\ncpu0\t7  0 3 90 \n");
  assert.equal(stat.total.total, 1000 - 5 + 0 + 80);
  assert.equal(stat.total.idle, 80);
  assert.deepEqual(stat.cores, [
    { total: 100, idle: 90 },
    { total: 50, idle: 40 },
  ]);
  assert.equal(parseProcStat(`cpu ${2 ** 40} 0 0 ${2 ** 41}\n`).total.total, 2 ** 40 + 2 ** 41);
});

test("parseProcStat refuses text without a cpu line", () => {
  assert.throws(() => parseProcStat("intr 1 2 3\n"), /no aggregate cpu line/);
});

test("usage is the busy share of the elapsed jiffies, clamped", () => {
  assert.equal(usagePercent({ total: 100, idle: 50 }, { total: 200, idle: 75 }), 75);
  assert.equal(usagePercent({ total: 100, idle: 50 }, { total: 100, idle: 50 }), 0);
  // counters going backwards (CPU hot-unplug) never give negative or >100
  assert.equal(usagePercent({ total: 200, idle: 50 }, { total: 100, idle: 80 }), 0);
  const usage = cpuUsageBetween(parseProcStat("cpu 0 0 0 100\ncpu0 0 0 0 100\n"), parseProcStat("cpu 50 0 0 150\ncpu0 50 0 0 150\ncpu1 10 0 0 10\n"));
  assert.equal(usage.total, 50);
  assert.deepEqual(usage.perCore, [50, 50]);
});

test("CpuCollector measures from its start-up baseline against a fixture tree", async () => {
  const root = await mkdtemp(join(tmpdir(), "socktop-cpu-"));
  await cp(fixture, root, { recursive: true });
  const collector = new CpuCollector(root);
  // 400 more jiffies on the aggregate line, 100 of them idle → 75% busy
  await writeFile(
    join(root, "stat"),
    "cpu  10132453 290696 3084719 46828583 16683 0 25195 0 0 0\ncpu0 1 0 0 1\ncpu1 1 0 0 1\ncpu2 1 0 0 1\ncpu3 1 0 0 1\n",
  );
  try {
    const usage = await collector.collect();
    assert.equal(usage.total, 75);
    assert.equal(usage.perCore.length, 4);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("CpuCollector starts without /proc/stat and fails each collection with a clear error", async () => {
  const collector = new CpuCollector("/nonexistent-proc");
  assert.equal(collector.name, "cpu");
  assert.throws(() => collector.collect(), /cannot read \/nonexistent-proc\/stat/);
});

test("live: one core per nproc, and a busy child shows up in the total", async () => {
  const collector = new CpuCollector();
  const cores = availableParallelism();
  const idle = await collector.collect();
  assert.equal(idle.perCore.length, cores);
  const child = spawn(process.execPath, ["-e", "const end = Date.now() + 1500; while (Date.now() < end) {}"]);
  try {
    await new Promise((r) => setTimeout(r, 200));
    await collector.collect();
    await new Promise((r) => setTimeout(r, 800));
    const busy = await collector.collect();
    // one core fully busy is 100/cores percent of the machine, at least
    assert.ok(busy.total >= (100 / cores) * 0.7, `total ${busy.total}% with one busy core of ${cores}`);
    assert.ok(Math.max(...busy.perCore) >= 70, `some core is busy: ${busy.perCore.join(", ")}`);
  } finally {
    child.kill();
  }
});

test("parseProcStat ignores a core number past the kernel's limit instead of building an array that long", () => {
  const stat = parseProcStat(`cpu 10 0 10 80\ncpu0 5 0 5 40\ncpu151250316 5 0 5 40\ncpu${MAX_CPUS} 1 0 1 1\n`);
  assert.equal(stat.cores.length, 1);
  assert.deepEqual(stat.cores[0], { total: 50, idle: 40 });
});
