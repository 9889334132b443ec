/** The bounded, de-duplicating wrapper around systeminformation (bounded-si.ts), call by call. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { boundedSystemInformation, SiCallTimeout, withDeadline } from "../../src/portable/bounded-si.js";
import { requireSystemInformation, type SystemInformation } from "../../src/portable/system-information.js";

/** The real library, with mem() replaced by a call the test settles by hand (with a real reading taken before). */
async function withControlledMem(): Promise<{ si: SystemInformation; starts: () => number; settle: () => void; fail: (e: Error) => void }> {
  const real = requireSystemInformation();
  const reading = await real.mem();
  let starts = 0;
  let settle = (): void => {};
  let fail = (_e: Error): void => {};
  const si: SystemInformation = {
    ...real,
    mem: () => {
      starts++;
      return new Promise((resolve, reject) => {
        settle = () => resolve({ ...reading });
        fail = reject;
      });
    },
  };
  return { si, starts: () => starts, settle: () => settle(), fail: (e) => fail(e) };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test("concurrent callers share one call; each gets its answer", async () => {
  const c = await withControlledMem();
  const si = boundedSystemInformation(c.si, { timeoutMs: 2000 });
  const both = Promise.all([si.mem(), si.mem()]);
  c.settle();
  const [a, b] = await both;
  assert.equal(c.starts(), 1);
  assert.equal(a, b);
  assert.ok(a.total > 0);
  const again = si.mem();
  assert.equal(c.starts(), 2, "a settled call is started afresh");
  c.settle();
  await again;
});

test("a call past its bound: SiCallTimeout naming it; later callers told at once; started again only once it answered", async () => {
  const c = await withControlledMem();
  const si = boundedSystemInformation(c.si, { timeoutMs: 100 });
  let t = performance.now();
  await assert.rejects(si.mem(), (error: unknown) => {
    assert.ok(error instanceof SiCallTimeout);
    assert.equal(error.call, "mem()");
    assert.match(error.message, /^systeminformation mem\(\) gave no answer within 100 ms \(running for 0\.\d s; /);
    return true;
  });
  assert.ok(performance.now() - t >= 95, "not before its bound");
  t = performance.now();
  await assert.rejects(si.mem(), SiCallTimeout);
  assert.ok(performance.now() - t < 50, "a known-stuck call is reported at once");
  assert.equal(c.starts(), 1, "not started again while stuck");
  c.settle();
  await turn();
  const p = si.mem();
  assert.equal(c.starts(), 2, "started again once the stuck one answered");
  c.settle();
  assert.ok((await p).total > 0);
});

test("arguments are part of the call: networkStats of different interfaces run apart", async () => {
  const real = requireSystemInformation();
  const asked: string[] = [];
  const si = boundedSystemInformation({ ...real, networkStats: (ifaces) => (asked.push(ifaces), real.networkStats(ifaces)) });
  await Promise.all([si.networkStats("lo"), si.networkStats("lo"), si.networkStats("lo,eth0")]);
  assert.deepEqual(asked, ["lo", "lo,eth0"]);
});

test("a failure or a synchronous throw reaches the caller as it is", async () => {
  const c = await withControlledMem();
  const si = boundedSystemInformation(c.si, { timeoutMs: 1000 });
  const p = si.mem();
  c.fail(new Error("boom"));
  await assert.rejects(p, /^Error: boom$/);
  const throwing = boundedSystemInformation({
    ...requireSystemInformation(),
    mem: () => {
      throw new Error("sync");
    },
  });
  await assert.rejects(throwing.mem(), /^Error: sync$/);
});

test("withDeadline: the value when in time, the fallback after; its timer is gone once the promise settled", async () => {
  assert.equal(await withDeadline(Promise.resolve(1), 1000, () => 2), 1);
  assert.equal(await withDeadline(new Promise<number>(() => {}), 10, () => 2), 2);
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  const pending = withDeadline(new Promise<number>((r) => setImmediate(() => r(3))), 60_000, () => 0);
  assert.equal(timers(), before + 1, "a deadline while the call runs");
  assert.equal(await pending, 3);
  assert.equal(timers(), before, "none after");
});
