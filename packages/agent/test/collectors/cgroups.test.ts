import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { classifyCgroup } from "../../src/collectors/cgroup-names.js";
import {
  CgroupCollector,
  cgroupUsage,
  detectHierarchy,
  parseCgroupProcs,
  parseCpuStat,
  parseMemoryValue,
  readCgroups,
} from "../../src/collectors/cgroups.js";
import { createLiveCgroup, liveCgroupSkip } from "../helpers/live-cgroup.js";
import { materialise, removeTrees, type TreeSpec } from "../helpers/tree.js";

const { trees } = JSON.parse(readFileSync(new URL("../fixtures/cgroups/trees.json", import.meta.url), "utf8")) as {
  trees: Record<string, TreeSpec>;
};
after(removeTrees);

const PROC_STAT = (jiffies: number): string => `cpu  ${jiffies} 0 0 0 0 0 0 0 0 0\ncpu0 ${jiffies} 0 0 0 0 0 0 0 0 0\nbtime 1764000000\n`;

/** A fixture tree with a /proc/stat beside it. */
function fixture(name: string): { sysRoot: string; procRoot: string; root: string } {
  const root = materialise({ ...(trees[name] as TreeSpec), "proc/stat": PROC_STAT(100_000) });
  return { root, sysRoot: `${root}/sys`, procRoot: `${root}/proc` };
}

describe("cgroup file parsers", () => {
  it("cpu.stat: usage, user and system microseconds", () => {
    assert.deepEqual(parseCpuStat("usage_usec 123\nuser_usec 100\nsystem_usec 23\nnr_periods 0\n"), { usageUsec: 123, userUsec: 100, systemUsec: 23 });
    assert.deepEqual(parseCpuStat("usage_usec 5\n"), { usageUsec: 5, userUsec: null, systemUsec: null });
    assert.equal(parseCpuStat("user_usec 1\n"), null);
    assert.equal(parseCpuStat(""), null);
  });
  it("memory.current / memory.max: bytes, null for max", () => {
    assert.equal(parseMemoryValue("536870912\n"), 536870912);
    assert.equal(parseMemoryValue("max\n"), null);
    assert.equal(parseMemoryValue(""), null);
  });
  it("cgroup.procs: one pid per line", () => {
    assert.deepEqual(parseCgroupProcs("1\n22\n333\n"), [1, 22, 333]);
    assert.deepEqual(parseCgroupProcs(""), []);
  });
});

describe("classifyCgroup", () => {
  const D = "d0c5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e";
  const cases: Array<[string, string, string | null, string | null]> = [
    ["/system.slice", "slice", null, null],
    ["/system.slice/nginx.service", "service", null, null],
    ["/init.scope", "scope", null, null],
    ["/user.slice/user-1000.slice", "user", null, null],
    ["/user.slice/user-1000.slice/user@1000.service", "user", null, null],
    ["/user.slice/user-1000.slice/session-3.scope", "session", null, null],
    [`/system.slice/docker-${D}.scope`, "container", "docker", D.slice(0, 12)],
    [`/docker/${D}`, "container", "docker", D.slice(0, 12)],
    [`/machine.slice/libpod-${D}.scope`, "container", "podman", D.slice(0, 12)],
    [`/machine.slice/libpod-conmon-${D}.scope`, "scope", "podman", D.slice(0, 12)],
    [`/system.slice/crio-${D}.scope`, "container", "cri-o", D.slice(0, 12)],
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12_34.slice/cri-containerd-${D}.scope`, "container", "containerd", D.slice(0, 12)],
    ["/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6e0b1a52_4c8f_4b1e_9a3d_2f7c8e9d0a1b.slice", "pod", null, "6e0b1a52-4c8f-4b1e-9a3d-2f7c8e9d0a1b"],
    ["/kubepods/burstable/pod6e0b1a52-4c8f-4b1e-9a3d-2f7c8e9d0a1b", "pod", null, "6e0b1a52-4c8f-4b1e-9a3d-2f7c8e9d0a1b"],
    [`/kubepods/burstable/pod6e0b1a52-4c8f-4b1e-9a3d-2f7c8e9d0a1b/${D}`, "container", "containerd", D.slice(0, 12)],
    ["/kubepods.slice", "slice", null, null],
    ["/docker-notanid.scope", "scope", null, null],
    ["/mygroup", "group", null, null],
  ];
  for (const [path, kind, runtime, id] of cases) {
    it(`${path.length > 70 ? `…${path.slice(-60)}` : path} → ${kind}`, () => {
      assert.deepEqual(classifyCgroup(path), { kind, runtime, container_id: id });
    });
  }
});

describe("detectHierarchy", () => {
  it("unified v2, hybrid, v1 only and none", () => {
    assert.equal(detectHierarchy(fixture("systemd").sysRoot).kind, "unified");
    const hybrid = detectHierarchy(fixture("hybrid").sysRoot);
    assert.equal(hybrid.kind, "hybrid");
    const v1 = detectHierarchy(fixture("v1").sysRoot);
    assert.equal(v1.kind, "unavailable");
    assert.match(v1.kind === "unavailable" ? v1.reason : "", /cgroup v1 only/);
    const none = detectHierarchy(fixture("none").sysRoot);
    assert.match(none.kind === "unavailable" ? none.reason : "", /no cgroup file system is mounted/);
    assert.match((detectHierarchy("/nonexistent-sys") as { reason: string }).reason, /no cgroup file system/);
  });
});

describe("readCgroups on fixture trees", () => {
  it("systemd: every group in tree order with its kind, memory, limit and own pids; the root left out", async () => {
    const { sysRoot, procRoot } = fixture("systemd");
    const reading = await readCgroups(`${sysRoot}/fs/cgroup`, procRoot);
    assert.deepEqual(
      reading.groups.map((g) => `${g.path} ${g.kind}`),
      [
        "/init.scope scope",
        "/system.slice slice",
        "/system.slice/nginx.service service",
        "/system.slice/ssh.service service",
        "/user.slice slice",
        "/user.slice/user-1000.slice user",
        "/user.slice/user-1000.slice/session-3.scope session",
        "/user.slice/user-1000.slice/user@1000.service user",
      ],
    );
    const nginx = reading.groups.find((g) => g.name === "nginx.service");
    assert.deepEqual(nginx?.pids, [410, 411, 412]);
    assert.equal(nginx?.memBytes, 200_000_000);
    assert.equal(nginx?.memLimitBytes, 536870912);
    assert.equal(reading.groups.find((g) => g.name === "ssh.service")?.memLimitBytes, null, "max = no limit");
    assert.equal(reading.totalJiffies, 100_000);
    assert.equal(reading.truncated, false);
  });

  it("docker and podman: containers recognised by name, conmon beside them", async () => {
    const { sysRoot, procRoot } = fixture("docker");
    const groups = (await readCgroups(`${sysRoot}/fs/cgroup`, procRoot)).groups;
    const containers = groups.filter((g) => g.kind === "container").map((g) => `${g.runtime} ${g.container_id} ${g.pids.join(",")}`);
    assert.deepEqual(containers, ["docker d0c5a1b2c3d4 5001", "podman 4f2c9e1a7b3d 4001", "docker d0c5a1b2c3d4 3001,3002"]);
    assert.equal(groups.find((g) => g.path === "/machine.slice")?.kind, "slice");
    assert.equal(groups.find((g) => g.path === "/docker")?.kind, "group");
    assert.equal(groups.find((g) => g.name === "docker.service")?.kind, "service");
  });

  it("kubepods: pods and their containers, systemd and cgroupfs drivers, CRI-O", async () => {
    const { sysRoot, procRoot } = fixture("kubepods");
    const groups = (await readCgroups(`${sysRoot}/fs/cgroup`, procRoot)).groups;
    assert.deepEqual(
      groups.filter((g) => g.kind === "pod").map((g) => g.container_id),
      ["6e0b1a52-4c8f-4b1e-9a3d-2f7c8e9d0a1b", "6e0b1a52-4c8f-4b1e-9a3d-2f7c8e9d0a1b"],
    );
    assert.deepEqual(
      groups.filter((g) => g.kind === "container").map((g) => g.runtime),
      ["containerd", "containerd", "cri-o"],
    );
  });

  it("nested: parents precede children, every level read", async () => {
    const { sysRoot, procRoot } = fixture("nested");
    const groups = (await readCgroups(`${sysRoot}/fs/cgroup`, procRoot)).groups;
    assert.deepEqual(groups.map((g) => g.path), ["/a", "/a/b", "/a/b/c", "/a/b/c/d", "/z"]);
    assert.deepEqual(groups.find((g) => g.path === "/a/b/c/d")?.pids, [12, 13]);
  });

  it("a group that vanished while being read is left out, the others are reported", async () => {
    const { sysRoot, procRoot } = fixture("vanishing");
    const groups = (await readCgroups(`${sysRoot}/fs/cgroup`, procRoot)).groups;
    assert.deepEqual(groups.map((g) => g.path), ["/kept.service"]);
  });

  it("hybrid: the v2 tree beside v1 controllers has CPU but no memory figures", async () => {
    const { sysRoot, procRoot } = fixture("hybrid");
    const groups = (await readCgroups(`${sysRoot}/fs/cgroup/unified`, procRoot)).groups;
    assert.deepEqual(groups.map((g) => [g.path, g.usageUsec, g.memBytes]), [["/worker.scope", 4_000_000, null]]);
  });
});

describe("cgroupUsage", () => {
  it("CPU percent of the whole machine from two readings; groups new since the first count from zero", async () => {
    const { sysRoot, procRoot } = fixture("systemd");
    const root = `${sysRoot}/fs/cgroup`;
    const first = await readCgroups(root, procRoot);
    // 10 s on one CPU = 1000 jiffies = 10 000 000 µs of capacity.
    writeFileSync(`${procRoot}/stat`, PROC_STAT(101_000));
    writeFileSync(`${root}/system.slice/nginx.service/cpu.stat`, "usage_usec 32500000\n");
    mkdirSync(`${root}/system.slice/new.service`);
    writeFileSync(`${root}/system.slice/new.service/cgroup.procs`, "77\n");
    writeFileSync(`${root}/system.slice/new.service/cpu.stat`, "usage_usec 1000000\n");
    const second = await readCgroups(root, procRoot);
    const usage = cgroupUsage(first, second);
    const by = (name: string) => usage.find((g) => g.name === name);
    assert.equal(by("nginx.service")?.cpu_usage, 25);
    assert.equal(by("ssh.service")?.cpu_usage, 0);
    assert.equal(by("new.service")?.cpu_usage, 10);
    assert.equal(by("nginx.service")?.cpu_usec, 32_500_000);
    assert.ok(cgroupUsage(null, second).every((g) => g.cpu_usage === null), "no percentages without an earlier reading");
  });
});

describe("CgroupCollector", () => {
  it("answers unavailable with the reason on cgroup v1 and without a cgroup file system", async () => {
    for (const [name, reason] of [
      ["v1", /cgroup v1 only/],
      ["none", /no cgroup file system/],
    ] as const) {
      const { sysRoot, procRoot } = fixture(name);
      const result = await new CgroupCollector({ sysRoot, procRoot, settleMs: 0 }).collect();
      assert.equal(result.available, false);
      assert.match(result.available ? "" : result.reason, reason);
    }
  });

  it("reads only when called; the first call takes two readings, later calls measure since the previous one", async () => {
    const { sysRoot, procRoot } = fixture("nested");
    const collector = new CgroupCollector({ sysRoot, procRoot, settleMs: 0 });
    const first = await collector.collect();
    assert.ok(first.available && first.hierarchy === "unified");
    // The fixture's clock did not move between the two readings: no interval, no percentage.
    assert.ok(first.groups.every((g) => g.cpu_usage === null));
    writeFileSync(`${procRoot}/stat`, PROC_STAT(100_100));
    writeFileSync(`${sysRoot}/fs/cgroup/a/b/c/d/cpu.stat`, "usage_usec 750000\n");
    const second = await collector.collect();
    assert.ok(second.available);
    assert.equal(second.groups.find((g) => g.path === "/a/b/c/d")?.cpu_usage, 25);
    assert.equal(second.groups.find((g) => g.path === "/z")?.cpu_usage, 0);
  });
});

describe("live", () => {
  const skip = liveCgroupSkip();
  it("a cgroup the test creates shows the CPU of a busy process put in it", { skip }, async () => {
    const name = `socktop-test-${process.pid}`;
    const group = createLiveCgroup(name);
    const busy = spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });
    try {
      await new Promise((r) => busy.once("spawn", r));
      group.add(busy.pid!);
      const collector = new CgroupCollector({ settleMs: 300 });
      let result = await collector.collect();
      await new Promise((r) => setTimeout(r, 500));
      result = await collector.collect();
      assert.ok(result.available, "v2 available");
      const found = result.groups.find((g) => g.path === group.path);
      assert.ok(found !== undefined, "the test's group is listed");
      assert.deepEqual(found.pids, [busy.pid]);
      assert.equal(found.kind, "group");
      // One busy thread of this machine's cores: clearly above zero even on a loaded machine.
      assert.ok((found.cpu_usage ?? 0) > 2, `cpu_usage ${found.cpu_usage}`);
      assert.ok(found.cpu_usec > 0);
    } finally {
      busy.kill("SIGKILL");
      await new Promise((r) => busy.once("exit", r));
      await group.remove();
    }
  });
});
