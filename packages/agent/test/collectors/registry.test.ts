/** The collector registry: failure isolation, statuses, rate-limited log lines. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CollectorFailure, CollectorRegistry, type Collector } from "../../src/collectors/collector.js";
import { createLogger } from "../../src/log.js";

function recordingLog(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger((t) => lines.push(t.trimEnd())) };
}

function flaky(name: string, state: { fail: boolean }): Collector<number> {
  return {
    name,
    collect: async () => {
      if (state.fail) throw new Error("cannot read /x/meminfo");
      return 42;
    },
  };
}

test("a failing collector yields null and a status, a working one its value", async () => {
  const { log } = recordingLog();
  let clock = 0;
  const registry = new CollectorRegistry({ log, now: () => clock });
  const bad = { name: "memory", collect: async (): Promise<number> => {
    clock += 3;
    throw new Error("cannot read /x/meminfo");
  } };
  const good = { name: "cpu", collect: async () => {
    clock += 2;
    return 7;
  } };
  const [m, c] = await Promise.all([registry.value(bad), registry.value(good)]);
  assert.equal(m, null);
  assert.equal(c, 7);
  const statuses = Object.fromEntries(registry.statuses().map((s) => [s.name, s]));
  assert.equal(statuses.memory?.success, false);
  assert.equal(statuses.cpu?.success, true);
  assert.ok((statuses.cpu?.durationSeconds ?? -1) >= 0);
});

test("require() rejects with a CollectorFailure naming the collector and the reason", async () => {
  const registry = new CollectorRegistry({ log: recordingLog().log });
  await assert.rejects(async () => registry.require(flaky("disks", { fail: true })), (error: unknown) => {
    assert.ok(error instanceof CollectorFailure);
    assert.equal(error.collector, "disks");
    assert.match(error.message, /^disks collector failed: cannot read \/x\/meminfo$/);
    return true;
  });
});

test("a collector that keeps failing is logged once, then at most once per interval; recovery once", async () => {
  const { lines, log } = recordingLog();
  let clock = 0;
  const registry = new CollectorRegistry({ log, now: () => clock, logIntervalMs: 60_000 });
  const state = { fail: true };
  const memory = flaky("memory", state);
  for (let i = 0; i < 100; i++) {
    clock += 100; // 100 reads over 10 s
    await registry.value(memory);
  }
  assert.deepEqual(lines, ["socktop_agent: warning: memory collector failed: cannot read /x/meminfo (its fields are left empty)"]);
  clock += 60_000;
  await registry.value(memory);
  assert.equal(lines.length, 2);
  state.fail = false;
  await registry.value(memory);
  await registry.value(memory);
  assert.deepEqual(lines.slice(2), ["socktop_agent: memory collector works again"]);
  assert.equal(registry.statuses()[0]?.success, true);
});

test("a collector that throws synchronously is isolated too", async () => {
  const registry = new CollectorRegistry({ log: recordingLog().log });
  const broken: Collector<number> = {
    name: "broken",
    collect: () => {
      throw new TypeError("bug");
    },
  };
  assert.equal(await registry.value(broken), null);
  assert.equal(registry.statuses()[0]?.success, false);
});

test("a collector that has its data at once is answered at once: its value, or null / a thrown CollectorFailure, recorded either way", () => {
  const { lines, log } = recordingLog();
  const registry = new CollectorRegistry({ log });
  let fail = false;
  const atOnce: Collector<number> = {
    name: "memory",
    collect: () => {
      if (fail) throw new Error("cannot read /x/meminfo");
      return 7;
    },
  };
  assert.equal(registry.value(atOnce), 7, "the value itself, not a promise");
  assert.equal(registry.require(atOnce), 7);
  fail = true;
  assert.equal(registry.value(atOnce), null);
  assert.throws(() => registry.require(atOnce), (error: unknown) => error instanceof CollectorFailure && error.collector === "memory");
  assert.equal(registry.statuses()[0]?.success, false);
  assert.deepEqual(lines.filter((line) => line.includes("memory collector failed")).length, 1, "logged once while it keeps failing");
  fail = false;
  assert.equal(registry.value(atOnce), 7);
  assert.equal(registry.statuses()[0]?.success, true);
});
