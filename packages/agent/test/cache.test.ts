import { test } from "node:test";
import assert from "node:assert/strict";
import { KeyedTtlCache, TtlCache } from "../src/cache.js";

test("TtlCache loads once per window and shares in-flight loads", async () => {
  let now = 0;
  let loads = 0;
  const cache = new TtlCache(250, async () => ++loads, () => now);
  const [a, b, c] = await Promise.all([cache.get(), cache.get(), cache.get()]);
  assert.deepEqual([a, b, c], [1, 1, 1]);
  now = 249;
  assert.equal(await cache.get(), 1);
  now = 250;
  assert.equal(await cache.get(), 2);
  assert.equal(loads, 2);
});

test("TtlCache does not cache failures", async () => {
  let fail = true;
  const cache = new TtlCache(1000, async () => {
    if (fail) throw new Error("boom");
    return "ok";
  });
  await assert.rejects(async () => cache.get(), /boom/);
  fail = false;
  assert.equal(await cache.get(), "ok");
});

test("TtlCache answers a load that has its value at once at once, and a load that throws with a rejection", async () => {
  let loads = 0;
  let fail = false;
  const cache = new TtlCache(1000, () => {
    loads++;
    if (fail) throw new Error("cannot read");
    return loads;
  });
  assert.equal(cache.get(), 1, "the value itself, not a promise");
  assert.equal(cache.get(), 1, "cached");
  const failing = new TtlCache(0, () => {
    fail = true;
    throw new Error("cannot read");
  });
  // Never thrown: callers gather caches with Promise.allSettled (prometheus.ts).
  const answer = failing.get();
  assert.ok(answer instanceof Promise);
  await assert.rejects(answer, /cannot read/);
});

test("TtlCache with ttl 0 loads every time", async () => {
  let loads = 0;
  const cache = new TtlCache(0, async () => ++loads);
  await cache.get();
  await cache.get();
  assert.equal(loads, 2);
});

test("KeyedTtlCache caches per key and stays bounded", async () => {
  const loaded: number[] = [];
  const cache = new KeyedTtlCache(10_000, async (k: number) => {
    loaded.push(k);
    return k * 2;
  }, 2);
  assert.equal(await cache.get(1), 2);
  assert.equal(await cache.get(1), 2);
  await cache.get(2);
  await cache.get(3); // evicts 1
  await cache.get(1);
  assert.deepEqual(loaded, [1, 2, 3, 1]);
});
