import { test } from "node:test";
import assert from "node:assert/strict";
import type { CpuInfo } from "node:os";
import { PortableCpuSampler, ticksFromCpuInfo, usageBetween } from "../../src/portable/cpu.js";
import { deviceName, disksFromSi } from "../../src/portable/disks.js";
import { gpusFromSi, vendorKey } from "../../src/portable/gpu.js";
import { memoryFromSi } from "../../src/portable/memory.js";
import { interfaceNames, networksFromSi } from "../../src/portable/network.js";
import { cpuShareOfMachine, processesFromSi } from "../../src/portable/processes.js";
import type { SiBlockDevice, SiFsSize, SiGpu, SiMem, SiNetworkStats, SiProcess } from "../../src/portable/system-information.js";
import { cpuTemperatureFromSi } from "../../src/portable/temperature.js";

function cpuInfo(user: number, sys: number, idle: number): CpuInfo {
  return { model: "test", speed: 1000, times: { user, nice: 0, sys, idle, irq: 0 } };
}

test("CPU usage from os.cpus() ticks: per core and total between two readings", () => {
  const before = ticksFromCpuInfo([cpuInfo(100, 100, 800), cpuInfo(0, 0, 1000)]);
  const after = ticksFromCpuInfo([cpuInfo(150, 150, 800), cpuInfo(0, 0, 1100)]);
  const usage = usageBetween(before, after);
  assert.deepEqual(usage.perCore, [100, 0]);
  assert.equal(usage.total, 50);
});

test("PortableCpuSampler takes its baseline at construction and measures each interval after", () => {
  const readings = [[cpuInfo(0, 0, 100)], [cpuInfo(25, 25, 150)], [cpuInfo(25, 25, 250)]];
  let i = 0;
  const sampler = new PortableCpuSampler(() => readings[i++] ?? []);
  assert.equal(sampler.sample().total, 50);
  assert.equal(sampler.sample().total, 0);
});

const siMem: SiMem = {
  total: 17179869184, free: 1073741824, used: 16106127360, active: 8589934592, available: 6442450944,
  buffcache: 0, buffers: 0, cached: 0, slab: 0, reclaimable: 0,
  swaptotal: 2147483648, swapused: 536870912, swapfree: 1610612736, writeback: null, dirty: null,
};

test("memory: used is total - available like the /proc backend, not si's total - free", () => {
  assert.deepEqual(memoryFromSi(siMem), {
    memTotal: 17179869184,
    memUsed: 17179869184 - 6442450944,
    swapTotal: 2147483648,
    swapUsed: 536870912,
  });
});

test("network: the interfaces asked for are os.networkInterfaces() names, each once; Linux alias labels as their interface", () => {
  const os = { lo: [], eth0: [], "eth0:1": [], "Ethernet 2": [] };
  assert.deepEqual(interfaceNames(os, "linux"), ["lo", "eth0", "Ethernet 2"]);
  assert.deepEqual(interfaceNames({ en0: [], "utun0:x": [] }, "darwin"), ["en0", "utun0:x"]);
  assert.deepEqual(interfaceNames({}, "win32"), []);
});

test("network: cumulative counters per interface; nameless or non-numeric rows dropped", () => {
  const base = { operstate: "up", rx_dropped: 0, rx_errors: 0, tx_dropped: 0, tx_errors: 0, rx_sec: 0, tx_sec: 0, ms: 0 };
  const stats: SiNetworkStats[] = [
    { ...base, iface: "en0", rx_bytes: 1000, tx_bytes: 2000 },
    { ...base, iface: "", rx_bytes: 1, tx_bytes: 1 },
    { ...base, iface: "utun0", rx_bytes: Number.NaN, tx_bytes: 1 },
  ];
  assert.deepEqual(networksFromSi(stats), [{ name: "en0", received: 1000, transmitted: 2000 }]);
});

test("temperature: si's unknowns (null, -1, NaN, 0) are null, never a made-up value", () => {
  const reading = (main: unknown) => ({ main, cores: [], max: 0 }) as unknown as Parameters<typeof cpuTemperatureFromSi>[0];
  assert.equal(cpuTemperatureFromSi(reading(54.5)), 54.5);
  for (const unknown of [null, -1, Number.NaN, 0, undefined]) assert.equal(cpuTemperatureFromSi(reading(unknown)), null);
});

test("GPUs: only controllers with live figures; MiB to bytes; vendor normalised", () => {
  const base = { bus: "PCI", vramDynamic: false };
  const controllers: SiGpu[] = [
    { ...base, vendor: "NVIDIA Corporation", model: "GeForce RTX 3060", vram: 12288, utilizationGpu: 37, memoryTotal: 12288, memoryUsed: 1024, temperatureGpu: 61 },
    { ...base, vendor: "Red Hat, Inc.", model: "Virtio 1.0 GPU", vram: null },
    { ...base, vendor: "Apple", model: "Apple M2", vram: null, utilizationGpu: 5 },
  ];
  assert.deepEqual(gpusFromSi(controllers), [
    { name: "GeForce RTX 3060", vendor: "nvidia", utilization: 37, memTotal: 12288 * 1048576, memUsed: 1024 * 1048576, tempC: 61 },
    { name: "Apple M2", vendor: "apple", utilization: 5, memTotal: null, memUsed: null, tempC: null },
  ]);
  assert.equal(vendorKey("Advanced Micro Devices, Inc. [AMD/ATI]"), "amd");
  assert.equal(vendorKey(""), "unknown");
});

test("disks: devices only, each once, whole disks before partitions; Windows drive letters", () => {
  assert.equal(deviceName("/dev/disk3s1s1"), "disk3s1s1");
  assert.equal(deviceName("c:"), "C:");
  assert.equal(deviceName("tmpfs"), null);
  assert.equal(deviceName("/dev/loop3"), null);
  const fs = (fsName: string, mount: string, size: number, available: number): SiFsSize => ({
    fs: fsName, type: "ext4", size, used: size - available, available, use: 0, mount, rw: true,
  });
  const filesystems = [
    fs("/dev/sda2", "/", 500, 100),
    fs("overlay", "/var/lib/docker/x", 500, 100),
    fs("/dev/sda2", "/home", 500, 100),
    fs("/dev/sdb", "/data", 1000, 900),
    fs("/dev/sda1", "/boot", 50, 40),
  ];
  const devices = [{ name: "sda1", type: "part" }, { name: "sda2", type: "part" }, { name: "sdb", type: "disk" }] as SiBlockDevice[];
  assert.deepEqual(
    disksFromSi(filesystems, devices).map((d) => [d.name, d.total, d.available, d.is_partition, d.temperature]),
    [
      ["sda1", 50, 40, true, null],
      ["sda2", 500, 100, true, null],
      ["sdb", 1000, 900, false, null],
    ],
  );
});

function siProcess(pid: number, name: string, cpu: number, memRss: number): SiProcess {
  return {
    pid, parentPid: 1, name, cpu, cpuu: cpu, cpus: 0, mem: 0, priority: 20, memVsz: memRss * 2, memRss,
    nice: 0, started: "2026-11-30 10:00:00", state: "sleeping", tty: "", user: "root", command: name, params: "", path: "",
  };
}

test("processes: CPU % of the whole machine on every platform; first list all zero; KiB to bytes", () => {
  assert.equal(cpuShareOfMachine(50, "linux", 8), 50, "si already divides by the machine on Linux");
  assert.equal(cpuShareOfMachine(50, "win32", 8), 50);
  assert.equal(cpuShareOfMachine(200, "darwin", 8), 25, "ps pcpu is a share of one core");
  assert.equal(cpuShareOfMachine(900, "freebsd", 8), 100, "clamped");
  assert.equal(cpuShareOfMachine(Number.NaN, "linux", 8), 0);
  const list = [siProcess(10, "a", 12.5, 2048), siProcess(0, "idle", 0, 0), siProcess(11, "b", 0, Number.NaN)];
  assert.deepEqual(processesFromSi(list, { platform: "linux", cores: 2, first: false }), [
    { pid: 10, name: "a", cpu_usage: 12.5, mem_bytes: 2048 * 1024 },
    { pid: 11, name: "b", cpu_usage: 0, mem_bytes: 0 },
  ]);
  assert.equal(processesFromSi(list, { platform: "linux", cores: 2, first: true })[0]?.cpu_usage, 0);
});
