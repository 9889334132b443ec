/**
 * End to end against a real agent (its own process, on loopback, started with
 * --allow-signals) and the real TUI in tmux at 80×24, for issue 15's views:
 * the tree view shows a child process tree this test starts, indented under
 * its parent; the signal dialog names the process and the signal and TERM
 * really ends the process (and the agent logs one line); the cgroups view
 * lists the live machine's groups (or says why it cannot), with a group this
 * test creates and fills with a busy process at the top, and drills down to
 * its process. Everything started here is stopped by pid.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { detectHierarchy } from "../../agent/src/collectors/cgroups.js";
import { createLiveCgroup, liveCgroupSkip } from "../../agent/test/helpers/live-cgroup.js";
import { freePort, HAVE_TMUX, nodeSource, rowOf, sleep, spawnAgent, Started, TmuxPane, TUI_SRC, type AgentProcess } from "./helpers/tmux.js";

const skip = HAVE_TMUX ? false : "tmux is not installed";
const started = new Started();
const { panes, pids, dirs, children } = started;
/** Short and unique per run: process names are cut at 15 characters by the kernel. */
const id = String(process.pid % 100000);

let agent: AgentProcess | null = null;
let url = "";

before(async () => {
  if (skip) return;
  const port = await freePort();
  // Loopback only: --allow-signals needs no token there.
  agent = await spawnAgent(["--bind", "127.0.0.1", "--port", String(port), "--allow-signals"], { ...process.env, SOCKTOP_AGENT_GPU: "0" });
  children.push(agent.child);
  assert.match(agent.log(), /signals allowed/);
  url = `ws://127.0.0.1:${port}/ws`;
});

after(() => started.cleanup());

function socktop(): TmuxPane {
  // A private config dir: no user profiles are read or written.
  const home = mkdtempSync(join(tmpdir(), "socktop-deep-"));
  dirs.push(home);
  const pane = TmuxPane.start(nodeSource(TUI_SRC, [url]), { width: 80, height: 24, env: { XDG_CONFIG_HOME: home } });
  panes.push(pane);
  return pane;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A program under a name of our choosing: a symlink, so the kernel's comm carries the name. */
function named(target: string, name: string, dir = tempDir("sdp-")): string {
  const path = join(dir, name);
  symlinkSync(target, path);
  return path;
}

function track(child: ChildProcess): ChildProcess {
  children.push(child);
  if (child.pid !== undefined) pids.push(child.pid);
  return child;
}

const exited = (c: ChildProcess): Promise<string | number | null> =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.signalCode ?? c.exitCode) : new Promise((r) => c.once("exit", (code, signal) => r(signal ?? code)));

/** The process table's rows (right of the divider) on the screen. */
function tableRows(screen: string): string[] {
  return screen
    .split("\n")
    .map((l) => l.split("│")[1] ?? "")
    .filter((l) => /^\s+\d+ /.test(l));
}

/** Filter the table by `text` (Enter keeps it and selects the first hit). */
async function filterTo(pane: TmuxPane, text: string, rows: number): Promise<string> {
  await pane.waitFor((s) => s.includes(" PID NAME") && /\d+ procs/.test(s), 30_000);
  pane.keys("/");
  pane.literal(text);
  await pane.waitFor((s) => tableRows(s).filter((r) => r.includes(text)).length === rows, 10_000);
  pane.keys("Enter");
  return pane.waitFor(new RegExp(`filter “${text}” c clears`));
}

test("tree view: a child process tree started here shows its children indented under the parent", { skip, timeout: 90_000 }, async () => {
  const dir = tempDir("sdp-");
  const kids = ["a", "b"].map((k) => named("/bin/sleep", `dt${id}${k}`, dir));
  // The parent: node under its own name, starting both children and printing their pids.
  const script = join(dir, "p.cjs");
  writeFileSync(
    script,
    `const { spawn } = require("node:child_process");
const kids = ${JSON.stringify(kids)}.map((k) => spawn(k, ["600"], { stdio: "ignore" }));
process.on("SIGTERM", () => { for (const k of kids) k.kill("SIGKILL"); process.exit(0); });
setTimeout(() => process.stdout.write(JSON.stringify(kids.map((k) => k.pid)) + "\\n"), 100);
setInterval(() => {}, 1000);`,
  );
  const parent = track(spawn(named(process.execPath, `dt${id}p`, dir), [script], { stdio: ["ignore", "pipe", "inherit"] }));
  const kidPids = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: parent.stdout! }).once("line", resolve))) as number[];
  pids.push(...kidPids);

  const pane = socktop();
  let screen = await filterTo(pane, `dt${id}`, 3);
  // Flat first: no branch glyphs.
  assert.ok(tableRows(screen).every((r) => !/[├└]─/.test(r)), screen);
  pane.keys("T");
  screen = await pane.waitFor((s) => tableRows(s).some((r) => /[├└]─ dt/.test(r)));
  const rows = tableRows(screen).filter((r) => r.includes(`dt${id}`));
  assert.equal(rows.length, 3, screen);
  assert.match(rows[0]!, new RegExp(`^\\s+${parent.pid} dt${id}p\\s`), "the parent first, not indented");
  // Both children right under it, each behind a branch glyph; the last one closes the branch.
  const kidRows = rows.slice(1);
  for (const [i, pid] of kidPids.entries()) assert.ok(kidRows.some((r) => new RegExp(`^\\s+${pid} [├└]─ dt${id}${"ab"[i]}\\s`).test(r)), `child ${pid}:\n${screen}`);
  assert.match(kidRows[1]!, /└─ /);
  assert.match(kidRows[0]!, /├─ /);

  process.kill(parent.pid!, "SIGTERM");
  await exited(parent);
});

test("signal dialog: names the process and TERM; confirmed, the process dies and the agent logs one line", { skip, timeout: 90_000 }, async () => {
  const name = `dv${id}`;
  const victim = track(spawn(named("/bin/sleep", name), ["600"], { stdio: "ignore" }));
  await new Promise((r) => victim.once("spawn", r));
  const pid = victim.pid!;

  const pane = socktop();
  await filterTo(pane, name, 1);
  pane.keys("t");
  let screen = await pane.waitFor(/─ Signal ─/);
  assert.match(screen, new RegExp(`Send TERM to ${pid} ${name}\\?`));
  assert.match(screen, /Enter\/y send/);
  assert.equal(victim.exitCode, null, "nothing is sent before Enter");
  assert.equal(victim.signalCode, null);
  pane.keys("Enter");
  screen = await pane.waitFor(new RegExp(`Sent TERM to ${pid} \\(${name}\\)\\.`), 15_000);
  assert.equal(await exited(victim), "SIGTERM");
  assert.equal(existsSync(`/proc/${pid}`), false, "the pid is gone");
  const logged = agent!.log().split("\n").filter((l) => l.includes("signal: from"));
  assert.deepEqual(logged, [`socktop_agent: signal: from 127.0.0.1 pid ${pid} name "${name}" SIGTERM: sent`]);
  // Any key closes the dialog; the process leaves the table.
  pane.keys("Escape");
  await pane.waitFor((s) => !s.includes("─ Signal ─") && tableRows(s).length === 0, 15_000);
});

/** Moves the selection (reverse video) onto the row holding `needle`, a step at a time. */
async function selectRow(pane: TmuxPane, needle: string): Promise<void> {
  const selected = (l: string): boolean => /\x1b\[[0-9;]*\b7m/.test(l);
  for (let step = 0; step < 40; step++) {
    const rows = pane.captureStyled().split("\n");
    const mine = rows.findIndex((l) => l.includes(needle));
    const sel = rows.findIndex(selected);
    if (mine >= 0 && mine === sel) return;
    pane.keys(sel < 0 || sel < mine ? "Down" : "Up");
    await sleep(100);
  }
  throw new Error(`could not select the row of ${needle}:\n${pane.capture()}`);
}

test("cgroups view: the live machine's groups (or why not); a busy group of ours on top, drilled down to its process", { skip, timeout: 90_000 }, async (t) => {
  const hierarchy = detectHierarchy("/sys");
  const pane = socktop();
  await pane.waitFor((s) => s.includes(" PID NAME") && /\d+ procs/.test(s), 30_000);
  if (hierarchy.kind === "unavailable") {
    pane.keys("s");
    const screen = await pane.waitFor(/Control groups are unavailable on this machine/, 15_000);
    assert.ok(!screen.includes("PROCS"), "a sentence, not an empty table");
    return;
  }
  const cannot = liveCgroupSkip();
  if (cannot) {
    // The view still lists the machine's groups (or none): it must not be empty without a word.
    pane.keys("s");
    await pane.waitFor((s) => /NAME +KIND +▼CPU%/.test(s) || s.includes("reports no control groups"), 15_000);
    t.skip(cannot);
    return;
  }
  const group = createLiveCgroup(`stop-e2e-${id}`);
  const busyName = `dcb${id}`;
  const busy = track(spawn(named(process.execPath, busyName), ["-e", "for(;;){}"], { stdio: "ignore" }));
  try {
    await new Promise((r) => busy.once("spawn", r));
    group.add(busy.pid!);
    pane.keys("s");
    const label = `stop-e2e-${id}`;
    // A reading or two later the busy group has a CPU figure.
    const screen = await pane.waitFor((s) => {
      const row = s.split("\n").find((l) => l.includes(label));
      return row !== undefined && /container|group/.test(row) && Number(/ ([\d.]+)% /.exec(row)?.[1] ?? 0) > 1;
    }, 20_000);
    const lines = screen.split("\n");
    const header = rowOf(screen, "NAME");
    assert.match(lines[header]!, /NAME +KIND +▼CPU% +MEM +PROCS PARENT/);
    const rows = lines.slice(header + 1).filter((l) => / \d+(\.\d)?% /.test(l) || / – /.test(l));
    const mine = rows.findIndex((l) => l.includes(label));
    const cpuOf = (l: string): number => Number(/ ([\d.]+)% /.exec(l)?.[1] ?? -1);
    assert.match(rows[mine]!, new RegExp(`${label} +group +[\\d.]+% +\\S+ +1 /`));
    // On top, unless another group is busier still (the machine is shared): then sorted above ours.
    for (const above of rows.slice(0, mine)) assert.ok(cpuOf(above) >= cpuOf(rows[mine]!), `sorted by CPU:\n${screen}`);
    // Drill down: select our row (the first Down selects the top one), Enter. Other groups may
    // change places between readings: step until our row is the one in reverse video.
    for (let i = 0; i <= mine; i++) pane.keys("Down");
    await selectRow(pane, label);
    pane.keys("Enter");
    const table = await pane.waitFor((s) => s.includes(`cgroup ${label}`) && tableRows(s).length === 1, 15_000);
    assert.match(tableRows(table)[0]!, new RegExp(`^\\s+${busy.pid} ${busyName}\\s`));
    assert.match(table, new RegExp(`Processes 1/\\d+ ─+ in ${label} `));
    pane.keys("Escape");
    await pane.waitFor(/─ Control groups \d+/);
  } finally {
    busy.kill("SIGKILL");
    await exited(busy);
    await group.remove();
  }
});
