/**
 * The scan clock (process-clock.ts) parses /proc/stat and /proc/uptime from
 * bytes on a fast path; it must agree with readProcClock (cpu.ts) on every
 * input, and keep working through its kept descriptors.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanClockReader, parseStatClock, parseUptimeTicks } from "../../src/collectors/process-clock.js";
import { parseBootTime, parseProcStat, readProcClock } from "../../src/collectors/cpu.js";
import { readTextSync } from "../../src/collectors/procfs.js";

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** What readProcClock makes of a /proc/stat text. */
function expectedStat(text: string): { totalJiffies: number | null; bootTime: number | null } {
  let totalJiffies: number | null;
  try {
    totalJiffies = parseProcStat(text).total.total;
  } catch {
    totalJiffies = null;
  }
  return { totalJiffies, bootTime: parseBootTime(text) };
}

/** What readProcClock makes of a /proc/uptime text. */
function expectedUptime(text: string): number | null {
  const seconds = Number.parseFloat(text);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.floor(seconds * 100 + 1e-6) : null;
}

/** Parses `text` from a reused buffer whose stale tail holds other bytes, as the reader's does. */
function inBuffer(text: string, stale = "\nbtime 999\ncpu  9 9 9\n"): [Buffer, number] {
  const bytes = Buffer.from(text + stale, "latin1");
  return [bytes, Buffer.byteLength(text, "latin1")];
}

const REAL_STAT =
  "cpu  2499366 30142 513364 886754 4925 0 10104 12764 0 0\n" +
  "cpu0 1249049 14899 252372 451011 892 0 4303 6250 0 0\n" +
  "cpu1 1250316 15243 260991 435742 4032 0 5801 6513 0 0\n" +
  "intr 21251199 0 0 0 0 0 1 1 10 0 3971 707\n" +
  "ctxt 41424242\nbtime 1764556800\nprocesses 512345\nprocs_running 3\nprocs_blocked 0\nsoftirq 1 2 3 4 5 6 7 8 9 10 11\n";

describe("the scan clock's /proc/stat parser agrees with parseProcStat and parseBootTime", () => {
  const agree = (text: string): void => {
    const [bytes, length] = inBuffer(text);
    assert.deepEqual(parseStatClock(bytes, length), expectedStat(text), JSON.stringify(text));
  };

  it("on this machine's /proc/stat", () => {
    agree(readFileSync("/proc/stat", "latin1"));
  });

  it("on crafted texts", () => {
    const cases = [
      REAL_STAT,
      REAL_STAT.trimEnd(),
      REAL_STAT.replace("cpu  ", "cpu\t"),
      REAL_STAT.replace(" 0 0\ncpu0", "\ncpu0"), // an older kernel: 8 fields
      REAL_STAT.replace(" 12764 0 0\ncpu0", "\ncpu0"), // 7 fields
      REAL_STAT.replace("cpu  2499366", "cpu  2x99366"),
      REAL_STAT.replace("cpu  2499366", "cpu  -2499366"),
      REAL_STAT.replace("cpu  2499366", "cpu  2.5"),
      REAL_STAT.replace("cpu  ", "cpux "),
      REAL_STAT.replace("cpu  ", " cpu  "),
      REAL_STAT + "cpu  1 1 1 1 1 1 1 1 0 0\n", // a second aggregate line: the last wins
      REAL_STAT.replace("btime 1764556800", "btime\t1764556800"),
      REAL_STAT.replace("btime 1764556800", "btime  1764556800 "),
      REAL_STAT.replace("btime 1764556800", "btime x"),
      REAL_STAT.replace("btime 1764556800", "btime"),
      REAL_STAT.replace("btime 1764556800", "btime 17645x6800\nbtime 42"),
      REAL_STAT.replace("btime 1764556800", "btimex 1\nbtime 42"),
      REAL_STAT.replace("btime 1764556800\n", ""),
      REAL_STAT.replace("\n", "\r\n"),
      "btime 7\n" + REAL_STAT.replace("btime 1764556800\n", ""),
      "cpu  1 2 3\n",
      "cpu  1 2 3",
      "cpu ",
      "cpu",
      "",
      "\nbtime 5",
      "intr 1\nbtime 5",
    ];
    for (const text of cases) agree(text);
  });

  it("on every truncation and 500 byte mutations of a real text", () => {
    for (let cut = 0; cut <= REAL_STAT.length; cut++) agree(REAL_STAT.slice(0, cut));
    let seed = 4242;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = " \t\n\r0159xcpubtime";
    for (let i = 0; i < 500; i++) {
      const at = random(REAL_STAT.length);
      agree(REAL_STAT.slice(0, at) + alphabet[random(alphabet.length)] + REAL_STAT.slice(at + 1));
    }
  });
});

describe("the scan clock's /proc/uptime parser agrees with readProcClock's", () => {
  it("on this machine's /proc/uptime and crafted texts", () => {
    const cases = [
      readFileSync("/proc/uptime", "latin1"),
      "19234.56 37012.34\n",
      "19234.56",
      "19234.5 1.00\n",
      "19234 1.00\n",
      "19234.567 1.00\n",
      "0.00 0.00\n",
      "0.01 0.00\n",
      "12345678.99 1.00\n",
      " 12.34 1.00\n",
      "12.3x 1.00\n",
      "-1.00 0\n",
      "1e3 0\n",
      "abc",
      "",
    ];
    for (const text of cases) {
      const [bytes, length] = inBuffer(text, "77.77 ");
      assert.equal(parseUptimeTicks(bytes, length), expectedUptime(text), JSON.stringify(text));
    }
  });
});

describe("ScanClockReader", () => {
  it("reads this machine's clocks through kept descriptors, as readProcClock does", () => {
    const reader = new ScanClockReader("/proc", true);
    try {
      for (let i = 0; i < 3; i++) {
        const before = readProcClock("/proc", readTextSync);
        const clock = reader.read();
        const after = readProcClock("/proc", readTextSync);
        assert.equal(clock.bootTime, before.bootTime);
        assert.ok(clock.totalJiffies !== null && before.totalJiffies !== null && after.totalJiffies !== null);
        assert.ok(clock.totalJiffies >= before.totalJiffies && clock.totalJiffies <= after.totalJiffies, "a fresh reading each time");
        assert.ok(clock.uptimeTicks !== null && before.uptimeTicks !== null && after.uptimeTicks !== null);
        assert.ok(clock.uptimeTicks >= before.uptimeTicks && clock.uptimeTicks <= after.uptimeTicks);
      }
    } finally {
      reader.close();
    }
  });

  it("reads a fixture tree by path each time (a replaced file is read anew) and reports null for missing files", () => {
    const root = mkdtempSync(join(tmpdir(), "socktop-clock-"));
    temps.push(root);
    const reader = new ScanClockReader(root, false);
    assert.deepEqual(reader.read(), { totalJiffies: null, uptimeTicks: null, bootTime: null });
    writeFileSync(join(root, "stat"), REAL_STAT);
    writeFileSync(join(root, "uptime"), "100.25 3.00\n");
    assert.deepEqual(reader.read(), { totalJiffies: 3957419, uptimeTicks: 10025, bootTime: 1764556800 });
    writeFileSync(join(root, "stat.new"), "cpu  1 2 3 4 5 6 7 8 9 10\nbtime 5\n");
    renameSync(join(root, "stat.new"), join(root, "stat"));
    writeFileSync(join(root, "uptime"), "200.50 3.00\n");
    assert.deepEqual(reader.read(), { totalJiffies: 36, uptimeTicks: 20050, bootTime: 5 });
  });

  it("with kept descriptors, sums the first line once a whole parse found the kernel's layout, and parses btime again every 10 s", () => {
    const root = mkdtempSync(join(tmpdir(), "socktop-clock-"));
    temps.push(root);
    const stat = join(root, "stat");
    const uptime = join(root, "uptime");
    // Written in place (same inode): a kept descriptor reads the new bytes, as procfs's do.
    writeFileSync(stat, REAL_STAT);
    writeFileSync(uptime, "100.00 1.00\n");
    const reader = new ScanClockReader(root, true);
    try {
      assert.deepEqual(reader.read(), { totalJiffies: 3957419, uptimeTicks: 10000, bootTime: 1764556800 });
      // A fresh first line is read; btime (moved by a wall-clock step) is kept until 10 s have passed.
      writeFileSync(stat, REAL_STAT.replace("cpu  2499366", "cpu  2499466").replace("btime 1764556800", "btime 1764556801"));
      writeFileSync(uptime, "109.99 1.00\n");
      assert.deepEqual(reader.read(), { totalJiffies: 3957519, uptimeTicks: 10999, bootTime: 1764556800 });
      writeFileSync(uptime, "110.00 1.00\n");
      assert.deepEqual(reader.read(), { totalJiffies: 3957519, uptimeTicks: 11000, bootTime: 1764556801 });
      // A first line the fast path does not take goes through the whole parse again, and so does
      // the reading after it; the general parser's answer is the one given.
      const odd = "intr 5\ncpu  1 2 3 4 5 6 7 8\nbtime 7\n";
      writeFileSync(stat, odd);
      assert.deepEqual(reader.read(), { totalJiffies: expectedStat(odd).totalJiffies, uptimeTicks: 11000, bootTime: 7 });
      const twoAggregates = "cpu  1 1 1 1 1 1 1 1\ncpu  2 2 2 2 2 2 2 2\nbtime 8\n";
      writeFileSync(stat, twoAggregates);
      assert.deepEqual(reader.read(), { totalJiffies: expectedStat(twoAggregates).totalJiffies, uptimeTicks: 11000, bootTime: 8 });
      assert.equal(expectedStat(twoAggregates).totalJiffies, 16, "the general parser takes the last aggregate line");
    } finally {
      reader.close();
    }
  });

  it("parses /proc/stat whole on every reading of a fixture tree (no kept descriptors)", () => {
    const root = mkdtempSync(join(tmpdir(), "socktop-clock-"));
    temps.push(root);
    writeFileSync(join(root, "stat"), REAL_STAT);
    writeFileSync(join(root, "uptime"), "100.00 1.00\n");
    const reader = new ScanClockReader(root, false);
    assert.equal(reader.read().bootTime, 1764556800);
    writeFileSync(join(root, "stat"), REAL_STAT.replace("btime 1764556800", "btime 1764556801"));
    assert.equal(reader.read().bootTime, 1764556801);
  });

  it("reads a /proc/stat longer than its buffer whole", () => {
    const root = mkdtempSync(join(tmpdir(), "socktop-clock-"));
    temps.push(root);
    // Hundreds of CPUs and interrupt lines put btime far past the first 4 KiB.
    const cores = Array.from({ length: 300 }, (_, i) => `cpu${i} 1 0 0 0 0 0 0 0 0 0\n`).join("");
    writeFileSync(join(root, "stat"), `cpu  300 0 0 0 0 0 0 0 0 0\n${cores}intr ${"0 ".repeat(5000)}\nbtime 1234\n`);
    writeFileSync(join(root, "uptime"), "1.00 1.00\n");
    for (const keep of [false, true]) {
      const reader = new ScanClockReader(root, keep);
      assert.deepEqual(reader.read(), { totalJiffies: 300, uptimeTicks: 100, bootTime: 1234 });
      assert.deepEqual(reader.read(), { totalJiffies: 300, uptimeTicks: 100, bootTime: 1234 });
      reader.close();
    }
  });
});
