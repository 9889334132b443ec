/**
 * Failure isolation end to end: an agent whose /proc root has an unreadable
 * meminfo still answers metrics requests in every dialect, with memory null
 * (0 where the original client requires numbers) and the rest present, and
 * Prometheus shows the memory collector failing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../src/log.js";
import { TestClient, json, startTestAgent, wsUrl } from "./helpers/agent.js";

const fixture = new URL("./fixtures/proc-basic/", import.meta.url).pathname;

async function procRootWithBrokenMeminfo(how: "directory" | "missing"): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "socktop-isolation-"));
  await cp(fixture, root, { recursive: true });
  await rm(join(root, "meminfo"));
  // A directory where the file should be: open() works, read() fails with EISDIR (not "absent").
  if (how === "directory") await mkdir(join(root, "meminfo"));
  return root;
}

for (const how of ["directory", "missing"] as const) {
  test(`meminfo ${how === "directory" ? "unreadable" : "missing"}: metrics still answer, memory null, the rest present`, async (t) => {
    const procRoot = await procRootWithBrokenMeminfo(how);
    const lines: string[] = [];
    const agent = await startTestAgent(
      { procRoot, sysRoot: join(procRoot, "no-sys"), prometheus: { enabled: true, port: null, topProcesses: 0 } },
      {},
      createLogger((l) => lines.push(l), true),
    );
    t.after(async () => {
      await agent.close();
      await rm(procRoot, { recursive: true, force: true });
    });
    const client = await TestClient.connect(wsUrl(agent));
    t.after(() => client.socket.terminate());

    client.send(JSON.stringify({ type: "metrics" }));
    const seed = json<Record<string, unknown>>(await client.next());
    assert.equal(seed.error, undefined, JSON.stringify(seed));
    assert.equal(seed.mem_total, null);
    assert.equal(seed.mem_used, null);
    assert.equal(seed.swap_total, null);
    assert.equal(seed.swap_used, null);
    // The fixture's /proc/stat and /proc/net/dev are still read.
    assert.equal((seed.cpu_per_core as number[]).length, 4);
    assert.deepEqual(
      (seed.networks as Array<{ name: string }>).map((n) => n.name),
      ["lo", "eth0", "wlp2s0"],
    );
    assert.equal(typeof seed.hostname, "string");

    // The original client requires numbers: 0 rather than a reply it would reject.
    client.send("get_metrics");
    const legacy = json<Record<string, unknown>>(await client.next());
    assert.equal(legacy.mem_total, 0);
    assert.equal(legacy.swap_used, 0);
    assert.equal((legacy.networks as unknown[]).length, 3);

    client.send(JSON.stringify({ type: "metrics", id: 5 }));
    const v2 = json<{ id: number; data: Record<string, unknown> }>(await client.next());
    assert.equal(v2.id, 5);
    assert.equal(v2.data.mem_total, null);
    assert.equal(v2.data.process_count, 0);

    const body = await (await fetch(`http://127.0.0.1:${agent.address.port}/metrics`)).text();
    assert.match(body, /^socktop_collector_success\{collector="memory"\} 0$/m);
    assert.match(body, /^socktop_collector_success\{collector="cpu"\} 1$/m);
    assert.match(body, /^socktop_collector_success\{collector="network"\} 1$/m);
    assert.match(body, /^socktop_collector_duration_seconds\{collector="memory"\} [0-9.e-]+$/m);
    assert.doesNotMatch(body, /^socktop_memory_total_bytes/m);
    assert.match(body, /^socktop_network_receive_bytes_total\{device="eth0"\} 1234567890$/m);

    // One log line for the failure however many requests saw it.
    const failures = lines.filter((l) => l.includes("memory collector failed"));
    assert.equal(failures.length, 1, lines.join(""));
    assert.match(failures[0] ?? "", new RegExp(`cannot read ${procRoot}/meminfo|EISDIR`));
  });
}
