import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PidCount, parseThreadCount, parseTotalForks } from "../../src/collectors/pid-count.js";
import { exited } from "../helpers/child.js";

const isPid = (name: string): boolean => /^[1-9][0-9]*$/.test(name);

test("parseTotalForks and parseThreadCount read the two counters; malformed text is NaN", () => {
  assert.equal(parseTotalForks("cpu  1 2 3 4\nintr 5 6\nctxt 7\nbtime 8\nprocesses 767360\nprocs_running 2\n"), 767360);
  assert.equal(parseTotalForks("cpu 1 2 3 4\nprocesses 12"), 12, "at the end without a newline");
  assert.ok(Number.isNaN(parseTotalForks("cpu 1 2 3 4\n")));
  assert.ok(Number.isNaN(parseTotalForks(null)));
  assert.equal(parseThreadCount("0.52 0.58 0.59 2/313 21563\n"), 313);
  assert.ok(Number.isNaN(parseThreadCount("0.52 0.58 0.59\n")));
  assert.ok(Number.isNaN(parseThreadCount(null)));
});

async function tree(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "socktop-pidcount-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const pid of ["1", "2", "30"]) await mkdir(join(root, pid));
  await mkdir(join(root, "sys"));
  await mkdir(join(root, "0123x"));
  return root;
}

const stat = (forks: number): string => `cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 1 2\nprocesses ${forks}\nprocs_running 1\n`;
const loadavg = (threads: number): string => `0.10 0.20 0.30 1/${threads} 999\n`;

test("the listing is reused while total_forks and nr_threads stay put, and redone when either moves", async (t) => {
  const root = await tree(t);
  await writeFile(join(root, "stat"), stat(100));
  await writeFile(join(root, "loadavg"), loadavg(50));
  const pids = new PidCount(root, isPid, true);
  t.after(() => pids.close());
  assert.equal(pids.count(), 3);
  assert.equal(pids.listings, 1);
  // A directory appears, but the counters say nothing was forked or released: the listing stands.
  // (On a real procfs a new pid always moves total_forks; here the files are the counters.)
  await mkdir(join(root, "40"));
  assert.equal(pids.count(), 3);
  assert.equal(pids.listings, 1, "not listed again");
  // A fork: listed again.
  await writeFile(join(root, "stat"), stat(101));
  assert.equal(pids.count(), 4);
  assert.equal(pids.listings, 2);
  // An exit alone (nr_threads down, no fork): listed again.
  await rm(join(root, "2"), { recursive: true });
  await writeFile(join(root, "loadavg"), loadavg(49));
  assert.equal(pids.count(), 3);
  assert.equal(pids.listings, 3);
  // A fork and an exit between two requests leave nr_threads where it was, but total_forks moved.
  await rm(join(root, "30"), { recursive: true });
  await mkdir(join(root, "41"));
  await writeFile(join(root, "stat"), stat(102));
  assert.equal(pids.count(), 3);
  assert.equal(pids.listings, 4);
});

test("unreadable counters: /proc is listed every time", async (t) => {
  const root = await tree(t);
  await writeFile(join(root, "stat"), "cpu 1 2 3 4\n");
  const pids = new PidCount(root, isPid, true);
  t.after(() => pids.close());
  assert.equal(pids.count(), 3);
  await mkdir(join(root, "40"));
  assert.equal(pids.count(), 4);
  assert.equal(pids.listings, 2);
});

test("a fixture tree (not procfs) is listed every time by default", async (t) => {
  const root = await tree(t);
  await writeFile(join(root, "stat"), stat(100));
  await writeFile(join(root, "loadavg"), loadavg(50));
  const pids = new PidCount(root, isPid);
  t.after(() => pids.close());
  assert.equal(pids.count(), 3);
  await mkdir(join(root, "40"));
  assert.equal(pids.count(), 4);
});

function numericEntries(): number {
  return readdirSync("/proc").filter(isPid).length;
}

test("live: the count follows processes that start and exit", async (t) => {
  const pids = new PidCount("/proc", isPid);
  t.after(() => pids.close());
  const before = pids.count();
  // Other processes come and go on a shared machine: compare with a margin far below the 30 started here.
  assert.ok(Math.abs(before - numericEntries()) <= 10, `${before} vs ${numericEntries()}`);
  const children = Array.from({ length: 30 }, () => spawn("sleep", ["30"], { stdio: "ignore" }));
  t.after(() => {
    for (const c of children) c.kill("SIGKILL");
  });
  await Promise.all(children.map((c) => new Promise((resolve, reject) => c.once("spawn", resolve).once("error", reject))));
  const during = pids.count();
  assert.ok(during - before >= 20, `30 started: ${before} -> ${during}`);
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map(exited));
  const after = pids.count();
  assert.ok(during - after >= 20, `30 exited (and reaped): ${during} -> ${after}`);
  assert.ok(Math.abs(after - numericEntries()) <= 10, `${after} vs ${numericEntries()}`);
});
