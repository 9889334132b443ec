/**
 * The portable backend on this machine beside the Linux backend: the same
 * host seen through systeminformation and through /proc must agree within
 * stated tolerances.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism, hostname } from "node:os";
import { linuxBackend } from "../../src/collectors/linux.js";
import { portableBackend } from "../../src/portable/backend.js";
import { PortableDetailsReader } from "../../src/portable/details.js";
import { loadSystemInformation } from "../../src/portable/system-information.js";

const options = { gpuEnabled: true, temperatureEnabled: true };
const linux = linuxBackend({ procRoot: "/proc", sysRoot: "/sys", ...options, log: () => {} });
const portable = portableBackend(options);

test("live: memory total is exact, used within 5 % of total", async () => {
  const [a, b] = await Promise.all([linux.memory.collect(), portable.memory.collect()]);
  assert.equal(b.memTotal, a.memTotal);
  assert.equal(b.swapTotal, a.swapTotal);
  assert.ok(Math.abs(b.memUsed - a.memUsed) < a.memTotal * 0.05, `used ${b.memUsed} vs ${a.memUsed}`);
});

test("live: process count within a few of the /proc scan; CPU % of the whole machine, 0..100", async () => {
  await portable.processes.collect(); // si's first listing is its baseline
  await new Promise((r) => setTimeout(r, 700));
  const [ours, theirs] = await Promise.all([linux.processes.collect(), portable.processes.collect()]);
  assert.ok(Math.abs(ours.length - theirs.length) <= 10, `portable ${theirs.length} vs /proc ${ours.length}`);
  assert.ok(theirs.some((p) => p.pid === process.pid), "lists this test process");
  for (const p of theirs) {
    assert.ok(p.cpu_usage >= 0 && p.cpu_usage <= 100, `${p.pid} cpu ${p.cpu_usage}`);
    assert.ok(p.mem_bytes >= 0);
  }
  const self = theirs.find((p) => p.pid === process.pid);
  assert.ok(self !== undefined && self.mem_bytes > 10 * 1024 * 1024, "this node process has a resident size");
  assert.equal(await portable.processCount.collect(), theirs.length, "the count comes from the latest listing");
});

test("live: CPU per core matches nproc and stays in 0..100; a busy loop shows", async () => {
  await portable.cpu.collect();
  const until = Date.now() + 300;
  while (Date.now() < until); // keep one core busy
  const usage = await portable.cpu.collect();
  assert.equal(usage.perCore.length, availableParallelism());
  assert.ok(usage.total > 0 && usage.total <= 100, `total ${usage.total}`);
  for (const core of usage.perCore) assert.ok(core >= 0 && core <= 100);
});

test("live: hostname, network interfaces and disks agree with the Linux backend", async () => {
  assert.equal(await portable.hostname.collect(), hostname());
  const before = await linux.network.collect();
  const after = await portable.network.collect();
  // si lists the interfaces the OS reports as present; idle pseudo-devices without traffic
  // (ifb0, a down bridge) may be missing from it, so: no extra names, and every busy one there.
  const linuxNames = new Set(before.map((n) => n.name));
  for (const n of after) assert.ok(linuxNames.has(n.name), `${n.name} is a real interface`);
  for (const n of before.filter((b) => b.received + b.transmitted > 0)) {
    assert.ok(after.some((a) => a.name === n.name), `busy interface ${n.name} is listed`);
  }
  for (const n of after) {
    const earlier = before.find((b) => b.name === n.name)!;
    assert.ok(n.received >= earlier.received && n.transmitted >= earlier.transmitted, `${n.name} counters are cumulative`);
  }
  const [a, b] = await Promise.all([linux.disks.collect(), portable.disks.collect()]);
  for (const disk of a) {
    const same = b.find((d) => d.name === disk.name);
    assert.ok(same !== undefined, `portable lists ${disk.name}: ${b.map((d) => d.name).join(",")}`);
    assert.ok(Math.abs(same.total - disk.total) <= disk.total * 0.01, `${disk.name} size`);
  }
});

test("live: temperature and GPU agree on absence (null, never made up)", async () => {
  const [la, pa] = await Promise.all([linux.temperature.collect(), portable.temperature.collect()]);
  if (la === null) assert.equal(pa, null, "no CPU sensor here, so none reported");
  else assert.ok(pa === null || Math.abs(pa - la) < 15, `temperature ${pa} vs ${la}`);
  const [lg, pg] = await Promise.all([linux.gpu.collect(), portable.gpu.collect()]);
  if (lg === null) assert.equal(pg, null, "no GPU here, so none reported");
});

test("live: process details of this process and its absence after exit", async () => {
  const reader = new PortableDetailsReader(loadSystemInformation(), { platform: process.platform, cores: availableParallelism() });
  const result = await reader.read(process.pid);
  assert.equal(result.kind, "ok");
  if (result.kind !== "ok") return;
  const p = result.reply.process;
  assert.equal(p.pid, process.pid);
  assert.equal(p.parent_pid, process.ppid);
  assert.match(p.command, /node/);
  assert.equal(p.user_name, "root");
  assert.ok(p.start_time !== null && Math.abs(p.start_time - (Date.now() / 1000 - process.uptime())) < 120, `start ${p.start_time}`);
  assert.equal(p.thread_count, null, "not in the portable source: null, not made up");
  const gone = await reader.read(2 ** 22 + 7);
  assert.deepEqual(gone, { kind: "not_found", message: `Process ${2 ** 22 + 7} not found` });
});
