/**
 * A systeminformation call whose child process never exits: the real library,
 * with a `ps` first on PATH that blocks for ever (as `ps` does when it reads a
 * process stuck in the kernel). The replies must come after a bounded time
 * with a precise error or null fields, the stuck `ps` must not be started
 * again per request, and the other fields must still be served.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetricsSources } from "../../src/sources.js";
import { silentLogger } from "../../src/log.js";
import { testConfig } from "../helpers/agent.js";
import { portableBackend } from "../../src/portable/backend.js";
import { boundedSystemInformation, SiCallTimeout } from "../../src/portable/bounded-si.js";
import { PortableDetailsReader } from "../../src/portable/details.js";
import { requireSystemInformation } from "../../src/portable/system-information.js";

const BOUND_MS = 800;

test("a stuck `ps` under si.processes(): bounded errors naming the call, one stuck child, other fields served", { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "socktop-stuck-ps-"));
  const pids = join(dir, "pids");
  writeFileSync(pids, "");
  // Records its pid, then blocks: `exec` keeps that pid, so the test ends exactly what it started.
  writeFileSync(join(dir, "ps"), `#!/bin/sh\necho $$ >> '${pids}'\nexec sleep 300\n`);
  chmodSync(join(dir, "ps"), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path ?? ""}`;
  const started = (): number[] => readFileSync(pids, "utf8").split("\n").filter(Boolean).map(Number);
  try {
    const si = boundedSystemInformation(requireSystemInformation(), { timeoutMs: BOUND_MS });
    const sources = new MetricsSources({
      ...testConfig({ metricsTtlMs: 0, processesTtlMs: 0, gpuEnabled: false, temperatureEnabled: false }),
      log: silentLogger,
      backend: portableBackend({ gpuEnabled: false, temperatureEnabled: false, systemInformation: si }),
    });

    // The backend's start-up listing is stuck: a metrics request waits for it at most
    // FIRST_COUNT_WAIT_MS, then reports the count as unknown; memory and CPU are there.
    let t = performance.now();
    const metrics = await sources.metrics.get();
    assert.ok(performance.now() - t < 3000, `metrics took ${performance.now() - t} ms`);
    assert.equal(metrics.processCount, null);
    assert.ok(metrics.memTotal !== null && metrics.memTotal > 0);
    assert.ok(metrics.cpuTotal !== null);

    // The process list fails with the si call named, within the bound of that call.
    t = performance.now();
    await assert.rejects(async () => sources.processes.get(), (error: Error) => {
      assert.match(error.message, /^processes collector failed: systeminformation processes\(\) gave no answer within 800 ms/);
      return true;
    });
    assert.ok(performance.now() - t < BOUND_MS + 1000, `the list failed after ${performance.now() - t} ms`);

    // Still stuck: later requests are told at once, and no second `ps` is started.
    t = performance.now();
    await assert.rejects(async () => sources.processes.get(), /still|gave no answer/);
    const details = new PortableDetailsReader(si, { platform: process.platform, cores: 1 });
    await assert.rejects(details.read(process.pid), SiCallTimeout);
    assert.ok(performance.now() - t < 200, `a known-stuck call answered after ${performance.now() - t} ms`);
    assert.equal((await sources.metrics.get()).processCount, null);
    assert.equal(started().length, 1, "one stuck ps, not one per request");
  } finally {
    process.env.PATH = path;
    for (const pid of started()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
