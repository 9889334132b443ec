import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { ProcessDetails } from "@socktop/protocol";
import {
  MAX_CHILDREN,
  PF_KTHREAD,
  PasswdNames,
  ProcessDetailsCollector,
  parseChildren,
  parseCmdline,
  parseIo,
  parsePasswd,
  parseStatFlags,
  parseStatm,
  parseStatusIds,
  stateName,
  type DetailsResult,
} from "../../src/collectors/process-details.js";
import { parseBootTime } from "../../src/collectors/cpu.js";
import { ProcessCollector } from "../../src/collectors/processes.js";
import { parsePidStat } from "../../src/collectors/process-stat.js";
import { kernelThreadPid, vanishedPid } from "../helpers/proc.js";

const fixtures = fileURLToPath(new URL("../fixtures/details/", import.meta.url));
const fixtureProc = join(fixtures, "proc");
const passwd = join(fixtures, "passwd");
const childScript = join(fixtures, "threaded-child.mjs");
const sourceFile = fileURLToPath(new URL("../../src/collectors/process-details.ts", import.meta.url));

function ok(result: DetailsResult): ProcessDetails {
  if (result.kind !== "ok") assert.fail(`expected details, got: ${result.message}`);
  return result.reply.process;
}

// ---------------------------------------------------------------- parsers

test("cmdline: NUL separators, trailing NULs, spaces inside arguments, UTF-8", () => {
  assert.equal(parseCmdline("/usr/bin/python3\0-c\0print('a b')\0"), "/usr/bin/python3 -c print('a b')");
  // a title rewritten in place: spaces and a run of NUL padding
  assert.equal(parseCmdline(`nginx: worker process${"\0".repeat(12)}`), "nginx: worker process");
  assert.equal(parseCmdline("no-trailing-nul"), "no-trailing-nul");
  // an empty argument in the middle is kept (two spaces)
  assert.equal(parseCmdline("a\0\0b\0"), "a  b");
  // kernel threads and zombies
  assert.equal(parseCmdline(""), "");
  assert.equal(parseCmdline("\0\0"), "");
  // procfs is read as latin1; UTF-8 is restored
  assert.equal(parseCmdline(Buffer.from("café\0ünï\0").toString("latin1")), "café ünï");
});

test("stat: comm with spaces and parentheses, flags field, kernel-thread flag", () => {
  const text = readFileSync(join(fixtureProc, "4242/stat"), "latin1");
  const stat = parsePidStat(text);
  assert.ok(stat);
  assert.equal(stat.comm, "my (weird) proc");
  assert.equal(stat.ppid, 1);
  assert.equal(stat.numThreads, 2);
  assert.equal(parseStatFlags(text), 4194560);
  assert.equal((parseStatFlags(text) ?? 0) & PF_KTHREAD, 0);
  const kthreadd = readFileSync(join(fixtureProc, "2/stat"), "latin1");
  assert.notEqual((parseStatFlags(kthreadd) ?? 0) & PF_KTHREAD, 0);
  // a comm made to look like the end of the line
  assert.equal(parseStatFlags("9 (x) S 1 2 3) R 1 9 9 0 -1 64 0 0"), 64);
  assert.equal(parseStatFlags("garbage"), null);
  assert.equal(parseStatFlags("9 (x) S 1 2"), null);
});

test("status: Tgid and the real (first) Uid / Gid", () => {
  const ids = parseStatusIds(readFileSync(join(fixtureProc, "4243/status"), "latin1"));
  assert.deepEqual(ids, { tgid: 4242, uid: 1000, gid: 1000 });
  assert.deepEqual(parseStatusIds("Name:\tx\nUid:\t33\t0\t0\t0\n"), { tgid: null, uid: 33, gid: null });
  assert.deepEqual(parseStatusIds(""), { tgid: null, uid: null, gid: null });
  assert.deepEqual(parseStatusIds("Uid:\t-\nGid:\tabc\n"), { tgid: null, uid: null, gid: null });
});

test("statm, io, btime, children files", () => {
  assert.deepEqual(parseStatm("25600 2560 1024 10 0 2000 0\n"), { sizePages: 25600, residentPages: 2560, sharedPages: 1024 });
  assert.equal(parseStatm("1 2\n"), null);
  assert.equal(parseStatm("a b c d\n"), null);
  assert.deepEqual(parseIo(readFileSync(join(fixtureProc, "4242/io"), "latin1")), { rchar: 123456, wchar: 654321 });
  assert.equal(parseIo("syscr: 1\n"), null);
  assert.equal(parseBootTime("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n"), 1700000000);
  assert.equal(parseBootTime("cpu 1 2 3\n"), null);
  assert.deepEqual(parseChildren("4300 4301 "), [4300, 4301]);
  assert.deepEqual(parseChildren(""), []);
});

test("state letters are spelled out", () => {
  const expected: Record<string, string> = {
    R: "Running", S: "Sleeping", D: "Disk Sleep", Z: "Zombie", T: "Stopped", t: "Tracing Stop",
    X: "Dead", x: "Dead", I: "Idle", P: "Parked", K: "Wakekill", W: "Waking",
  };
  for (const [letter, name] of Object.entries(expected)) assert.equal(stateName(letter), name);
  assert.equal(stateName("Q"), "Q");
});

test("passwd: first entry per uid wins, comments and broken lines skipped; lookups re-read a changed file", async () => {
  const names = parsePasswd(readFileSync(passwd, "utf8"));
  assert.equal(names.get(0), "root");
  assert.equal(names.get(33), "www-data");
  assert.equal(names.get(1000), "alice");
  assert.equal(names.get(65534), "nobody");
  assert.equal(names.size, 4);

  const dir = await mkdtemp(join(tmpdir(), "socktop-passwd-"));
  try {
    const path = join(dir, "passwd");
    await writeFile(path, "root:x:0:0::/root:/bin/sh\n");
    const lookup = new PasswdNames(path);
    assert.equal(lookup.lookup(0), "root");
    assert.equal(lookup.lookup(1234), null);
    await writeFile(path, "root:x:0:0::/root:/bin/sh\nbob:x:1234:1234::/home/bob:/bin/sh\n");
    assert.equal(lookup.lookup(1234), "bob");
    assert.equal(new PasswdNames(join(dir, "missing")).lookup(0), null);
    // A path that cannot be stat()ed for another reason than its absence (ENOTDIR): no names, no throw.
    assert.equal(new PasswdNames(join(path, "not-a-dir")).lookup(0), null);
    // Removed, then back: read again.
    await rm(path);
    assert.equal(lookup.lookup(0), null);
    await writeFile(path, "carol:x:0:0::/root:/bin/sh\n");
    assert.equal(lookup.lookup(0), "carol");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- fixture tree

describe("collector on a fixture tree", () => {
  let root: string;
  const NOW = 1_700_001_000_000;

  before(async () => {
    // Symlinks (cwd, exe) are made here rather than committed.
    root = await mkdtemp(join(tmpdir(), "socktop-details-"));
    await cp(fixtureProc, root, { recursive: true });
    await symlink("/home/alice/project dir", join(root, "4242/cwd"));
    await symlink("/usr/bin/python3.11", join(root, "4242/exe"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const collector = (): ProcessDetailsCollector =>
    new ProcessDetailsCollector({ procRoot: root, pageSize: 4096, passwdPath: passwd, now: () => NOW });

  test("every field of a process, its threads and its direct children", async () => {
    const result = await collector().read(4242);
    assert.equal(result.kind, "ok");
    if (result.kind !== "ok") return;
    assert.equal(result.reply.cached_at, 1_700_001_000);
    const p = result.reply.process;
    const { child_processes: children, threads, ...own } = p;
    assert.deepEqual(own, {
      pid: 4242,
      name: "my (weird) proc",
      command: "/usr/bin/python3 -c print('a b') café",
      // first read: lifetime average, 300 ticks over (100000 - 12345) ticks × 2 cores
      cpu_usage: 0.17,
      mem_bytes: 2560 * 4096,
      virtual_mem_bytes: 104857600,
      shared_mem_bytes: 1024 * 4096,
      thread_count: 2,
      fd_count: 4,
      status: "Sleeping",
      parent_pid: 1,
      user_id: 1000,
      group_id: 1000,
      user_name: "alice",
      start_time: 1700000000 + 123,
      cpu_time_user: 2_500_000,
      cpu_time_system: 500_000,
      read_bytes: 123456,
      write_bytes: 654321,
      working_directory: "/home/alice/project dir",
      executable_path: "/usr/bin/python3.11",
    });
    assert.deepEqual(threads, [
      { tid: 4242, name: "my (weird) proc", cpu_time_user: 2_000_000, cpu_time_system: 400_000, status: "Sleeping" },
      { tid: 4243, name: "worker 1", cpu_time_user: 500_000, cpu_time_system: 100_000, status: "Running" },
    ]);
    // 4300 from the main thread's children file, 4301 from the second thread's
    assert.deepEqual(children.map((c) => c.pid), [4300, 4301]);
    const [sh, nginx] = children as [ProcessDetails, ProcessDetails];
    assert.equal(sh.command, "sh -c sleep 100");
    assert.equal(sh.user_name, "root");
    assert.equal(sh.parent_pid, 4242);
    // no io file (as when another user's io is not readable), no fd dir, no cwd/exe links
    assert.equal(sh.read_bytes, null);
    assert.equal(sh.write_bytes, null);
    assert.equal(sh.fd_count, null);
    assert.equal(sh.working_directory, null);
    assert.equal(sh.executable_path, null);
    assert.equal(sh.shared_mem_bytes, 80 * 4096);
    // children are one level deep: no grandchildren, no threads
    assert.deepEqual(sh.child_processes, []);
    assert.deepEqual(sh.threads, []);
    assert.equal(nginx.command, "nginx: worker process");
    assert.equal(nginx.status, "Disk Sleep");
    assert.equal(nginx.user_name, "www-data");
    assert.equal(nginx.read_bytes, 1);
    assert.equal(nginx.write_bytes, 2);
    // no statm: shared memory unknown
    const bare = ok(await collector().read(5001));
    assert.equal(bare.shared_mem_bytes, null);
    assert.equal(bare.command, "/sbin/getty tty1");
  });

  test("CPU%: the delta since this collector's previous read of the pid, as a share of the machine", async () => {
    const c = collector();
    await c.read(4242);
    const stat = await readFile(join(root, "4242/stat"), "latin1");
    const procStat = await readFile(join(root, "stat"), "latin1");
    try {
      // +50 ticks of the process while the machine's total advanced 200 jiffies → 25%
      await writeFile(join(root, "4242/stat"), stat.replace(" 250 50 ", " 280 70 "), "latin1");
      await writeFile(join(root, "stat"), procStat.replace("cpu  1000 0 500 8000", "cpu  1100 0 500 8100"), "latin1");
      assert.equal(ok(await c.read(4242)).cpu_usage, 25);
      // no jiffy elapsed since: the last figure is repeated, not a division by zero
      assert.equal(ok(await c.read(4242)).cpu_usage, 25);
      // another collector (another baseline) starts from the lifetime average again
      assert.notEqual(ok(await collector().read(4242)).cpu_usage, 25);
    } finally {
      await writeFile(join(root, "4242/stat"), stat, "latin1");
      await writeFile(join(root, "stat"), procStat, "latin1");
    }
  });

  test("a missing pid, a thread id and a kernel thread are not found; a zombie is a process", async () => {
    const c = collector();
    assert.deepEqual(await c.read(999), { kind: "not_found", message: "Process 999 not found" });
    const thread = await c.read(4243);
    assert.equal(thread.kind, "not_found");
    assert.match(thread.kind === "not_found" ? thread.message : "", /^Process 4243 not found: 4243 is a thread of process 4242$/);
    const kthread = await c.read(2);
    assert.equal(kthread.kind, "not_found");
    assert.match(kthread.kind === "not_found" ? kthread.message : "", /^Process 2 not found: .*kernel thread/);
    const zombie = ok(await c.read(77));
    assert.equal(zombie.status, "Zombie");
    assert.equal(zombie.command, "");
    assert.deepEqual(zombie.threads, []);
  });

  test("without children files (CONFIG_PROC_CHILDREN off) children are found by scanning ppids", async () => {
    const p = ok(await collector().read(5000));
    assert.deepEqual(p.child_processes.map((c) => c.pid), [5001]);
    assert.equal(p.threads.length, 1);
  });

  test("children are capped", async () => {
    const capped = new ProcessDetailsCollector({ procRoot: root, pageSize: 4096, passwdPath: passwd, maxChildren: 1 });
    assert.deepEqual(ok(await capped.read(4242)).child_processes.map((c) => c.pid), [4300]);
    assert.ok(MAX_CHILDREN >= 100);
  });
});

// ---------------------------------------------------------------- live

interface Threaded {
  child: ChildProcess;
  grandchild: number;
  workers: number;
  cwd: string;
}

async function startThreaded(workers: number, marker: string): Promise<Threaded> {
  const cwd = await realpath(await mkdtemp(join(tmpdir(), "socktop-live-")));
  const child = spawn(process.execPath, [childScript, String(workers), marker], { cwd, stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`threaded child exited with ${code}`)));
  });
  const { grandchild } = JSON.parse(line) as { grandchild: number };
  return { child, grandchild, workers, cwd };
}

async function stopThreaded(t: Threaded): Promise<void> {
  const exited = new Promise((resolve) => t.child.once("exit", resolve));
  t.child.stdin?.end();
  await exited;
  await rm(t.cwd, { recursive: true, force: true });
}

describe("live, against a process this test starts", () => {
  let t: Threaded;
  const WORKERS = 3;
  const MARKER = "--socktop-marker=live details";

  before(async () => {
    t = await startThreaded(WORKERS, MARKER);
  });
  after(async () => {
    await stopThreaded(t);
  });

  test("pid, parent, threads, children, command line, cwd and executable", async () => {
    const p = ok(await new ProcessDetailsCollector().read(t.child.pid!));
    assert.equal(p.pid, t.child.pid);
    assert.equal(p.parent_pid, process.pid);
    assert.equal(p.name, "node");
    assert.ok(p.thread_count !== null && p.thread_count >= WORKERS + 1, `thread_count ${p.thread_count}`);
    assert.ok(Math.abs(p.threads.length - p.thread_count) <= 1, `${p.threads.length} threads listed of ${p.thread_count}`);
    assert.ok(p.threads.some((th) => th.tid === t.child.pid), "the main thread is listed");
    for (const th of p.threads) {
      assert.equal(typeof th.name, "string");
      assert.ok(th.cpu_time_user >= 0 && th.cpu_time_user % 10_000 === 0);
    }
    assert.deepEqual(p.child_processes.map((c) => c.pid), [t.grandchild]);
    const grandchild = p.child_processes[0]!;
    assert.equal(grandchild.parent_pid, t.child.pid);
    assert.match(grandchild.command, /setInterval/);
    assert.deepEqual(grandchild.threads, []);
    assert.equal(p.command, `${process.execPath} ${childScript} ${WORKERS} ${MARKER}`);
    assert.equal(p.working_directory, t.cwd);
    assert.equal(p.executable_path, await realpath(process.execPath));
    assert.equal(p.user_id, process.getuid!());
    assert.equal(p.group_id, process.getgid!());
    assert.ok(p.fd_count !== null && p.fd_count >= 3);
    assert.ok(p.read_bytes !== null && p.read_bytes > 0, "node read its own script");
    assert.ok(p.mem_bytes > 1_000_000 && p.virtual_mem_bytes >= p.mem_bytes);
    assert.ok(p.shared_mem_bytes !== null && p.shared_mem_bytes <= p.mem_bytes);
    const now = Date.now() / 1000;
    assert.ok(p.start_time !== null && p.start_time <= now + 1 && p.start_time > now - 120, `start_time ${p.start_time} vs now ${now}`);
    assert.ok(p.cpu_usage >= 0 && p.cpu_usage <= 100);
  });

  test("a vanished pid is not found", async () => {
    const pid = vanishedPid();
    const result = await new ProcessDetailsCollector().read(pid);
    assert.deepEqual(result, { kind: "not_found", message: `Process ${pid} not found` });
  });

  test("a kernel thread is not found", async (ctx) => {
    const kthread = kernelThreadPid();
    if (kthread === undefined) {
      ctx.skip("no kernel thread visible in this pid namespace");
      return;
    }
    const result = await new ProcessDetailsCollector().read(kthread);
    assert.equal(result.kind, "not_found");
    assert.match(result.kind === "not_found" ? result.message : "", new RegExp(`^Process ${kthread} not found: .*kernel thread`));
  });

  test("another user's process: unreadable fields are null, not an error", async (ctx) => {
    // Needs a process the reader may not inspect: as root, read pid 1 from a child running as nobody.
    if (process.getuid!() !== 0) {
      const p = ok(await new ProcessDetailsCollector().read(1));
      assert.equal(p.fd_count, null);
      assert.equal(p.read_bytes, null);
      assert.equal(p.working_directory, null);
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), "socktop-nobody-"));
    try {
      const script = join(dir, "read-pid-1.mts");
      await writeFile(
        script,
        `import { ProcessDetailsCollector } from ${JSON.stringify(sourceFile)};\n` +
          `process.stdout.write(JSON.stringify(await new ProcessDetailsCollector().read(1)));\n`,
      );
      const { chmod } = await import("node:fs/promises");
      await chmod(dir, 0o755);
      const run = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", script], {
        uid: 65534,
        gid: 65534,
        cwd: fileURLToPath(new URL("../../../..", import.meta.url)),
        encoding: "utf8",
        timeout: 20_000,
      });
      if (run.status !== 0) {
        ctx.skip(`cannot run as nobody here: ${run.stderr.split("\n").find((l) => l.trim() !== "") ?? run.error?.message}`);
        return;
      }
      const result = JSON.parse(run.stdout) as DetailsResult;
      const p = ok(result);
      assert.equal(p.pid, 1);
      assert.equal(p.fd_count, null);
      assert.equal(p.read_bytes, null);
      assert.equal(p.write_bytes, null);
      assert.equal(p.working_directory, null);
      assert.equal(p.executable_path, null);
      // what everyone may read is still there
      assert.equal(typeof p.name, "string");
      assert.equal(p.user_id, 0);
      assert.ok(p.thread_count !== null && p.thread_count >= 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("reading details leaves the process list's CPU baselines alone", async () => {
    const list = new ProcessCollector();
    list.baseline();
    const state = list as unknown as { previous: Map<number, unknown>; previousClock: unknown };
    const previous = state.previous;
    const clock = state.previousClock;
    const tracked = list.trackedPids;
    const details = new ProcessDetailsCollector();
    for (const pid of [t.child.pid!, t.grandchild, process.pid, 1]) await details.read(pid);
    assert.equal(state.previous, previous, "the baseline map was not replaced");
    assert.equal(state.previousClock, clock);
    assert.equal(list.trackedPids, tracked);
    // and by construction: the details module never touches the list collector
    const source = await readFile(sourceFile, "utf8");
    assert.doesNotMatch(source, /ProcessCollector/);
    assert.ok(details.trackedPids >= 3, "details keep baselines of their own");
  });
});
