/**
 * End to end over a real socket: process details and journal requests in
 * both dialects, protocol-2 envelopes and error frames, and the error objects
 * of missing, malformed and kernel-thread pids.
 *
 * The agent is assembled here from RequestHandler + createDetailsHandlers +
 * AgentServer, as agent.ts wires it; the metrics sources are a stub because
 * only details, journal and hello requests are sent.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { GZIP_THRESHOLD_BYTES, isGzip } from "@socktop/protocol";
import { createDetailsHandlers, type DetailsHandlers } from "../src/details-handlers.js";
import { RequestHandler } from "../src/handler.js";
import { silentLogger } from "../src/log.js";
import { AgentServer } from "../src/server.js";
import type { MetricsSources } from "../src/sources.js";
import { TestClient, json, unzip } from "./helpers/agent.js";
import { kernelThreadPid, vanishedPid } from "./helpers/proc.js";

const childScript = fileURLToPath(new URL("./fixtures/details/threaded-child.mjs", import.meta.url));

const PROCESS_KEYS = [
  "child_processes", "command", "cpu_time_system", "cpu_time_user", "cpu_usage", "executable_path", "fd_count",
  "group_id", "mem_bytes", "name", "parent_pid", "pid", "read_bytes", "shared_mem_bytes", "start_time", "status",
  "thread_count", "threads", "user_id", "user_name", "virtual_mem_bytes", "working_directory", "write_bytes",
].sort();
const THREAD_KEYS = ["cpu_time_system", "cpu_time_user", "name", "status", "tid"];
const ENTRY_KEYS = ["comm", "gid", "message", "pid", "priority", "timestamp", "uid", "unit"];

let dir: string;
let server: AgentServer;
let client: TestClient;
let details: DetailsHandlers;
let child: ChildProcess;
let childPid: number;
let grandchild: number;
let childCwd: string;
let journalRuns: string;
let port: number;
const url = (): string => `ws://127.0.0.1:${port}/ws`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "socktop-details-e2e-"));
  // A fake journalctl that counts its runs and answers slowly enough to test ordering.
  journalRuns = join(dir, "runs");
  const journalctl = join(dir, "journalctl");
  await writeFile(
    journalctl,
    `#!/bin/sh
echo "$*" >> "${journalRuns}"
sleep 0.2
echo '{"__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":"4","MESSAGE":"older","_PID":"1","_COMM":"x","_UID":"0","_GID":"0","_SYSTEMD_UNIT":"x.service"}'
echo 'garbage'
echo '{"__REALTIME_TIMESTAMP":"1700000001000000","MESSAGE":[104,105]}'
`,
  );
  await chmod(journalctl, 0o755);

  childCwd = await realpath(await mkdtemp(join(tmpdir(), "socktop-details-cwd-")));
  child = spawn(process.execPath, [childScript, "4", "e2e"], { cwd: childCwd, stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`threaded child exited with ${code}`)));
  });
  childPid = child.pid!;
  grandchild = (JSON.parse(line) as { grandchild: number }).grandchild;

  details = createDetailsHandlers({ log: silentLogger, procRoot: "/proc", journalctl, timeoutMs: 3000, journalDirs: [dir] });
  const sources = new Proxy({} as MetricsSources, {
    get: () => {
      throw new Error("metrics sources are not used by this test");
    },
  });
  const handler = new RequestHandler({ sources, log: silentLogger, capabilities: details.capabilities, extraHandlers: details.extraHandlers });
  server = new AgentServer({ handler, log: silentLogger, port: 0, bind: "127.0.0.1", maxClients: 16, maxFrameBytes: 4096 });
  const address = await server.listen();
  port = address.port;
  client = await TestClient.connect(url());
});

after(async () => {
  await client?.close();
  await server?.close();
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin?.end();
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
  await rm(childCwd, { recursive: true, force: true });
});

type Details = { process: Record<string, unknown>; cached_at: number };

function checkProcess(p: Record<string, unknown>, topLevel: boolean): void {
  assert.deepEqual(Object.keys(p).sort(), PROCESS_KEYS);
  for (const key of ["pid", "cpu_usage", "mem_bytes", "virtual_mem_bytes", "thread_count", "start_time", "cpu_time_user", "cpu_time_system"]) {
    assert.equal(typeof p[key], "number", key);
  }
  for (const key of ["name", "command", "status"]) assert.equal(typeof p[key], "string", key);
  if (topLevel) {
    for (const t of p.threads as Array<Record<string, unknown>>) assert.deepEqual(Object.keys(t).sort(), THREAD_KEYS);
    for (const c of p.child_processes as Array<Record<string, unknown>>) checkProcess(c, false);
  } else {
    assert.deepEqual(p.threads, []);
    assert.deepEqual(p.child_processes, []);
  }
}

test("hello lists the details capabilities", async () => {
  // its own connection: hello switches a connection to protocol 2 (typed error frames)
  const other = await TestClient.connect(url());
  try {
    const hello = json<{ capabilities: string[] }>(await other.request('{"type":"hello"}'));
    assert.ok(hello.capabilities.includes("process_metrics") && hello.capabilities.includes("journal_entries"), hello.capabilities.join(","));
  } finally {
    await other.close();
  }
});

test("legacy get_process_metrics:<pid>: the original's shape, gzip-binary when over 768 bytes", async () => {
  const frame = await client.request(`get_process_metrics:${childPid}`);
  const text = unzip(frame).toString("utf8");
  if (frame.isBinary) {
    assert.ok(isGzip(frame.data));
    assert.ok(Buffer.byteLength(text) > GZIP_THRESHOLD_BYTES);
  } else {
    assert.ok(Buffer.byteLength(text) <= GZIP_THRESHOLD_BYTES);
  }
  const reply = JSON.parse(text) as Details;
  assert.deepEqual(Object.keys(reply).sort(), ["cached_at", "process"]);
  assert.ok(Math.abs(reply.cached_at - Date.now() / 1000) < 5);
  const p = reply.process;
  checkProcess(p, true);
  assert.equal(p.pid, childPid);
  assert.equal(p.parent_pid, process.pid);
  assert.ok((p.thread_count as number) >= 5);
  assert.ok((p.threads as unknown[]).length >= 5);
  assert.deepEqual((p.child_processes as Array<{ pid: number }>).map((c) => c.pid), [grandchild]);
  assert.equal(p.command, `${process.execPath} ${childScript} 4 e2e`);
  assert.equal(p.working_directory, childCwd);
  assert.equal(p.executable_path, await realpath(process.execPath));
});

test('{"type":"process_metrics","pid":N}: text JSON, the same shape; with an id, an envelope', async () => {
  const frame = await client.request(JSON.stringify({ type: "process_metrics", pid: childPid }));
  assert.equal(frame.isBinary, false);
  const reply = json<Details>(frame);
  checkProcess(reply.process, true);
  assert.equal(reply.process.pid, childPid);

  const enveloped = json<{ id: number; type: string; data: Details }>(await client.request(JSON.stringify({ type: "process_metrics", pid: childPid, id: 7 })));
  assert.equal(enveloped.id, 7);
  assert.equal(enveloped.type, "process_metrics");
  checkProcess(enveloped.data.process, true);
});

test("details are cached per pid for 250 ms: back-to-back requests get the same bytes", async () => {
  // a pid not asked for yet, so the window starts now
  const a = await client.request(`get_process_metrics:${grandchild}`);
  const b = await client.request(`get_process_metrics:${grandchild}`);
  assert.deepEqual(a.data, b.data);
  assert.equal((json<Details>(a).process as { pid: number }).pid, grandchild);
});

test("a missing pid gets the original's error object, in each dialect", async () => {
  const gone = vanishedPid();
  const pid = existsSync(`/proc/${gone}`) ? 4_000_000_000 : gone;
  assert.deepEqual(json(await client.request(`get_process_metrics:${pid}`)), {
    error: `Process ${pid} not found`,
    request: "get_process_metrics",
    pid,
  });
  assert.deepEqual(json(await client.request(JSON.stringify({ type: "process_metrics", pid }))), {
    error: `Process ${pid} not found`,
    request: "process_metrics",
    pid,
  });
  assert.deepEqual(json(await client.request(`get_journal_entries:${pid}`)), {
    error: `Process ${pid} not found`,
    request: "get_journal_entries",
    pid,
  });
});

test("a kernel thread gets the error object", async (ctx) => {
  const kthread = kernelThreadPid();
  if (kthread === undefined) {
    ctx.skip("no kernel thread visible in this pid namespace");
    return;
  }
  const reply = json<{ error: string; request: string; pid: number }>(await client.request(`get_process_metrics:${kthread}`));
  assert.deepEqual(Object.keys(reply).sort(), ["error", "pid", "request"]);
  assert.equal(reply.request, "get_process_metrics");
  assert.equal(reply.pid, kthread);
  assert.match(reply.error, /kernel thread/);
});

test("malformed pids: error objects with pid null", async () => {
  for (const command of ["get_process_metrics", "get_journal_entries"]) {
    for (const arg of ["abc", "-1", "99999999999", "", "0"]) {
      const reply = json<{ error: string; request: string; pid: null }>(await client.request(`${command}:${arg}`));
      assert.deepEqual(Object.keys(reply).sort(), ["error", "pid", "request"], `${command}:${arg}`);
      assert.equal(reply.request, command);
      assert.equal(reply.pid, null);
      assert.match(reply.error, /pid/i);
    }
  }
  const reply = json<{ request: string; pid: null }>(await client.request('{"type":"process_metrics","pid":"x"}'));
  assert.equal(reply.request, "process_metrics");
  assert.equal(reply.pid, null);
});

test("journal: entries newest first in both dialects, one journalctl run per second per pid", async () => {
  const countRuns = async (): Promise<number> =>
    existsSync(journalRuns) ? (await readFile(journalRuns, "utf8")).split("\n").filter((l) => l !== "").length : 0;
  const before = await countRuns();
  const legacy = json<{ entries: Array<Record<string, unknown>>; total_count: number; truncated: boolean; cached_at: number }>(
    await client.request(`get_journal_entries:${childPid}`),
  );
  assert.deepEqual(Object.keys(legacy).sort(), ["cached_at", "entries", "total_count", "truncated"]);
  assert.equal(legacy.total_count, 2);
  assert.equal(legacy.truncated, false);
  for (const entry of legacy.entries) assert.deepEqual(Object.keys(entry).sort(), ENTRY_KEYS);
  assert.deepEqual(legacy.entries.map((e) => [e.message, e.priority]), [["hi", "Info"], ["older", "Warning"]]);
  const seed = json(await client.request(JSON.stringify({ type: "journal_entries", pid: childPid })));
  assert.deepEqual(seed, legacy);
  const enveloped = json<{ id: string; type: string; data: unknown }>(await client.request(JSON.stringify({ type: "journal_entries", pid: childPid, id: "j" })));
  assert.deepEqual(enveloped, { id: "j", type: "journal_entries", data: legacy });
  assert.equal((await countRuns()) - before, 1);
  assert.match(await readFile(journalRuns, "utf8"), new RegExp(`^_PID=${childPid} --output=json --lines=100 --no-pager$`, "m"));
});

test("pipelined: a slow journal request then a details request come back in request order", async () => {
  // another pid, so the journal is not cached and journalctl takes its 200 ms
  client.send(`get_journal_entries:${grandchild}`);
  client.send(`get_process_metrics:${grandchild}`);
  const first = json<Record<string, unknown>>(await client.next());
  const second = json<Record<string, unknown>>(await client.next());
  assert.ok("entries" in first, "journal reply first");
  assert.equal((second.process as { pid: number }).pid, grandchild);
});

test("protocol 2: a missing pid is a typed error frame with the request id", async () => {
  const v2 = await TestClient.connect(url());
  try {
    await v2.request('{"type":"hello"}');
    const frame = json(await v2.request('{"type":"process_metrics","pid":4000000000,"id":9}'));
    assert.deepEqual(frame, {
      type: "error",
      code: "NOT_FOUND",
      error: "Process 4000000000 not found",
      request: "process_metrics",
      pid: 4000000000,
      id: 9,
    });
  } finally {
    await v2.close();
  }
});

test("the journal error object when journalctl is missing", async () => {
  const missing = createDetailsHandlers({ log: silentLogger, journalctl: join(dir, "nope", "journalctl") });
  const reply = await missing.extraHandlers.journal_entries!({ kind: "journal_entries", dialect: "legacy", pid: process.pid }, { protocol: 1 });
  assert.deepEqual(JSON.parse(reply.data as string), {
    error: `Cannot read the journal: ${join(dir, "nope", "journalctl")} not found (systemd's journalctl is not installed)`,
    request: "get_journal_entries",
    pid: process.pid,
  });
});
