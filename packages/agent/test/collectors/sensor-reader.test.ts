import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SensorReader, threadpoolSize } from "../../src/collectors/sensor-reader.js";
import { makeFifos, releaseFifos, until } from "../helpers/fifo.js";
import { materialise, removeTrees } from "../helpers/tree.js";

test.after(removeTrees);

const elapsedSince = (t0: number): number => performance.now() - t0;

test("a sensor that never answers reads as slow after the timeout, and is not read again while it hangs", async () => {
  const root = materialise({ "ok/temp1_input": "42000\n" });
  const hung = join(root, "hung");
  makeFifos(hung);
  const lines: string[] = [];
  const reader = new SensorReader({ timeoutMs: 200, slowForMs: 100, log: (l) => lines.push(l) });
  try {
    let t0 = performance.now();
    assert.deepEqual(await reader.read(hung), { kind: "slow" });
    const waited = elapsedSince(t0);
    assert.ok(waited >= 190 && waited < 1200, `answered after the timeout, not before nor much later (${waited.toFixed(0)} ms)`);
    assert.equal(reader.stuckCount, 1);
    assert.equal(lines.filter((l) => l.includes("did not answer within 200 ms")).length, 1);

    // Asked again while its read is still blocked: at once, without another open (one thread at most per hung sensor).
    t0 = performance.now();
    assert.equal(await reader.readText(hung), null);
    assert.ok(elapsedSince(t0) < 100, `a known-hung sensor is not waited for (${elapsedSince(t0).toFixed(0)} ms)`);
    assert.equal(reader.stuckCount, 1);
    assert.equal(lines.length, 1, "logged once, not per request");

    // Other sensors are read meanwhile.
    assert.equal(await reader.readText(join(root, "ok/temp1_input")), "42000\n");

    // The device answers at last: its thread is freed, and the path rests for slowForMs before it is read again.
    releaseFifos([hung]);
    await until(() => reader.stuckCount === 0, 5000, "the stuck read to return");
    assert.match(lines.at(-1) ?? "", /answered after \d+ ms/);
    assert.deepEqual(await reader.read(hung), { kind: "skipped" }, "still resting");
    await unlink(hung);
    await writeFile(hung, "43000\n");
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await reader.readText(hung), "43000\n", "read again once the rest is over");
  } finally {
    releaseFifos([hung]);
  }
});

test("absent files and driver errors are no value, promptly, and not 'slow'", async () => {
  const root = materialise({ "dir/x": "" });
  const reader = new SensorReader({ timeoutMs: 1000 });
  assert.deepEqual(await reader.read(join(root, "missing")), { kind: "absent" });
  assert.deepEqual(await reader.read(join(root, "dir")), { kind: "absent" }, "EISDIR");
  assert.deepEqual(await reader.read(join(root, "dir/x")), { kind: "text", text: "" });
  const big = "9".repeat(10_000);
  await writeFile(join(root, "big"), big);
  assert.equal(await reader.readText(join(root, "big")), big, "read whole past the first buffer");
  assert.equal(reader.stuckCount, 0);
});

test("concurrent reads of one path share one read", async () => {
  const root = materialise({ "temp1_input": "40000\n" });
  const reader = new SensorReader();
  const path = join(root, "temp1_input");
  const a = reader.read(path);
  const b = reader.read(path);
  assert.equal(a, b);
  assert.deepEqual(await a, { kind: "text", text: "40000\n" });
});

test("hung sensors never take the whole threadpool: at most half of it, the rest answer null at once", async () => {
  const root = materialise({ "ok/temp1_input": "42000\n" });
  const fifos = Array.from({ length: 6 }, (_, i) => join(root, `hung${i}`));
  makeFifos(...fifos);
  const lines: string[] = [];
  const reader = new SensorReader({ timeoutMs: 300, log: (l) => lines.push(l) });
  const slots = Math.max(1, Math.floor(threadpoolSize() / 2));
  try {
    const t0 = performance.now();
    const readings = await Promise.all(fifos.map((p) => reader.read(p)));
    const waited = elapsedSince(t0);
    assert.equal(readings.filter((r) => r.kind === "slow").length, slots, "the reads that got a slot timed out");
    assert.ok(readings.every((r) => r.kind === "slow" || r.kind === "skipped"), "the others were refused");
    assert.ok(waited < 300 + 1500, `all answered within one timeout and a margin (${waited.toFixed(0)} ms)`);
    assert.equal(reader.stuckCount, slots, "only the reads that got a slot are blocked in the kernel");

    // The threadpool still serves the rest of the process (without the limit, 6 blocked opens would hold all 4 threads).
    const other = await Promise.race([
      readFile(join(root, "ok/temp1_input"), "utf8"),
      new Promise((r) => setTimeout(() => r("no thread left"), 1500)),
    ]);
    assert.equal(other, "42000\n", "fs.promises still answers");

    // With every slot held by a hung read, a healthy sensor is refused at once rather than queued to its deadline.
    const t2 = performance.now();
    assert.deepEqual(await reader.read(join(root, "ok/temp1_input")), { kind: "skipped" });
    assert.ok(elapsedSince(t2) < 100);
    assert.ok(lines.some((l) => /sensor reads are hung/.test(l)));

    releaseFifos(fifos);
    await until(() => reader.stuckCount === 0, 5000, "the stuck reads to return");
    assert.equal(await reader.readText(join(root, "ok/temp1_input")), "42000\n", "a freed slot serves again");
  } finally {
    releaseFifos(fifos);
  }
});
