import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessEntry } from "@socktop/protocol";
import { PidCount } from "../../src/collectors/pid-count.js";
import { pidOf } from "../../src/collectors/process-listing.js";
import { ProcessCollector } from "../../src/collectors/processes.js";
import { parsePidStat, parseScanFields } from "../../src/collectors/process-stat.js";
import { YIELD_EVERY } from "../../src/collectors/procfs.js";
import { procTree, setClock, statLine, writeStat } from "../helpers/proc-tree.js";
import { parseProcStat } from "../../src/collectors/cpu.js";

/** The process count the Linux backend reports beside the list (pid-count.ts). */
function countPids(procRoot: string): number {
  const pids = new PidCount(procRoot, (name) => pidOf(name) > 0);
  try {
    return pids.count();
  } finally {
    pids.close();
  }
}

const PAGE = 4096;

const byPid = (entries: ProcessEntry[]): Map<number, ProcessEntry> => new Map(entries.map((e) => [e.pid, e]));
const pids = (entries: ProcessEntry[]): number[] => entries.map((e) => e.pid).sort((a, b) => a - b);

describe("parsePidStat", () => {
  it("reads the fields of a real stat line", () => {
    const stat = parsePidStat(
      "1 (process_api) S 0 0 0 0 -1 4194560 11342 301310 0 139 45 88 982 360 10 -10 11 0 16 35368960 2173 " +
        "18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
    );
    assert.deepEqual(stat, {
      pid: 1,
      comm: "process_api",
      state: "S",
      ppid: 0,
      utime: 45,
      stime: 88,
      numThreads: 11,
      starttime: 16,
      vsize: 35368960,
      rssPages: 2173,
    });
  });

  it("takes comm up to the last ')' even with spaces and parentheses", () => {
    assert.equal(parsePidStat(statLine(1234, { comm: "(sd-pam)", utime: 1, starttime: 5 }))?.comm, "(sd-pam)");
    const odd = parsePidStat(statLine(77, { comm: "a) b (c", state: "R", ppid: 9, utime: 3, stime: 4, starttime: 8 }));
    assert.equal(odd?.comm, "a) b (c");
    assert.equal(odd?.state, "R");
    assert.equal(odd?.ppid, 9);
    assert.equal(odd?.utime, 3);
    assert.equal(odd?.stime, 4);
    assert.equal(parsePidStat(statLine(5, { comm: "two\nlines) ", utime: 0, starttime: 1 }))?.comm, "two\nlines) ");
    assert.equal(parsePidStat(statLine(6, { comm: "", utime: 0, starttime: 1 }))?.comm, "");
  });

  it("handles kernel threads and zombies", () => {
    const kthread = parsePidStat(
      "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 2 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0",
    );
    assert.equal(kthread?.comm, "kthreadd");
    assert.equal(kthread?.rssPages, 0);
    assert.equal(kthread?.vsize, 0);
    assert.equal(kthread?.stime, 3);
    assert.equal(parsePidStat(statLine(40, { comm: "kworker/0:1H-kblockd", state: "I", utime: 0, starttime: 3 }))?.comm, "kworker/0:1H-kblockd");
    const zombie = parsePidStat(statLine(300, { comm: "defunct", state: "Z", utime: 7, stime: 3, starttime: 2000, rss: 0 }));
    assert.equal(zombie?.state, "Z");
    assert.equal(zombie?.rssPages, 0);
  });

  it("decodes UTF-8 names that procfs readers hand over as latin1", () => {
    const latin1 = Buffer.from(statLine(9, { comm: "café", utime: 0, starttime: 1 }), "utf8").toString("latin1");
    assert.equal(parsePidStat(latin1)?.comm, "café");
  });

  it("returns null for truncated or garbage text", () => {
    const good = statLine(10, { utime: 1, stime: 2, starttime: 3 });
    const times = " 1 2 0 0 20 ";
    assert.ok(good.includes(times) && parsePidStat(good) !== null);
    const garbage = [
      "",
      "hello world",
      "10 (x)",
      "10 (x) S 1 2 3",
      good.slice(0, good.indexOf(" 108175360")), // cut before vsize
      good.replace("10 (", "(") /* no pid */,
      good.replace("10 (", "0 (") /* pid 0 */,
      good.replace("10 (", "-10 ("),
      good.replace("10 (", "1x0 ("),
      good.replace(") S ", ") SS "),
      good.replace(") S ", ")S "),
      good.replace(times, " 1 abc 0 0 20 "),
      good.replace(times, " 0x1 2 0 0 20 "),
      good.replace(times, " -1 2 0 0 20 "),
      good.replace(times, " 1 2.5 0 0 20 "),
      "10 )x( S 1 10 10 0 -1 4194560 1200 0 3 0 1 0 0 0 20 0 1 0 2 108175360 100",
      "\u0000\u0001\u0002",
    ];
    for (const text of garbage) assert.equal(parsePidStat(text), null, JSON.stringify(text));
  });
});

describe("ProcessCollector on a fixture /proc", () => {
  it("lists each process once: numeric entries only, no threads, kernel threads and zombies included", async () => {
    const root = procTree();
    const collector = new ProcessCollector({ procRoot: root, pageSize: PAGE });
    const entries = await collector.collect();
    // 101 is only a thread (task/101), 4242 sits in "12abc", "self" is a link to 1.
    assert.deepEqual(pids(entries), [1, 2, 100, 200, 300]);
    const rows = byPid(entries);
    assert.equal(rows.get(1)?.name, "systemd");
    assert.equal(rows.get(1)?.mem_bytes, 3300 * PAGE);
    assert.equal(rows.get(2)?.name, "kthreadd");
    assert.equal(rows.get(2)?.mem_bytes, 0);
    assert.equal(rows.get(200)?.name, "a) b (c");
    assert.equal(rows.get(300)?.mem_bytes, 0);
    // Without a baseline nothing can be measured yet (what the original reports on its first scan).
    for (const e of entries) assert.equal(e.cpu_usage, 0);
    assert.equal(countPids(root), 5);
  });

  it("computes CPU% as the share of the whole machine between scans", async () => {
    const root = procTree();
    // Fixture: aggregate cpu = 20000 jiffies, uptime 50.00 s = tick 5000.
    assert.equal(parseProcStat(readFileSync(join(root, "stat"), "latin1")).total.total, 20000);
    const collector = new ProcessCollector({ procRoot: root, pageSize: PAGE });
    collector.baseline();

    setClock(root, 20400, 54);
    writeStat(root, 1, { comm: "systemd", utime: 230, stime: 70, starttime: 1, rss: 3300 }); // +100 of 400
    writeStat(root, 200, { utime: 404, stime: 100, starttime: 1500 }); // +4
    writeStat(root, 2, { utime: 5000, stime: 5003, starttime: 2 }); // +10000: impossible, clamped
    writeStat(root, 400, { utime: 30, stime: 10, starttime: 5100 }); // born after the baseline
    writeStat(root, 401, { utime: 40, starttime: 5000 }); // born in the baseline's tick, after its reading
    writeStat(root, 500, { utime: 999, starttime: 4999 }); // existed before the baseline but was not seen
    writeStat(root, 300, { utime: 15, stime: 5, starttime: 5200 }); // pid reused by a new process
    writeStat(root, 100, { utime: 10, stime: 10, starttime: 900 }); // less time than before: clamped to 0

    let rows = byPid(await collector.collect());
    assert.equal(rows.get(1)?.cpu_usage, 25);
    assert.equal(rows.get(200)?.cpu_usage, 1);
    assert.equal(rows.get(2)?.cpu_usage, 100);
    assert.equal(rows.get(400)?.cpu_usage, 10);
    assert.equal(rows.get(401)?.cpu_usage, 10);
    assert.equal(rows.get(500)?.cpu_usage, 0);
    assert.equal(rows.get(300)?.cpu_usage, 5);
    assert.equal(rows.get(100)?.cpu_usage, 0);

    // Next interval: 200 jiffies. Every process is known now, including 500 and the reused 300.
    setClock(root, 20600, 56);
    writeStat(root, 400, { utime: 80, stime: 10, starttime: 5100 }); // +50
    writeStat(root, 500, { utime: 1019, starttime: 4999 }); // +20
    writeStat(root, 300, { utime: 25, stime: 5, starttime: 5200 }); // +10
    rows = byPid(await collector.collect());
    assert.equal(rows.get(400)?.cpu_usage, 25);
    assert.equal(rows.get(500)?.cpu_usage, 10);
    assert.equal(rows.get(300)?.cpu_usage, 5);
    assert.equal(rows.get(1)?.cpu_usage, 0);
  });

  it("reports 0 rather than NaN or Infinity when no CPU time passed", async () => {
    const root = procTree();
    const collector = new ProcessCollector({ procRoot: root, pageSize: PAGE });
    collector.baseline();
    writeStat(root, 1, { utime: 1000, starttime: 1 });
    writeStat(root, 600, { utime: 10, starttime: 6000 });
    for (const e of await collector.collect()) assert.equal(e.cpu_usage, 0, `pid ${e.pid}`);
  });

  it("reports new processes as 0 when /proc/uptime cannot tell when they were born", async () => {
    const root = procTree();
    const collector = new ProcessCollector({ procRoot: root, pageSize: PAGE });
    rmSync(join(root, "uptime"));
    collector.baseline();
    setClock(root, 20400, 54);
    rmSync(join(root, "uptime"));
    writeStat(root, 400, { utime: 40, starttime: 5100 });
    writeStat(root, 1, { comm: "systemd", utime: 170, stime: 50, starttime: 1 });
    const rows = byPid(await collector.collect());
    assert.equal(rows.get(400)?.cpu_usage, 0);
    assert.equal(rows.get(1)?.cpu_usage, 5);
  });

  it("skips processes that vanished or cannot be read, without failing", async () => {
    const root = procTree();
    mkdirSync(join(root, "555")); // listed, but gone before its stat was read
    mkdirSync(join(root, "556", "stat"), { recursive: true }); // read fails with EISDIR
    writeStat(root, 557, { utime: 1, starttime: 1 });
    writeFileSync(join(root, "557", "stat"), "557 (trunc) S 1 557"); // torn read
    writeFileSync(join(root, "558"), "not a directory"); // read fails with ENOTDIR
    const collector = new ProcessCollector({ procRoot: root, pageSize: PAGE });
    collector.baseline();
    assert.deepEqual(pids(await collector.collect()), [1, 2, 100, 200, 300]);
    assert.equal(collector.trackedPids, 5);
    // The backend's cheap count (pid-count.ts) opens nothing, so it includes the entries that could not be read.
    assert.equal(countPids(root), 9);
  });

  it("skips processes that exit in the middle of a scan and yields to the event loop while scanning", async () => {
    const root = procTree(false);
    setClock(root, 1000, 10);
    const total = 600;
    for (let pid = 1000; pid < 1000 + total; pid++) writeStat(root, pid, { utime: 1, starttime: 1 });
    const collector = new ProcessCollector({ procRoot: root, pageSize: PAGE });

    // The scan yields through setImmediate; at its first yield every process "exits".
    const realSetImmediate = globalThis.setImmediate;
    let yields = 0;
    const patched = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
      if (yields++ === 0) {
        for (const name of readdirSync(root)) if (/^\d+$/.test(name)) rmSync(join(root, name), { recursive: true });
      }
      return realSetImmediate(callback, ...args);
    }) as typeof setImmediate;
    globalThis.setImmediate = patched;
    let entries: ProcessEntry[];
    try {
      entries = await collector.collect();
    } finally {
      globalThis.setImmediate = realSetImmediate;
    }
    // Everything read before the first yield, nothing after it, and no error.
    assert.equal(entries.length, YIELD_EVERY);
    assert.equal(collector.trackedPids, YIELD_EVERY);
    assert.equal(yields, Math.floor(total / YIELD_EVERY));
  });

  it("forgets processes that exited, so its memory does not grow", async () => {
    const root = procTree();
    const collector = new ProcessCollector({ procRoot: root, pageSize: PAGE });
    collector.baseline();
    assert.equal(collector.trackedPids, 5);
    for (let pid = 2000; pid < 2100; pid++) writeStat(root, pid, { utime: 1, starttime: 6000 });
    await collector.collect();
    assert.equal(collector.trackedPids, 105);
    for (let pid = 2000; pid < 2100; pid++) rmSync(join(root, String(pid)), { recursive: true });
    rmSync(join(root, "200"), { recursive: true });
    await collector.collect();
    assert.equal(collector.trackedPids, 4);

    // A pid that comes back after being forgotten is new again: not measured against its old times.
    setClock(root, 20400, 54);
    writeStat(root, 200, { utime: 2000, starttime: 1500 });
    const rows = byPid(await collector.collect());
    assert.equal(rows.get(200)?.cpu_usage, 0);
  });

  it("shares one scan between concurrent callers", async () => {
    const root = procTree();
    const collector = new ProcessCollector({ procRoot: root, pageSize: PAGE });
    collector.baseline();
    setClock(root, 20400, 54);
    writeStat(root, 1, { comm: "systemd", utime: 230, stime: 70, starttime: 1, rss: 3300 });
    const [a, b] = await Promise.all([collector.collect(), collector.collect()]);
    assert.equal(a, b);
    // A second, separate scan over the same (zero) interval would have reset this to 0.
    assert.equal(byPid(a).get(1)?.cpu_usage, 25);
    const c = await collector.collect();
    assert.notEqual(c, a);
    assert.equal(byPid(c).get(1)?.cpu_usage, 0);
  });
});

describe("ProcessCollector on this machine", () => {
  const numericEntries = (): number => readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;
  const near = (actual: number, expected: number, what: string): void => {
    const tolerance = Math.max(5, expected * 0.05);
    assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
  };

  it("lists every process, as ps does", async () => {
    const collector = new ProcessCollector();
    collector.baseline();
    const entries = await collector.collect();
    near(entries.length, numericEntries(), "numeric /proc entries");
    near(countPids("/proc"), numericEntries(), "the backend's process count");
    const ps = execFileSync("ps", ["-e", "--no-headers"], { encoding: "utf8" }).trim().split("\n").length;
    near(entries.length, ps, "ps -e");
    assert.equal(new Set(entries.map((e) => e.pid)).size, entries.length, "no pid twice");
    for (const e of entries) {
      assert.ok(e.cpu_usage >= 0 && e.cpu_usage <= 100, `pid ${e.pid} cpu ${e.cpu_usage}`);
      assert.ok(Number.isSafeInteger(e.mem_bytes) && e.mem_bytes >= 0);
    }
  });

  it("reports our own process with its name and resident memory", async () => {
    const collector = new ProcessCollector();
    const self = (await collector.collect()).find((e) => e.pid === process.pid);
    assert.ok(self, "own pid listed");
    assert.equal(self.name, readFileSync("/proc/self/comm", "utf8").trim());
    const rss = process.memoryUsage().rss;
    assert.ok(Math.abs(self.mem_bytes - rss) <= rss * 0.2, `mem_bytes ${self.mem_bytes} vs rss ${rss}`);
  });

  it("measures a busy process at its true share of the machine", async (t) => {
    const child = spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });
    t.after(() => child.kill("SIGKILL"));
    await new Promise((resolve) => setTimeout(resolve, 300)); // past node's multi-threaded start-up
    // Ground truth read around the collector's window: the child's own ticks over the
    // machine's ticks. Independent of how loaded the machine is (other tests run in parallel).
    const ticks = (): number => {
      const stat = parsePidStat(readFileSync(`/proc/${child.pid}/stat`, "latin1"));
      assert.ok(stat);
      return stat.utime + stat.stime;
    };
    const total = (): number => parseProcStat(readFileSync("/proc/stat", "latin1")).total.total;
    const [childBefore, totalBefore] = [ticks(), total()];
    const collector = new ProcessCollector();
    collector.baseline();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const row = (await collector.collect()).find((e) => e.pid === child.pid);
    const truth = ((ticks() - childBefore) / (total() - totalBefore)) * 100;
    assert.ok(row, "child listed");
    assert.ok(truth > 0, "the child ran");
    assert.ok(
      row.cpu_usage >= truth * 0.7 && row.cpu_usage <= truth * 1.3,
      `busy child at ${row.cpu_usage.toFixed(1)}%, its true share ${truth.toFixed(1)}%`,
    );
    // One busy thread can never exceed one core's share.
    const cpus = parseProcStat(readFileSync("/proc/stat", "latin1")).cores.length;
    assert.ok(row.cpu_usage <= (100 / cpus) * 1.1);
  });
});

describe("parseScanFields (the scan's byte parser) agrees with parsePidStat", () => {
  const pick = (s: ReturnType<typeof parsePidStat>) =>
    s === null
      ? null
      : {
          pid: s.pid,
          comm: s.comm,
          state: s.state,
          ppid: s.ppid,
          utime: s.utime,
          stime: s.stime,
          numThreads: s.numThreads,
          starttime: s.starttime,
          rssPages: s.rssPages,
        };
  // flags is informational (kernel-thread marks) and checked on its own below.
  const withoutFlags = (s: ReturnType<typeof parseScanFields>) => {
    if (s === null) return null;
    const { flags: _flags, ...rest } = s;
    return rest;
  };
  const agree = (text: string): void => {
    const bytes = Buffer.from(text, "latin1");
    // Parse from a larger buffer, as the reused reader hands it over.
    const padded = Buffer.concat([bytes, Buffer.from("9) 9 9 9 garbage after the end")]);
    assert.deepEqual(withoutFlags(parseScanFields(padded, bytes.length)), pick(parsePidStat(text)), JSON.stringify(text));
  };

  it("reads the flags field (PF_KTHREAD marks kernel threads)", () => {
    const kthread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 5 0 0 20 0 1 0 1 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const bytes = Buffer.from(kthread, "latin1");
    const fields = parseScanFields(bytes, bytes.length);
    assert.equal(fields?.flags, 2129984);
    assert.ok(((fields?.flags ?? 0) & 0x0020_0000) !== 0);
    assert.equal(parseScanFields(Buffer.from(line, "latin1"), line.length)?.flags, 4194560);
  });
  const line = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 75 0 0 20 0 3 0 98765 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

  it("on every process of this machine", () => {
    for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
      let text: string;
      try {
        text = readFileSync(`/proc/${name}/stat`, "latin1");
      } catch {
        continue; // exited meanwhile
      }
      agree(text);
    }
  });

  it("on crafted and broken lines", () => {
    const cases = [
      line,
      line.trimEnd(),
      line.replace("(a) b (c)", "(sd-pam)"),
      line.replace("(a) b (c)", "()"),
      line.replace("(a) b (c)", "(x\ny)"),
      line.replace("(a) b (c)", "(n\u00c3\u00a4me)"),
      line.replace(" S ", " SS "),
      line.replace(" 150 75 ", " 150  75 "),
      line.replace(" 150 ", " -150 "),
      line.replace(" 98765 ", " 9x765 "),
      line.replace("4242 (", " 4242 ("),
      line.replace("4242 (", "0 ("),
      line.replace("4242 (", "("),
      line.replace(") S", ")S"),
      "",
      "garbage",
      "1 (x",
      "1 x) S",
    ];
    for (const text of cases) agree(text);
  });

  it("on every truncation and 500 byte mutations of a real line", () => {
    for (let cut = 0; cut <= line.length; cut++) agree(line.slice(0, cut));
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = " ()09aS-\n";
    for (let i = 0; i < 500; i++) {
      const at = random(line.length);
      agree(line.slice(0, at) + alphabet[random(alphabet.length)] + line.slice(at + 1));
    }
  });
});
