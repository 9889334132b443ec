/**
 * The agent's and TUI's V8 tuning (src/v8-tuning.ts) takes effect from inside
 * the process: the young generation stays at its initial size under an
 * allocation pattern that makes V8 grow it otherwise, grows again once many
 * clients are connected, and an operator's own semi-space option is left alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

// The built module (npm test builds first): loading TypeScript through tsx would itself grow the heap before the tuning runs.
const tuning = new URL("../dist/v8-tuning.js", import.meta.url).href;

// Keeps many young objects alive across scavenges (what makes V8 grow the semi-spaces), `afterEachRound` run between batches.
const growLoop = (rounds: number, afterEachRound = ""): string => `
const keep = [];
for (let round = 0; round < ${rounds}; round++) {
  const batch = [];
  for (let i = 0; i < 5000; i++) batch.push({ i, s: "x" + i });
  keep.push(batch);
  if (keep.length > 20) keep.shift();
  ${afterEachRound}
}
keep.length = 0;
`;
const GROW = growLoop(200);

// The workload, then the new space's size in MiB.
const WORKLOAD = `
const v8 = require("node:v8");
${GROW}
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

test("a script that only mentions a semi-space option is not the operator's choice", () => {
  // `node -e` puts the script's text in execArgv, beside the options.
  const out = execFileSync(process.execPath, ["--import", tuning, "-e", `/* --max-semi-space-size=8 */ ${WORKLOAD}`], {
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  assert.ok(Number(out) <= 2, `tuned despite the script's text: ${out} MiB`);
});

test("busy: one growth to BUSY_SEMI_SPACE_MIB, then held; crowded: V8's growth; few clients again: held", async () => {
  // An ES module run in a child: imports the tuning, grows under load (yielding between batches, as a
  // server does between requests), then reports the new space at each step.
  const script = `
import { adaptToClients, BUSY_CLIENTS, CROWDED_CLIENTS } from ${JSON.stringify(tuning)};
import v8 from "node:v8";
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size / 2 ** 20;
const grow = async () => { ${growLoop(400, "await new Promise((resolve) => setImmediate(resolve));")} };
const steps = {};
await grow();
steps.idle = newSpace();
steps.few = adaptToClients(10);
steps.busy = adaptToClients(BUSY_CLIENTS + 1);
await grow();
steps.busyLoaded = newSpace();
await grow();
steps.busyLoadedAgain = newSpace();
steps.crowded = adaptToClients(CROWDED_CLIENTS + 1);
await grow();
steps.crowdedLoaded = newSpace();
steps.stillCrowded = adaptToClients(CROWDED_CLIENTS / 2 + 1);
steps.busyAgain = adaptToClients(CROWDED_CLIENTS / 2);
steps.stillBusy = adaptToClients(BUSY_CLIENTS / 2 + 1);
steps.calm = adaptToClients(BUSY_CLIENTS / 2);
process.stdout.write(JSON.stringify(steps));
`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  type Level = "small" | "busy" | "crowded";
  const steps = JSON.parse(out) as {
    idle: number; few: Level; busy: Level; busyLoaded: number; busyLoadedAgain: number;
    crowded: Level; crowdedLoaded: number; stillCrowded: Level; busyAgain: Level; stillBusy: Level; calm: Level;
  };
  const { BUSY_SEMI_SPACE_MIB } = (await import(tuning)) as typeof import("../src/v8-tuning.js");
  // new_space's size counts both semi-spaces.
  assert.ok(steps.idle <= 2, `held small before the clients come: ${steps.idle} MiB`);
  assert.equal(steps.few, "small");
  assert.equal(steps.busy, "busy");
  assert.equal(steps.busyLoaded, 2 * BUSY_SEMI_SPACE_MIB, "busy: one growth to the busy size");
  assert.equal(steps.busyLoadedAgain, 2 * BUSY_SEMI_SPACE_MIB, "and held there under the same load");
  assert.equal(steps.crowded, "crowded");
  assert.ok(steps.crowdedLoaded > 2 * BUSY_SEMI_SPACE_MIB, `crowded: V8 grows it further (${steps.crowdedLoaded} MiB)`);
  assert.equal(steps.stillCrowded, "crowded", "no flip-flop just below the threshold");
  assert.equal(steps.busyAgain, "busy");
  assert.equal(steps.stillBusy, "busy");
  assert.equal(steps.calm, "small");
});

test("growthFactorTowards: the factor that takes the semi-spaces to the busy size in one growth, 1 once there", async () => {
  const { growthFactorTowards } = (await import(tuning)) as typeof import("../src/v8-tuning.js");
  // Capacities as V8 reports them: a little under the power of two (page headers).
  assert.equal(growthFactorTowards(0.98, 8), 8);
  assert.equal(growthFactorTowards(1.96, 8), 4);
  assert.equal(growthFactorTowards(3.93, 8), 2);
  assert.equal(growthFactorTowards(7.87, 8), 1);
  assert.equal(growthFactorTowards(15.7, 8), 1, "larger (left from the crowded level): held, not shrunk");
});

test("busy: when V8 shrinks the young generation after a quiet spell, it grows back to the busy size under load", async () => {
  // V8 shrinks the semi-spaces at a collection that finds the allocation rate of the last 5 s low
  // (in a server, often its memory reducer's collection): here, a small allocation and a full
  // collection every 0.5 s until it has (measured: after 11 of them, every time).
  const script = `
import { adaptToClients, BUSY_CLIENTS } from ${JSON.stringify(tuning)};
import v8 from "node:v8";
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size / 2 ** 20;
const grow = async () => { ${growLoop(400, "await new Promise((resolve) => setImmediate(resolve));")} };
adaptToClients(BUSY_CLIENTS + 1);
await grow();
const busyLoaded = newSpace();
let small = [];
for (let quiet = 0; quiet < 24 && newSpace() >= busyLoaded; quiet++) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  small = Array.from({ length: 1000 }, (_, i) => ({ i }));
  globalThis.gc();
}
const shrunk = newSpace();
await grow();
process.stdout.write(JSON.stringify({ busyLoaded, shrunk, loadedAgain: newSpace(), small: small.length }));
`;
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  const steps = JSON.parse(out) as { busyLoaded: number; shrunk: number; loadedAgain: number };
  const { BUSY_SEMI_SPACE_MIB } = (await import(tuning)) as typeof import("../src/v8-tuning.js");
  assert.equal(steps.busyLoaded, 2 * BUSY_SEMI_SPACE_MIB);
  assert.ok(steps.shrunk < 2 * BUSY_SEMI_SPACE_MIB, `V8 shrank it after the quiet spell (${steps.shrunk} MiB): the case under test`);
  assert.equal(steps.loadedAgain, 2 * BUSY_SEMI_SPACE_MIB, "grown back to the busy size, not left small");
});

// The scavenges' time on V8's worker threads, one figure per scavenge, from --trace-gc-nvp, split at a marker line.
function backgroundScavengeMs(nodeArgs: string[], script: string): { before: number[]; after: number[] } {
  const out = execFileSync(process.execPath, ["--trace-gc-nvp", ...nodeArgs, "--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const [before = "", after = ""] = out.split("--- level changed ---");
  const times = (text: string): number[] =>
    [...text.matchAll(/gc=s .*?background\.scavenge\.parallel=([\d.]+)/g)].map((match) => Number(match[1]));
  return { before: times(before), after: times(after) };
}

const SCAVENGE_LEVELS = `
import { adaptToClients, BUSY_CLIENTS } from ${JSON.stringify(tuning)};
const grow = async () => { ${growLoop(300, "await new Promise((resolve) => setImmediate(resolve));")} };
await grow();
adaptToClients(BUSY_CLIENTS + 1);
console.log("--- level changed ---");
await grow();
`;

test("small: the main thread scavenges alone; busy: V8's parallel scavenges again", () => {
  const { before, after } = backgroundScavengeMs([], SCAVENGE_LEVELS);
  assert.ok(before.length >= 5, `the workload scavenges while small (${before.length})`);
  assert.deepEqual(before.filter((ms) => ms > 0), [], "no scavenge work on worker threads while small");
  assert.ok(after.some((ms) => ms > 0), `busy: worker threads share scavenges (${after.join(", ")})`);
});

test("an operator's own parallel-scavenge option is left as given", () => {
  const { before } = backgroundScavengeMs(["--parallel-scavenge", "--import", tuning], SCAVENGE_LEVELS);
  assert.ok(before.some((ms) => ms > 0), `--parallel-scavenge kept while small (${before.join(", ")})`);
});
