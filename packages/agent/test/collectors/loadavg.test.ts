import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseLoadavg, parseUptime, readLoadavgSync, readUptimeSync } from "../../src/collectors/loadavg.js";

describe("parseLoadavg", () => {
  it("reads the three averages and the task counts", () => {
    assert.deepEqual(parseLoadavg("0.52 0.58 0.59 2/1234 5678\n"), { one: 0.52, five: 0.58, fifteen: 0.59, running: 2, total: 1234 });
    assert.deepEqual(parseLoadavg("12.00 7.50 3.25 40/754 99"), { one: 12, five: 7.5, fifteen: 3.25, running: 40, total: 754 });
  });

  it("rejects anything else", () => {
    for (const bad of ["", "0.1 0.2", "a b c 1/2 3", "0.1 0.2 0.3 12 3", "0.1 0.2 0.3 x/2 3", "-1 0 0 1/2 3"]) {
      assert.equal(parseLoadavg(bad), null, JSON.stringify(bad));
    }
  });
});

describe("parseUptime", () => {
  it("reads uptime and idle seconds", () => {
    assert.deepEqual(parseUptime("12345.67 23456.78\n"), { uptimeSeconds: 12345.67, idleSeconds: 23456.78 });
  });
  it("rejects anything else", () => {
    for (const bad of ["", "12", "x y", "1e3 2"]) assert.equal(parseUptime(bad), null, JSON.stringify(bad));
  });
});

describe("readers", () => {
  it("return null when the files are missing (some containers hide them)", async () => {
    assert.equal(readLoadavgSync("/nonexistent-proc"), null);
    assert.equal(readUptimeSync("/nonexistent-proc"), null);
  });

  it("live: agree with /proc", async () => {
    const load = readLoadavgSync();
    const uptime = readUptimeSync();
    assert.ok(load !== null && uptime !== null);
    const tasks = Number(readFileSync("/proc/loadavg", "utf8").split(" ")[3]?.split("/")[1]);
    assert.ok(Math.abs(load.total - tasks) < 200, "task count close to a fresh read");
    assert.ok(load.one >= 0 && load.five >= 0 && load.fifteen >= 0);
    const fresh = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    assert.ok(Math.abs(uptime.uptimeSeconds - fresh) < 5);
  });
});
