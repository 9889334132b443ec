/**
 * The fleet view end to end: the real socktop in tmux against real local
 * agents — one with a token (from a token_file), one with TLS and a pinned
 * CA, one killed and restarted during the test, one never started, and a
 * plain one. Connections are counted at the agents.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLEET_TOKEN, startFleet, type Fleet } from "./helpers/fleet-agents.js";
import { HAVE_TMUX, nodeSource, rowOf, TmuxPane, TUI_SRC } from "./helpers/tmux.js";

const skip = HAVE_TMUX ? false : "tmux is not installed";
const panes: TmuxPane[] = [];
let fleet: Fleet | null = null;
const dirs: string[] = [];

after(async () => {
  for (const p of panes) p.kill();
  await fleet?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function line(screen: string, name: string): string {
  return screen.split("\n").find((l) => l.startsWith(`${name} `)) ?? "";
}

test("fleet: every state shown, killed host stale then live, drill in and out without reconnecting, sort, filter, 80×24 and 200×60", { skip, timeout: 150_000 }, async () => {
  fleet = await startFleet();
  await fleet.startKillable();
  const config = fleet.writeProfiles({ lab: ["plain", "secured", "pinned", "restarted", "never"] });
  const pane = TmuxPane.start(nodeSource(TUI_SRC, ["-G", "lab"]), { width: 80, height: 24, env: { XDG_CONFIG_HOME: config } });
  panes.push(pane);

  // Each state, each host on its own line.
  let screen = await pane.waitFor(
    (s) =>
      ["plain", "secured", "pinned", "restarted"].every((n) => /^\S+ +● \d+ ms +\d+%/.test(line(s, n))) && /✖ refused/.test(line(s, "never")),
    60_000,
  );
  assert.match(screen.split("\n")[0]!, /socktop fleet {2}5 hosts · 4 up · 1 down/);
  assert.match(line(screen, "never"), /connection refused: no agent listening/);
  assert.ok(!screen.includes(FLEET_TOKEN));
  for (const l of screen.split("\n")) assert.ok([...l].length <= 80, `line wider than the terminal: ${l}`);
  // Sorted by name, the default.
  const order = ["never", "pinned", "plain", "restarted", "secured"].map((n) => rowOf(screen, `${n} `));
  assert.deepEqual([...order].sort((a, b) => a - b), order);

  // Drill into the TLS host and back, twice; then the token host.
  const counts = () => [fleet!.plain.upgrades, fleet!.token.upgrades, fleet!.tls.upgrades];
  assert.deepEqual(counts(), [1, 1, 1]);
  for (const name of ["pinned", "pinned", "secured"]) {
    pane.keys("/");
    pane.literal(name);
    pane.keys("Enter");
    await pane.waitFor((s) => /1\/5 hosts/.test(s));
    pane.keys("Enter");
    screen = await pane.waitFor((s) => /PID NAME/.test(s) && /● connected/.test(s), 30_000);
    if (name === "pinned") assert.match(screen.split("\n")[0]!, /TLS/);
    pane.keys("Escape");
    await pane.waitFor((s) => /socktop fleet/.test(s));
    pane.keys("c");
    await pane.waitFor((s) => line(s, "plain") !== "");
  }
  assert.deepEqual(counts(), [1, 1, 1], "drilling in and out must not reconnect");
  assert.deepEqual([fleet.plain.open, fleet.token.open, fleet.tls.open], [1, 1, 1]);

  // Kill one agent: stale (old numbers kept, dimmed), then live again after a restart.
  await fleet.killKillable();
  screen = await pane.waitFor((s) => /◌ stale/.test(line(s, "restarted")), 20_000);
  assert.match(line(screen, "restarted"), /◌ stale ↻\d+s +\d+%/);
  assert.match(line(screen, "plain"), /● \d+ ms/, "the others are not held up");
  await fleet.startKillable();
  await pane.waitFor((s) => /● \d+ ms/.test(line(s, "restarted")), 40_000);

  // Sort by CPU (hosts without numbers last), back by name; filter.
  pane.keys("P");
  screen = await pane.waitFor((s) => /sort cpu ↓/.test(s));
  const cpuRows = screen.split("\n").slice(2, 7);
  assert.match(cpuRows[4]!, /^never /);
  const cpus = cpuRows.slice(0, 4).map((l) => Number(/ (\d+)% /.exec(l)?.[1] ?? -1));
  assert.deepEqual([...cpus].sort((a, b) => b - a), cpus, `CPU column descending: ${cpus.join(", ")}`);
  pane.keys("O");
  await pane.waitFor((s) => /sort name ↑/.test(s));
  pane.keys("/");
  pane.literal("pl");
  screen = await pane.waitFor((s) => /1\/5 hosts/.test(s));
  assert.equal(line(screen, "pinned"), "");
  assert.notEqual(line(screen, "plain"), "");
  pane.keys("Escape");
  await pane.waitFor((s) => line(s, "pinned") !== "");

  // Wide: a grid of cards, every card whole.
  spawnResize(pane, 200, 60);
  screen = await pane.waitFor((s) => /╭─ plain ─/.test(s), 10_000);
  const lines = screen.split("\n");
  const tops = lines.filter((l) => l.includes("╭─"));
  assert.ok(tops.length >= 1);
  for (const l of lines) assert.ok([...l].length <= 200, `line wider than the terminal: ${l}`);
  // Five cards in a row, each top and bottom border the same width at the same place.
  const top = tops[0]!;
  const bottom = lines.find((l) => l.includes("╰─"))!;
  assert.equal(top.match(/╭/g)!.length, 5);
  assert.deepEqual([...top].map((c, i) => (c === "╭" || c === "╮" ? i : -1)).filter((i) => i >= 0), [...bottom].map((c, i) => (c === "╰" || c === "╯" ? i : -1)).filter((i) => i >= 0));
  assert.match(screen, /│ ✖ refused/);
  spawnResize(pane, 80, 24);
  await pane.waitFor((s) => /^HOST +STATE/m.test(s));
  assert.deepEqual(counts().slice(1), [1, 1], "resizing does not reconnect either");

  pane.keys("q");
  await pane.waitFor(/\[exited 0\]/);
  assert.equal(pane.display("#{alternate_on}"), "0");
});

function spawnResize(pane: TmuxPane, w: number, h: number): void {
  pane.resize(w, h);
}

test("one host, its token from SOCKTOP_TOKEN (not on the command line)", { skip, timeout: 60_000 }, async () => {
  const f = fleet ?? (await startFleet());
  const home = mkdtempSync(join(tmpdir(), "socktop-fleet-e2e-"));
  dirs.push(home);
  const pane = TmuxPane.start(nodeSource(TUI_SRC, [`127.0.0.1:${f.token.port}`]), { width: 80, height: 24, env: { XDG_CONFIG_HOME: home, SOCKTOP_TOKEN: FLEET_TOKEN } });
  panes.push(pane);
  await pane.waitFor((s) => /● connected/.test(s) && /PID NAME/.test(s), 30_000);
  pane.keys("q");
  await pane.waitFor(/\[exited 0\]/);
});
