import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { HOSTNAME_TTL_MS, hostnameCollector } from "../../src/collectors/hostname.js";

test("the host name is looked up once per window, and a rename shows after it", async () => {
  let now = 0;
  let name = "before";
  let lookups = 0;
  const collector = hostnameCollector(
    10_000,
    () => {
      lookups++;
      return name;
    },
    () => now,
  );
  assert.equal(await collector.collect(), "before");
  name = "after";
  now = 9_999;
  assert.equal(await collector.collect(), "before", "within the window: the name looked up");
  assert.equal(lookups, 1);
  now = 10_000;
  assert.equal(await collector.collect(), "after", "the window over: looked up again");
  assert.equal(lookups, 2);
});

test("live: the collector reports the kernel's host name", async () => {
  assert.ok(HOSTNAME_TTL_MS > 0);
  assert.equal(await hostnameCollector().collect(), hostname());
});
