import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ProcessCollector } from "../../src/collectors/processes.js";
import { exited, started } from "../helpers/child.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/processes/proc", import.meta.url));

/** The pids whose /proc/<pid>/stat this process has open, read from its own fd table. */
function openStatFiles(): number[] {
  const pids: number[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the fd of the readdir itself, closed by now
    }
    const match = /^\/proc\/(\d+)\/stat$/.exec(target);
    if (match !== null) pids.push(Number(match[1]));
  }
  return pids.sort((a, b) => a - b);
}

const numericEntries = (): number => readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;

describe("kept /proc/<pid>/stat descriptors", () => {
  it("keeps one descriptor per listed process on the real /proc and reports the same list as reading by path", async () => {
    const kept = new ProcessCollector();
    const byPath = new ProcessCollector({ maxKeptDescriptors: 0 });
    try {
      kept.baseline();
      const a = await kept.collect();
      const b = await byPath.collect();
      assert.equal(byPath.keptDescriptors, 0);
      assert.deepEqual(openStatFiles(), kept.keptFiles?.pids().sort((x, y) => x - y));
      assert.ok(kept.keptDescriptors >= a.length - 5, `${kept.keptDescriptors} kept for ${a.length} processes`);
      // Same processes, same names (a few may come and go between the two scans).
      const names = new Map(b.map((e) => [e.pid, e.name]));
      let same = 0;
      for (const e of a) if (names.get(e.pid) === e.name) same++;
      assert.ok(same >= Math.min(a.length, b.length) - 5, `${same} of ${a.length} agree`);
      const self = a.find((e) => e.pid === process.pid);
      assert.ok(self !== undefined && self.mem_bytes > 0);
    } finally {
      kept.close();
    }
    assert.deepEqual(openStatFiles(), [], "close() releases every descriptor");
  });

  it("never keeps more descriptors than the cap, and still lists every process", async () => {
    const collector = new ProcessCollector({ maxKeptDescriptors: 10 });
    const children = Array.from({ length: 20 }, () => spawn("sleep", ["30"], { stdio: "ignore" }));
    try {
      await Promise.all(children.map(started));
      for (let scan = 0; scan < 3; scan++) {
        const before = numericEntries();
        const entries = await collector.collect();
        assert.ok(collector.keptDescriptors <= 10, `scan ${scan}: ${collector.keptDescriptors} kept`);
        assert.ok(openStatFiles().length <= 10, `scan ${scan}: ${openStatFiles().length} open`);
        const listed = new Set(entries.map((e) => e.pid));
        for (const child of children) assert.ok(listed.has(child.pid as number), `child ${child.pid} listed`);
        // Other people's processes come and go meanwhile on a shared machine.
        const expected = Math.min(before, numericEntries());
        assert.ok(entries.length >= expected - Math.max(5, expected * 0.1), `${entries.length} listed, ${expected} in /proc`);
      }
      assert.equal(collector.keptDescriptors, 10, "the cap is used");
    } finally {
      for (const child of children) child.kill("SIGKILL");
      await Promise.all(children.map(exited));
      collector.close();
    }
  });

  it("closes the descriptors of processes that exited at the next scan", async () => {
    const collector = new ProcessCollector();
    const children = Array.from({ length: 5 }, () => spawn("sleep", ["30"], { stdio: "ignore" }));
    try {
      await Promise.all(children.map(started));
      await collector.collect();
      const pids = children.map((c) => c.pid as number);
      for (const pid of pids) assert.ok(openStatFiles().includes(pid), `pid ${pid} kept`);
      for (const child of children) child.kill("SIGKILL");
      await Promise.all(children.map(exited));
      const entries = await collector.collect();
      const open = openStatFiles();
      for (const pid of pids) {
        assert.ok(!open.includes(pid), `descriptor of exited ${pid} closed`);
        assert.ok(!entries.some((e) => e.pid === pid), `exited ${pid} not listed`);
      }
    } finally {
      collector.close();
    }
  });

  it("reports the new process, not the old one, when a pid is reused between scans", async (t) => {
    // Pid reuse on demand: root can set the pid the next fork gets through
    // /proc/sys/kernel/ns_last_pid (other processes may race us: retried).
    try {
      writeFileSync("/proc/sys/kernel/ns_last_pid", readFileSync("/proc/sys/kernel/ns_last_pid"));
    } catch (error) {
      t.skip(`cannot choose the next pid here (${(error as Error).message}): needs root and a writable ns_last_pid`);
      return;
    }
    const collector = new ProcessCollector();
    const children: ChildProcess[] = [];
    try {
      let reused: ChildProcess | null = null;
      for (let attempt = 0; attempt < 20 && reused === null; attempt++) {
        const old = spawn("sleep", ["30"], { stdio: "ignore" });
        children.push(old);
        await started(old);
        const pid = old.pid as number;
        const before = (await collector.collect()).find((e) => e.pid === pid);
        assert.equal(before?.name, "sleep");
        assert.ok(openStatFiles().includes(pid), "the old process's stat is kept open");
        old.kill("SIGKILL");
        await exited(old);
        writeFileSync("/proc/sys/kernel/ns_last_pid", String(pid - 1));
        const next = spawn("tail", ["-f", "/dev/null"], { stdio: "ignore" });
        children.push(next);
        await started(next);
        if (next.pid === pid) reused = next;
      }
      if (reused === null) {
        t.skip("another process took the pid first in 20 attempts");
        return;
      }
      const pid = reused.pid as number;
      const after = (await collector.collect()).filter((e) => e.pid === pid);
      assert.equal(after.length, 1);
      assert.equal(after[0]?.name, "tail", "the new process's name, not the old one's");
      // The kernel's own view: the pid now belongs to tail. (Its start time may equal the old
      // process's when both started within one clock tick, so that cannot tell them apart.)
      assert.equal(readFileSync(`/proc/${pid}/comm`, "latin1"), "tail\n", "a different process");
      assert.ok(openStatFiles().includes(pid), "the new process's stat is kept from now on");
      assert.equal(openStatFiles().filter((p) => p === pid).length, 1, "the old descriptor was closed");
    } finally {
      for (const child of children) child.kill("SIGKILL");
      await Promise.all(children.map(exited));
      collector.close();
    }
  });

  it("reads a fixture tree by path, never through kept descriptors (plain files do not fail when deleted)", async () => {
    const collector = new ProcessCollector({ procRoot: FIXTURE, pageSize: 4096 });
    collector.baseline();
    assert.ok((await collector.collect()).length > 0);
    assert.equal(collector.keptDescriptors, 0);
    assert.equal(collector.keptFiles, null);
  });
});
