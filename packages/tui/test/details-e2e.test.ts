/**
 * End to end: the real `socktop --demo` in tmux opens the details view of a
 * process this test starts (a worker thread and a `sleep` child of its
 * own), walks to the child and back, returns to the table, and watches the
 * process die. Own tmux socket, own port; everything started here is
 * stopped by pid.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort, HAVE_TMUX, nodeSource, Started, TmuxPane, TUI_SRC } from "./helpers/tmux.js";

const skip = HAVE_TMUX ? false : "tmux is not installed";
const started = new Started();
const { panes, pids, dirs, children } = started;

after(() => started.cleanup());

/**
 * The target: node under a name of its own (a symlink, so the kernel's comm
 * and argv[0] carry it), a worker thread, and a `sleep` child. On SIGTERM it
 * takes its child along, so nothing is left for init to reap.
 */
const TARGET = `
const { Worker } = require("node:worker_threads");
const { spawn } = require("node:child_process");
const worker = new Worker("setInterval(() => {}, 1000)", { eval: true });
worker.on("online", () => {
  const kid = spawn("sleep", ["600"], { stdio: "ignore" });
  process.on("SIGTERM", () => {
    kid.once("exit", () => process.exit(0));
    kid.kill("SIGKILL");
  });
  process.stdout.write(JSON.stringify({ pid: process.pid, child: kid.pid }) + "\\n");
});
setInterval(() => {}, 1000);
`;

interface Target {
  name: string;
  pid: number;
  child: number;
  command: string;
  proc: ChildProcess;
}

let targets = 0;

async function startTarget(): Promise<Target> {
  // Short paths keep the whole command line on one row at 80 columns.
  const dir = mkdtempSync(join(tmpdir(), "sdv-"));
  dirs.push(dir);
  // Unique per target (15 characters at most, the kernel's limit for comm).
  const name = `sdvt-${process.pid % 100000}-${++targets}`;
  const bin = join(dir, name);
  symlinkSync(process.execPath, bin);
  const script = join(dir, "t.cjs");
  writeFileSync(script, TARGET);
  const proc = spawn(bin, [script, "--marker"], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(proc);
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`target exited early (${code})`)));
  });
  const { pid, child } = JSON.parse(line) as { pid: number; child: number };
  pids.push(pid, child);
  return { name, pid, child, command: `${bin} ${script} --marker`, proc };
}

/** SIGTERM: the target takes its child along, and we reap the target. */
async function stopTarget(t: Target): Promise<void> {
  if (t.proc.exitCode !== null || t.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => t.proc.once("exit", resolve));
  process.kill(t.pid, "SIGTERM");
  await exited;
}

function threadCount(pid: number): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

async function startSocktop(): Promise<TmuxPane> {
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), "socktop-e2e-"));
  dirs.push(home);
  const pane = TmuxPane.start(nodeSource(TUI_SRC, ["--demo"]), { width: 80, height: 24, env: { XDG_CONFIG_HOME: home, SOCKTOP_DEMO_PORT: String(port) } });
  panes.push(pane);
  return pane;
}

/** Filter the table down to the target and select it, then clear the filter (the selection stays). */
async function selectInTable(pane: TmuxPane, t: Target): Promise<void> {
  await pane.waitFor((s) => s.includes(" PID NAME") && /\d+ procs/.test(s), 20_000);
  pane.keys("/");
  pane.literal(t.name);
  await pane.waitFor(new RegExp(`${t.pid} ${t.name}`), 8000);
  pane.keys("Enter");
  await pane.waitFor(new RegExp(`filter “${t.name}” c clears`));
  pane.keys("c");
  await pane.waitFor((s) => !s.includes("filter “") && s.includes(`${t.pid} ${t.name}`));
}

const escapeRe = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

const viewOf = (t: { pid: number }, name: string): RegExp => new RegExp(`─ ${name} · PID ${t.pid} ─`);

test("the details view from the table: pid, command line, threads, child; into the child and back; Esc keeps the row", { skip, timeout: 40_000 }, async () => {
  const t = await startTarget();
  const pane = await startSocktop();
  await selectInTable(pane, t);

  pane.keys("Enter");
  let screen = await pane.waitFor((s) => viewOf(t, t.name).test(s) && s.includes(`${t.child} sleep`) && s.includes(`threads ${threadCount(t.pid)}`));
  assert.match(screen, new RegExp(`cmd {2}${escapeRe(t.command)}`));
  assert.match(screen, /Sleeping ─/);
  assert.ok(threadCount(t.pid) >= 3, "main thread, worker thread and node's own");
  assert.match(screen, new RegExp(`Threads ${threadCount(t.pid)} `));
  // The main thread carries the process's pid and name.
  assert.match(screen, new RegExp(`^ +${t.pid} ${t.name} `, "m"));
  assert.match(screen, /Children 1/);
  // This machine may or may not have a journal: either way the section says something.
  assert.match(screen, /─ Journal/);
  assert.match(screen, /Esc back {2}Tab focus/);

  // Into the child: focus the children, Enter.
  pane.keys("Tab");
  await pane.waitFor(/Children 1 ─+ Enter opens/);
  pane.keys("Enter");
  screen = await pane.waitFor((s) => viewOf({ pid: t.child }, "sleep").test(s) && /cmd {2}sleep 600/.test(s));
  assert.match(screen, new RegExp(`parent ${t.pid}`));
  assert.match(screen, /Children 0/);

  // p: back up to the parent.
  pane.keys("p");
  await pane.waitFor((s) => viewOf(t, t.name).test(s) && s.includes(`${t.child} sleep`));

  // Esc: the table, with our row still the selected one.
  // p opened the parent on top: Esc returns to the child, then to the parent it was opened from, then the table.
  pane.keys("Escape");
  await pane.waitFor((s) => viewOf({ pid: t.child }, "sleep").test(s));
  pane.keys("Escape");
  await pane.waitFor((s) => viewOf(t, t.name).test(s));
  pane.keys("Escape");
  // The view's own thread table also shows "PID NAME" and "<pid> <name>": wait for the view to be gone.
  await pane.waitFor((s) => s.includes(" PID NAME") && s.includes(`${t.pid} ${t.name}`) && !viewOf(t, t.name).test(s));
  const styled = pane.captureStyled().split("\n");
  const row = styled.find((l) => l.includes(`${t.pid} `) && l.includes(t.name));
  assert.ok(row && /\x1b\[[0-9;]*\b7m/.test(row.slice(0, row.indexOf(t.name))), `our row is in reverse video: ${JSON.stringify(row)}`);
  // And Enter opens the same process again.
  pane.keys("Enter");
  await pane.waitFor(viewOf(t, t.name));
  pane.keys("Escape");
  pane.keys("q");
  await pane.waitFor(/\[exited 0\]/);
  await stopTarget(t);
});

test("the process dies while its view is open: 'process exited', last data kept", { skip, timeout: 40_000 }, async () => {
  const t = await startTarget();
  const pane = await startSocktop();
  await selectInTable(pane, t);
  pane.keys("Enter");
  const threads = threadCount(t.pid);
  await pane.waitFor((s) => viewOf(t, t.name).test(s) && s.includes(`threads ${threads}`) && s.includes(`${t.child} sleep`));
  await stopTarget(t);
  const screen = await pane.waitFor(/✖ process exited/, 8000);
  assert.match(screen, viewOf(t, t.name));
  assert.match(screen, new RegExp(`cmd {2}\\S*${t.name} `));
  assert.match(screen, new RegExp(`threads ${threads}`));
  assert.match(screen, new RegExp(`${t.child} sleep`), "the last list of children stays");
  pane.keys("Escape");
  await pane.waitFor((s) => s.includes(" PID NAME"));
  pane.keys("q");
  await pane.waitFor(/\[exited 0\]/);
});
