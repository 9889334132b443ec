import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CpuCollector, procStatFile } from "../../src/collectors/cpu.js";
import { KeptProcFile } from "../../src/collectors/kept-proc-file.js";
import { PidCount } from "../../src/collectors/pid-count.js";
import { TurnSharedFile } from "../../src/collectors/turn-shared-file.js";

async function root(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "socktop-turn-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("a file is read once per turn: readers in the same turn share one text, the next turn reads afresh", async (t) => {
  const dir = await root(t);
  const path = join(dir, "stat");
  await writeFile(path, "one\n");
  const shared = new TurnSharedFile(new KeptProcFile(path, dir));
  t.after(() => shared.close());
  assert.equal(shared.read(), "one\n");
  // A fixture file is read by path every time, so only the sharing keeps the old text.
  writeFileSync(path, "two\n");
  assert.equal(shared.read(), "one\n", "the same turn: the first reading");
  await Promise.resolve();
  assert.equal(shared.read(), "two\n", "after a microtask: read again");
  writeFileSync(path, "three\n");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(shared.read(), "three\n", "a later turn of the loop: read again");
});

test("an absent file is shared as null, and a read that throws is not remembered", async (t) => {
  const dir = await root(t);
  const shared = new TurnSharedFile(new KeptProcFile(join(dir, "missing"), dir));
  assert.equal(shared.read(), null);
  writeFileSync(join(dir, "missing"), "here\n");
  assert.equal(shared.read(), null, "absent for the whole turn");
  await Promise.resolve();
  assert.equal(shared.read(), "here\n");
  const dirAsFile = new TurnSharedFile(new KeptProcFile(dir, dir));
  assert.throws(() => dirAsFile.read());
  assert.throws(() => dirAsFile.read(), "a failure is not cached as a text");
});

test("the CPU collector and the process count of one request see the same /proc/stat", async (t) => {
  const dir = await root(t);
  const stat = (user: number, idle: number, forks: number): string => `cpu  ${user} 0 0 ${idle}\ncpu0 ${user} 0 0 ${idle}\nprocesses ${forks}\n`;
  await writeFile(join(dir, "stat"), stat(0, 100, 10));
  await writeFile(join(dir, "loadavg"), "0.00 0.00 0.00 1/5 99\n");
  const shared = new TurnSharedFile(procStatFile(dir));
  const cpu = new CpuCollector(dir, shared);
  const pids = new PidCount(dir, (name) => /^[0-9]+$/.test(name), true, shared);
  t.after(() => shared.close());
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pids.count(), 0);
  // One request: the CPU collector reads first, then the file changes (a fork), then the count reads.
  await writeFile(join(dir, "stat"), stat(100, 200, 11));
  const usage = cpu.collect();
  // Synchronous from here to the count, as within one request's Promise.all.
  // The file now says forks 10 again: a count reading it afresh would trust its last listing (0).
  writeFileSync(join(dir, "stat"), stat(300, 200, 10));
  writeFileSync(join(dir, "1"), "");
  assert.equal(pids.count(), 1, "counters as the CPU collector saw them (forks 11): listed again");
  assert.equal((await usage).total, 50, "100 busy of 200 jiffies: the first reading");
  // The next request reads the file afresh: forks 10 differ from 11, user 300 since 100.
  assert.equal(pids.count(), 1);
  assert.equal((await cpu.collect()).total, 100);
});
