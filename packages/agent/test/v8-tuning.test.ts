/**
 * The agent's and TUI's V8 tuning (src/v8-tuning.ts) takes effect from inside
 * the process: the young generation stays at its initial size under an
 * allocation pattern that makes V8 grow it otherwise, and an operator's own
 * semi-space option is left alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

// The built module (npm test builds first): loading TypeScript through tsx would itself grow the heap before the tuning runs.
const tuning = new URL("../dist/v8-tuning.js", import.meta.url).href;

// Keeps many young objects alive across scavenges (what makes V8 grow the semi-spaces), then prints the new space's size in MiB.
const WORKLOAD = `
const v8 = require("node:v8");
const keep = [];
for (let round = 0; round < 200; round++) {
  const batch = [];
  for (let i = 0; i < 5000; i++) batch.push({ i, s: "x" + i });
  keep.push(batch);
  if (keep.length > 20) keep.shift();
}
const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
process.stdout.write(String(ns.space_size / 2 ** 20));
`;

function newSpaceMiB(nodeArgs: string[]): number {
  const out = execFileSync(process.execPath, [...nodeArgs, "-e", WORKLOAD], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  return Number(out);
}

test("with the tuning loaded the young generation stays at its initial size; without it V8 grows it", () => {
  const untuned = newSpaceMiB([]);
  const tuned = newSpaceMiB(["--import", tuning]);
  assert.ok(untuned > 2, `the workload makes V8 grow the new space (${untuned} MiB)`);
  assert.ok(tuned <= 2, `tuned: ${tuned} MiB`);
});

test("an operator's own semi-space option is left as given", () => {
  const given = newSpaceMiB(["--max-semi-space-size=8", "--import", tuning]);
  assert.ok(given > 2, `--max-semi-space-size=8 still lets it grow (${given} MiB)`);
});
