/**
 * End to end: the real socktop in a real terminal (tmux), against real
 * agents. Each test has its own tmux server, its own ports, and stops
 * everything it started.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommand, silentLogger, startAgent, type StartedAgent } from "@socktop/agent";
import { createSelfSignedCertificate } from "../../agent/src/tls/self-signed.js";
import { checkPortFree } from "../src/demo.js";
import { fileURLToPath } from "node:url";
import { freePort, HAVE_TMUX, nodeSource, rowOf, sleep, spawnAgent, TmuxPane, TUI_SRC } from "./helpers/tmux.js";

const CRASH_HOOK = fileURLToPath(new URL("./fixtures/crash-hook.ts", import.meta.url));

const skip = HAVE_TMUX ? false : "tmux is not installed";
const panes: TmuxPane[] = [];
const children: ChildProcess[] = [];
const agents: StartedAgent[] = [];
const dirs: string[] = [];

after(async () => {
  for (const p of panes) p.kill();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const a of agents) await a.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tui(args: string[], env: Record<string, string> = {}, size = { width: 80, height: 24 }, preload: string[] = []): TmuxPane {
  // A private config dir: no user profiles are read or written.
  const home = mkdtempSync(join(tmpdir(), "socktop-e2e-"));
  dirs.push(home);
  const base = nodeSource(TUI_SRC, args);
  const at = base.indexOf(TUI_SRC);
  // Preloads go after the TypeScript loader and before the script.
  const argv = [...base.slice(0, at), ...preload.flatMap((p) => ["--import", p]), ...base.slice(at)];
  const pane = TmuxPane.start(argv, { ...size, env: { XDG_CONFIG_HOME: home, ...env } });
  panes.push(pane);
  return pane;
}

async function inProcessAgent(args: string[], env: NodeJS.ProcessEnv = {}, tls?: { cert: string; key: string }): Promise<StartedAgent> {
  const command = parseCommand(["--bind", "127.0.0.1", "--port", "0", ...args], env);
  if (command.kind !== "run") throw new Error("unexpected agent command");
  const agent = await startAgent(command.config, silentLogger, tls ? { tls } : {});
  agents.push(agent);
  return agent;
}

/** The agent as its own process (so it can be killed for real). */
async function agentProcess(port: number): Promise<ChildProcess> {
  const { child } = await spawnAgent(["--bind", "127.0.0.1", "--port", String(port)]);
  children.push(child);
  return child;
}

function processRows(screen: string): string[] {
  const lines = screen.split("\n");
  const header = rowOf(screen, "PID NAME");
  return lines.slice(header + 1, lines.length - 1).map((l) => l.split("│")[1] ?? "").filter((l) => /^\s+\d+ /.test(l));
}

test("socktop --demo: data, sort by key and by click, filter, quit restores the terminal", { skip, timeout: 40_000 }, async () => {
  const port = await freePort();
  const pane = tui(["--demo"], { SOCKTOP_DEMO_PORT: String(port) });
  let screen = await pane.waitFor(/PID NAME/, 20_000);
  // Hostname, CPU, memory and process rows.
  const { hostname } = await import("node:os");
  screen = await pane.waitFor((s) => processRows(s).length > 3);
  assert.match(screen.split("\n")[0]!, new RegExp(`socktop {2}${hostname().slice(0, 10)}`));
  assert.match(screen, /─ CPU (\d+\.\d|100)%/);
  assert.match(screen, /Mem +\S+ [\d.]+ \S+ \/ [\d.]+ \S+ +\d+%/);
  assert.match(screen, /▼CPU%/);
  assert.equal(pane.display("#{alternate_on}"), "1");

  // A key changes the sort: N = by PID, ascending.
  pane.keys("N");
  screen = await pane.waitFor(/▲PID/);
  const pids = processRows(screen).map((r) => Number(r.trim().split(/\s+/)[0]));
  assert.ok(pids.length > 3);
  assert.deepEqual([...pids].sort((a, b) => a - b), pids);

  // A click on the MEM header sorts by memory, biggest first; again reverses.
  const headerY = rowOf(screen, "PID NAME");
  const memX = screen.split("\n")[headerY]!.search(/ MEM /) + 2;
  pane.click(memX, headerY);
  screen = await pane.waitFor(/▼MEM/);
  pane.click(memX, headerY);
  screen = await pane.waitFor(/▲MEM/);

  // / filters live.
  pane.keys("/");
  pane.literal("tmux");
  screen = await pane.waitFor((s) => /Processes \d+\/\d+/.test(s) && processRows(s).length > 0 && processRows(s).every((r) => r.includes("tmux")));
  assert.match(screen, /\/ tmux█/);
  pane.keys("Enter");
  screen = await pane.waitFor(/filter “tmux” c clears/);
  pane.keys("c");
  await pane.waitFor((s) => !/filter “tmux”/.test(s));

  // q exits, with the terminal back to normal and the demo agent stopped.
  pane.keys("q");
  await pane.waitFor(/\[exited 0\]/);
  assert.equal(pane.display("#{alternate_on}"), "0");
  assert.equal(pane.display("#{cursor_flag}"), "1");
  assert.equal(pane.display("#{mouse_any_flag}#{mouse_button_flag}#{mouse_sgr_flag}"), "000");
  await checkPortFree("127.0.0.1", port);
});

test("the agent killed and restarted: stale banner, then it reconnects by itself", { skip, timeout: 40_000 }, async () => {
  const port = await freePort();
  let agent = await agentProcess(port);
  const pane = tui([`ws://127.0.0.1:${port}/ws`]);
  await pane.waitFor((s) => /● connected/.test(s) && processRows(s).length > 3, 15_000);
  agent.kill("SIGKILL");
  let screen = await pane.waitFor(/⚠ /);
  assert.match(screen, /✖ stale · retry \d+s/);
  screen = await pane.waitFor(/connection refused: no agent listening on 127\.0\.0\.1/);
  assert.match(screen, /retrying in \d+s \(attempt \d+\) · stale data from \d+s ago/);
  assert.ok(processRows(screen).length > 3, "the last data stays on screen");
  agent = await agentProcess(port);
  screen = await pane.waitFor((s) => /● connected/.test(s) && !/⚠/.test(s), 15_000);
  assert.doesNotMatch(screen, /stale/);
  pane.keys("C-c");
  await pane.waitFor(/\[exited 0\]/);
  assert.equal(pane.display("#{alternate_on}"), "0");
  agent.kill("SIGTERM");
});

test("a wrong token says authentication failed", { skip, timeout: 30_000 }, async () => {
  const agent = await inProcessAgent([], { SOCKTOP_TOKEN: "right-token" });
  const port = agent.address.port;
  const pane = tui([`ws://127.0.0.1:${port}/ws?token=wrong-token`]);
  const screen = await pane.waitFor(/authentication failed/, 15_000);
  assert.match(screen, /✖ authentication failed: wrong or missing token \(check \?token= in the URL\)/);
  assert.match(screen, /Retrying in \d+s \(attempt 2\)/);
  assert.ok(!screen.includes("wrong-token"), "the token is never shown");
  pane.keys("q");
  await pane.waitFor(/\[exited 0\]/);
});

test("TLS: a wrong pin says so; the right pin connects and shows the TLS marker", { skip, timeout: 30_000 }, async () => {
  const names = { commonName: "localhost", dns: ["localhost"], ips: ["127.0.0.1"] };
  const served = await createSelfSignedCertificate(names);
  const other = await createSelfSignedCertificate(names);
  const dir = mkdtempSync(join(tmpdir(), "socktop-e2e-tls-"));
  dirs.push(dir);
  writeFileSync(join(dir, "other.pem"), other.cert);
  writeFileSync(join(dir, "served.pem"), served.cert);
  const agent = await inProcessAgent(["--enableSSL"], {}, served);
  const port = agent.address.port;

  const wrong = tui(["--tls-ca", join(dir, "other.pem"), `ws://127.0.0.1:${port}/ws`]);
  const right = tui(["-t", join(dir, "served.pem"), `ws://127.0.0.1:${port}/ws`]);
  const screen = await wrong.waitFor(/certificate/, 15_000);
  assert.match(screen, /✖ TLS certificate mismatch: not the certificate pinned with --tls-ca/);
  const ok = await right.waitFor((s) => /● connected/.test(s) && processRows(s).length > 0, 15_000);
  assert.match(ok.split("\n")[0]!, /TLS/);
  wrong.keys("q");
  right.keys("q");
  await wrong.waitFor(/\[exited 0\]/);
  await right.waitFor(/\[exited 0\]/);
});

test("--demo with its port taken says so and exits non-zero", { skip, timeout: 20_000 }, async () => {
  const agent = await inProcessAgent([]);
  const pane = tui(["--demo"], { SOCKTOP_DEMO_PORT: String(agent.address.port) });
  const screen = await pane.waitFor(/\[exited 1\]/, 15_000);
  assert.match(screen, /socktop: port \d+ on 127\.0\.0\.1 is already in use/);
  assert.equal(pane.display("#{alternate_on}"), "0");
});

/** The socktop node process inside a pane (the pane's shell is its parent). */
function socktopPid(pane: TmuxPane): number {
  const shell = pane.display("#{pane_pid}");
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1];
      if (ppid === shell && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(TUI_SRC)) return Number(entry);
    } catch {
      // the process went away while we looked
    }
  }
  throw new Error(`no socktop process under pane ${shell}`);
}

test("SIGTERM and an uncaught error both restore the terminal and stop the demo agent", { skip, timeout: 40_000 }, async () => {
  const termPort = await freePort();
  const crashPort = await freePort();
  const terminated = tui(["--demo"], { SOCKTOP_DEMO_PORT: String(termPort) });
  const crashed = tui(["--demo"], { SOCKTOP_DEMO_PORT: String(crashPort), SOCKTOP_TEST_CRASH_MS: "4000" }, undefined, [CRASH_HOOK]);

  await terminated.waitFor(/PID NAME/, 20_000);
  const pid = socktopPid(terminated);
  assert.ok(pid > 0);
  process.kill(pid, "SIGTERM");
  await terminated.waitFor(/\[exited 143\]/);
  assert.equal(terminated.display("#{alternate_on}#{cursor_flag}#{mouse_any_flag}"), "010");
  await checkPortFree("127.0.0.1", termPort);

  await crashed.waitFor(/PID NAME/, 20_000);
  const screen = await crashed.waitFor(/\[exited 1\]/, 15_000);
  assert.match(screen, /socktop: crashed: Error: injected crash for the restore test/);
  assert.equal(crashed.display("#{alternate_on}#{cursor_flag}#{mouse_any_flag}"), "010");
  await checkPortFree("127.0.0.1", crashPort);
});

test("socktop killed outright (SIGKILL): its demo agent still goes away", { skip, timeout: 30_000 }, async () => {
  const port = await freePort();
  const pane = tui(["--demo"], { SOCKTOP_DEMO_PORT: String(port) });
  await pane.waitFor(/PID NAME/, 20_000);
  process.kill(socktopPid(pane), "SIGKILL");
  await pane.waitFor(/\[exited 137\]/);
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await checkPortFree("127.0.0.1", port);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
});

test("the demo's agent dies: its cause in the banner, no endless 'connection refused'", { skip, timeout: 40_000 }, async () => {
  const port = await freePort();
  const pane = tui(["--demo"], { SOCKTOP_DEMO_PORT: String(port) });
  await pane.waitFor((s) => /● connected/.test(s) && processRows(s).length > 3, 20_000);
  const parent = String(socktopPid(pane));
  const agentPid = readdirSync("/proc").find((entry) => {
    try {
      return readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === parent && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("--bind");
    } catch {
      return false;
    }
  });
  assert.ok(agentPid, "the demo agent is a child of socktop");
  process.kill(Number(agentPid), "SIGKILL");
  let screen = await pane.waitFor(/⚠ the demo agent stopped unexpectedly \(killed by SIGKILL\)/, 10_000);
  assert.match(screen, /✖ stopped/);
  // The old retry loop would show a countdown and "connection refused" by now.
  await sleep(3000);
  screen = pane.capture();
  assert.doesNotMatch(screen, /retry|refused/);
  assert.match(screen, /q quits · it printed no error/);
  pane.keys("q");
  screen = await pane.waitFor(/\[exited 0\]/);
  assert.match(screen, /socktop: the demo agent stopped unexpectedly \(killed by SIGKILL\)/);
});
