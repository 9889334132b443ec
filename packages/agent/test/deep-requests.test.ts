/**
 * The issue-15 requests against a live agent: protocol-2 process rows (and
 * the unchanged protocol-1 bytes), a child process tree, load, disk I/O and
 * cgroups in both dialects.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { decodeProcessList, encodeProcessList, type ProcessEntry } from "@socktop/protocol";
import { processListReply } from "../src/replies.js";
import { TestClient, json, startTestAgent, unzip, wsUrl } from "./helpers/agent.js";
import { materialise, removeTrees } from "./helpers/tree.js";
import type { StartedAgent } from "../src/agent.js";

let agent: StartedAgent;
let v1: TestClient;
let v2: TestClient;
let tree: ChildProcess;
const etcRoot = materialise({ "etc/passwd": "root:x:0:0:root:/root:/bin/bash\nsocktop-test-user:x:0:0::/:/bin/false\n" });

before(async () => {
  // A parent with two children: `sh` runs two sleeps (one in the background) and waits.
  // Its own process group, so that the test can end exactly the processes it started.
  tree = spawn("sh", ["-c", "sleep 61 & sleep 62; wait"], { stdio: "ignore", detached: true });
  await new Promise((r) => setTimeout(r, 300));
  // A long process TTL: every request in a test sees the same snapshot.
  agent = await startTestAgent({ processesTtlMs: 60_000 }, { etcRoot });
  v1 = await TestClient.connect(wsUrl(agent));
  v2 = await TestClient.connect(wsUrl(agent), {}, ["socktop.v2"]);
  await v2.next(); // the pushed hello
});
after(async () => {
  if (tree.pid !== undefined) process.kill(-tree.pid, "SIGKILL");
  await v1.close();
  await v2.close();
  await agent.close();
  removeTrees();
});

describe("process rows", () => {
  it("protocol-1 replies are the basic encoding of the very snapshot protocol 2 gets richer", async () => {
    const seed = await v1.request('{"type":"processes"}');
    const legacy = await v1.request("get_processes");
    const rich = await v2.request('{"type":"processes"}');
    const snapshot: ProcessEntry[] = await agent.sources.processes.get();
    const expected = processListReply(snapshot, "basic").data as Buffer;
    assert.ok(seed.data.equals(expected), "seed dialect: basic bytes");
    assert.ok(legacy.data.equals(expected), "legacy dialect: basic bytes");
    const basicRows = decodeProcessList(unzip(seed)).processes;
    assert.ok(basicRows.every((p) => Object.keys(p).length === 4), "four fields only");
    assert.ok(unzip(seed).equals(Buffer.from(encodeProcessList(snapshot.map(({ pid, name, cpu_usage, mem_bytes }) => ({ pid, name, cpu_usage, mem_bytes }))))));
    const richRows = decodeProcessList(unzip(rich)).processes;
    assert.equal(richRows.length, basicRows.length);
    assert.ok(rich.data.length > seed.data.length);
    const self = richRows.find((p) => p.pid === process.pid);
    assert.equal(self?.ppid, process.ppid);
    assert.equal(self?.uid, process.getuid?.());
    assert.equal(self?.user, "root", "names from the injected passwd file (the first entry for uid 0 wins)");
    assert.match(self?.state ?? "", /^[RS]$/);
    assert.ok((self?.threads ?? 0) >= 1);
    assert.ok(Math.abs((self?.start_time ?? 0) - (Date.now() / 1000 - process.uptime())) < 5, "start time in unix seconds");
    assert.ok(self?.command?.startsWith(process.execPath), self?.command);
    assert.ok(richRows.every((p) => (p.command ?? "").length <= 256));
    const kthread = richRows.find((p) => p.pid === 2);
    if (kthread !== undefined) assert.equal(kthread.command, "", "kernel threads have no command line");
  });

  it("a child process tree appears under its parent", async () => {
    // The tree was started before the agent, so it is in the (cached) snapshot.
    const rows = decodeProcessList(unzip(await v2.request('{"type":"processes"}'))).processes;
    const parent = rows.find((p) => p.pid === tree.pid);
    assert.ok(parent !== undefined, "the shell is listed");
    assert.equal(parent.ppid, process.pid);
    const children = rows.filter((p) => p.ppid === tree.pid).map((p) => p.command).sort();
    assert.deepEqual(children, ["sleep 61", "sleep 62"]);
  });
});

describe("load, disk I/O and cgroups", () => {
  it("load: the same values in both dialects, an envelope with an id", async () => {
    const seed = json<Record<string, number>>(await v1.request('{"type":"load"}'));
    assert.deepEqual(Object.keys(seed), ["load_1", "load_5", "load_15", "runnable", "tasks", "uptime_seconds", "boot_time"]);
    assert.deepEqual(json(await v1.request("get_load")), seed, "one cached reading");
    const enveloped = json<{ id: number; type: string; data: unknown }>(await v2.request('{"type":"load","id":9}'));
    assert.deepEqual(enveloped, { id: 9, type: "load", data: seed });
    assert.ok(Math.abs(seed.boot_time! + seed.uptime_seconds! - Date.now() / 1000) < 5);
  });

  it("disk_io: rates from the reading taken at start-up", async () => {
    const rows = json<Array<Record<string, unknown>>>(await v1.request('{"type":"disk_io"}'));
    assert.ok(rows.length > 0);
    assert.ok(rows.every((r) => typeof r.read_bytes_per_sec === "number"), "the start-up baseline gives the first reply rates");
    assert.deepEqual(json(await v1.request("get_disk_io")), rows);
  });

  it("cgroups: this machine's hierarchy, or the reason it has none", async () => {
    const reply = json<Record<string, unknown>>(await v1.request('{"type":"cgroups"}'));
    assert.equal(typeof reply.available, "boolean");
    if (reply.available === false) assert.match(String(reply.reason), /cgroup/);
    else assert.ok(Array.isArray(reply.groups));
  });

  it("cgroups on a cgroup v1 machine: a clear unavailable reply, not an error", async () => {
    const sys = materialise({ "fs/cgroup/cpu,cpuacct/tasks": "1\n", "fs/cgroup/memory/tasks": "1\n" });
    const v1only = await startTestAgent({ sysRoot: sys });
    const client = await TestClient.connect(wsUrl(v1only));
    try {
      const reply = json<Record<string, unknown>>(await client.request('{"type":"cgroups","id":1}'));
      assert.equal(reply.type, "cgroups");
      const data = reply.data as Record<string, unknown>;
      assert.equal(data.available, false);
      assert.match(String(data.reason), /cgroup v1 only/);
      assert.deepEqual(data.groups, []);
    } finally {
      await client.close();
      await v1only.close();
    }
  });

  it("a fixture cgroup v2 tree through the agent: groups with CPU and memory", async () => {
    const sys = materialise({
      "fs/cgroup/cgroup.controllers": "cpu memory\n",
      "fs/cgroup/system.slice/cgroup.procs": "",
      "fs/cgroup/system.slice/cpu.stat": "usage_usec 10\n",
      "fs/cgroup/system.slice/memory.current": "4096\n",
      "fs/cgroup/system.slice/memory.max": "max\n",
    });
    mkdirSync(`${sys}/fs/cgroup/system.slice/web.service`);
    writeFileSync(`${sys}/fs/cgroup/system.slice/web.service/cgroup.procs`, `${process.pid}\n`);
    writeFileSync(`${sys}/fs/cgroup/system.slice/web.service/cpu.stat`, "usage_usec 5\n");
    const fixtureAgent = await startTestAgent({ sysRoot: sys });
    const client = await TestClient.connect(wsUrl(fixtureAgent));
    try {
      const reply = json<{ available: boolean; hierarchy: string; groups: Array<Record<string, unknown>> }>(await client.request("get_cgroups"));
      assert.equal(reply.hierarchy, "unified");
      assert.deepEqual(
        reply.groups.map((g) => [g.path, g.kind, g.mem_bytes, g.pids]),
        [
          ["/system.slice", "slice", 4096, []],
          ["/system.slice/web.service", "service", null, [process.pid]],
        ],
      );
    } finally {
      await client.close();
      await fixtureAgent.close();
    }
  });
});
