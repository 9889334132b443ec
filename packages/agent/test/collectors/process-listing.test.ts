import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GONE, KeptStatFiles } from "../../src/collectors/kept-stat-files.js";
import { KeptProcFile } from "../../src/collectors/kept-proc-file.js";
import { parseLastPid } from "../../src/collectors/process-listing.js";
import { isNonLeaderThread } from "../../src/collectors/process-stat.js";
import { ProcessCollector } from "../../src/collectors/processes.js";
import { exited, started } from "../helpers/child.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/processes/proc", import.meta.url));

const bytes = (text: string): [Buffer, number] => {
  const b = Buffer.from(text, "latin1");
  return [b, b.length];
};

/** A stat line with `exitSignal` as field 38 (the fields after the name: state, then 35 numbers). */
function statLine(comm: string, exitSignal: string): string {
  const after = ["S", ...Array.from({ length: 34 }, (_, i) => String(i + 1)), exitSignal, "1", "0", "0", "0", "0"];
  return `4242 (${comm}) ${after.join(" ")}\n`;
}

/** This process's threads other than the main one (V8's and libuv's workers). */
const ownThreads = (): number[] => readdirSync("/proc/self/task").map(Number).filter((tid) => tid !== process.pid);

describe("parseLastPid", () => {
  it("reads the last field of /proc/loadavg and refuses other shapes", () => {
    assert.equal(parseLastPid(...bytes("0.52 0.58 0.59 2/313 21563\n")), 21563);
    assert.equal(parseLastPid(...bytes("0.00 0.00 0.00 1/1 0")), 0);
    for (const text of ["", "\n", "0.52 0.58 0.59 2/313\n", "0.52 0.58 0.59 2/313 21563 7\n", "0.52 0.58 0.59 2/313 21x63\n", "0.52 0.58 0.59 2/313 -1\n"]) {
      assert.ok(Number.isNaN(parseLastPid(...bytes(text))), JSON.stringify(text));
    }
    const real = readFileSync("/proc/loadavg");
    assert.ok(parseLastPid(real, real.length) >= 1, real.toString());
  });

  it("reads only the bytes it is given (the buffer is reused)", () => {
    const b = Buffer.from("0.52 0.58 0.59 2/313 215\n999999", "latin1");
    assert.equal(parseLastPid(b, 25), 215);
  });
});

describe("isNonLeaderThread", () => {
  it("is true for this process's other threads and false for the process itself", () => {
    const threads = ownThreads();
    assert.ok(threads.length > 0, "node runs worker threads");
    for (const tid of threads) {
      let line: Buffer;
      try {
        line = readFileSync(`/proc/${tid}/stat`);
      } catch {
        continue; // a thread that ended meanwhile
      }
      assert.equal(isNonLeaderThread(line, line.length), true, `thread ${tid}: ${line.toString()}`);
    }
    const self = readFileSync(`/proc/${process.pid}/stat`);
    assert.equal(isNonLeaderThread(self, self.length), false);
  });

  it("reads field 38 after the last ')' of the name", () => {
    assert.equal(isNonLeaderThread(...bytes(statLine("worker", "-1"))), true);
    assert.equal(isNonLeaderThread(...bytes(statLine("sh", "17"))), false);
    assert.equal(isNonLeaderThread(...bytes(statLine("init", "0"))), false);
    assert.equal(isNonLeaderThread(...bytes(statLine("odd", "-10"))), false);
    // A name made to look like fields: only the last ')' counts.
    assert.equal(isNonLeaderThread(...bytes(statLine("x) S -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1", "17"))), false);
    // Cut before field 38, or no name at all: not a thread as far as this check can tell.
    const line = statLine("worker", "-1");
    assert.equal(isNonLeaderThread(...bytes(line.slice(0, line.indexOf(" -1 ")))), false);
    assert.equal(isNonLeaderThread(...bytes("garbage")), false);
    assert.equal(isNonLeaderThread(...bytes("")), false);
  });
});

describe("KeptStatFiles.read turns away what is not a process", () => {
  it("a thread's id (which /proc/<tid>/stat opens) and a pid that is gone are GONE, and keep no descriptor", async () => {
    const kept = new KeptStatFiles("/proc", 100);
    try {
      kept.beginScan();
      for (const tid of ownThreads()) {
        assert.equal(kept.read(tid), GONE, `thread ${tid}`);
        assert.equal(kept.has(tid), false);
      }
      const child = spawn("true", { stdio: "ignore" });
      await started(child);
      await exited(child);
      const pid = child.pid as number;
      // Reaped by now (exited() waits for node's waitpid): unless the pid was reused already.
      if (!readdirSync("/proc").includes(String(pid))) assert.equal(kept.read(pid), GONE);
      assert.ok(kept.read(process.pid) > 0, "the process itself is read and kept");
      assert.equal(kept.has(process.pid), true);
      assert.equal(kept.size, 1);
    } finally {
      kept.close();
    }
  });
});

describe("KeptProcFile singleShow", () => {
  it("reads a procfs file whole in one read when the buffer holds it, and grows the buffer when it does not", () => {
    const file = new KeptProcFile(`/proc/${process.pid}/stat`, "/proc", 16, true, true);
    try {
      for (let i = 0; i < 3; i++) {
        const text = file.read();
        assert.ok(text !== null);
        const fields = text.slice(text.lastIndexOf(")") + 2).trim().split(" ");
        assert.ok(fields.length >= 42, `${fields.length} fields: ${text}`);
        assert.ok(text.startsWith(`${process.pid} (`));
      }
    } finally {
      file.close();
    }
  });

  it("reads a plain file (not kept) whole, as without the flag", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "socktop-singleshow-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const text = "x".repeat(10_000);
    writeFileSync(join(dir, "stat"), text);
    const file = new KeptProcFile(join(dir, "stat"), dir, 64, false, true);
    assert.equal(file.read(), text);
  });
});

describe("ProcessCollector goes by the pid cursor between listings", () => {
  it("finds processes started between scans and drops those that ended, with fewer listings than scans", async () => {
    const collector = new ProcessCollector();
    const children: ChildProcess[] = [];
    try {
      collector.baseline();
      await collector.collect();
      const scans = 8;
      const listingsBefore = collector.listings;
      for (let scan = 0; scan < scans; scan++) {
        const child = spawn("sleep", ["30"], { stdio: "ignore" });
        children.push(child);
        await started(child);
        if (scan % 3 === 2) {
          const old = children[scan - 1] as ChildProcess;
          old.kill("SIGKILL");
          await exited(old);
        }
        const rows = new Set((await collector.collect()).map((e) => e.pid));
        for (const c of children) {
          const alive = c.exitCode === null && c.signalCode === null;
          assert.equal(rows.has(c.pid as number), alive, `scan ${scan}: child ${c.pid} ${alive ? "alive" : "ended"}`);
        }
        for (const tid of ownThreads()) assert.ok(!rows.has(tid), `thread ${tid} is not a process`);
      }
      // On a quiet machine no scan lists; another user's burst of forks may force a listing now and then.
      assert.ok(collector.listings - listingsBefore < scans, `${collector.listings - listingsBefore} listings in ${scans} scans`);
    } finally {
      for (const c of children) c.kill("SIGKILL");
      await Promise.all(children.map(exited));
      collector.close();
    }
  });

  it("lists a child's threads as one process, as listing /proc does", async () => {
    const collector = new ProcessCollector();
    const script = "const { Worker } = require('node:worker_threads'); for (let i = 0; i < 3; i++) new Worker('setInterval(() => {}, 1000)', { eval: true }); setInterval(() => {}, 1000);";
    const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
    try {
      collector.baseline();
      await collector.collect();
      await started(child);
      const pid = child.pid as number;
      // Wait until the workers run (node's own threads plus three).
      for (let i = 0; i < 100 && readdirSync(`/proc/${pid}/task`).length < 8; i++) await new Promise((r) => setTimeout(r, 20));
      const tids = readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => tid !== pid);
      assert.ok(tids.length >= 3, `${tids.length} threads`);
      const listingsBefore = collector.listings;
      const rows = (await collector.collect()).map((e) => e.pid);
      assert.equal(rows.filter((p) => p === pid).length, 1, "the child once");
      for (const tid of tids) assert.ok(!rows.includes(tid), `thread ${tid} not listed`);
      const listed = new Set(readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number));
      for (const p of rows) assert.ok(listed.has(p) || !readdirSync("/proc").includes(String(p)), `${p} is in /proc's listing`);
      if (collector.listings === listingsBefore) assert.ok(collector.keptFiles?.has(pid), "found by the cursor and kept");
    } finally {
      child.kill("SIGKILL");
      await exited(child);
      collector.close();
    }
  });

  it("lists a fixture tree on every scan (no cursor there)", async () => {
    const collector = new ProcessCollector({ procRoot: FIXTURE, pageSize: 4096 });
    collector.baseline();
    await collector.collect();
    await collector.collect();
    assert.equal(collector.listings, 3);
  });
});
