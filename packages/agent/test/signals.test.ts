/**
 * Signals behind --allow-signals: the start-up rule, the policy (pid 1, the
 * agent, kernel threads), a real TERM to a child with its log line, and the
 * kernel's own permission check for an agent that is not root.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError, parseCommand } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { readSignalTarget, signalPolicy } from "../src/signals.js";
import { TestClient, json, startTestAgent, wsUrl } from "./helpers/agent.js";

const CLI = fileURLToPath(new URL("../dist/cli.cjs", import.meta.url));
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function sleeper(): ChildProcess & { pid: number } {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  children.push(child);
  assert.ok(child.pid !== undefined);
  return child as ChildProcess & { pid: number };
}

const exited = (child: ChildProcess): Promise<NodeJS.Signals | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
    else child.once("exit", (_code, signal) => resolve(signal));
  });

describe("--allow-signals at start-up", () => {
  it("is refused without a token when the agent listens beyond loopback", () => {
    assert.throws(() => parseCommand(["--allow-signals"], {}), (e: unknown) => e instanceof ConfigError && /set SOCKTOP_TOKEN, or bind to loopback only/.test(e.message));
    assert.throws(() => parseCommand(["--allow-signals", "--bind", "192.168.1.10"], {}), ConfigError);
    assert.throws(() => parseCommand(["--allow-signals", "--bind", "::"], {}), ConfigError);
  });

  it("is accepted with a token, or bound to loopback only", () => {
    const withToken = parseCommand(["--allow-signals"], { SOCKTOP_TOKEN: "s3cret" });
    assert.ok(withToken.kind === "run" && withToken.config.allowSignals);
    for (const bind of ["127.0.0.1", "::1", "localhost"]) {
      const local = parseCommand(["--allow-signals", "--bind", bind], {});
      assert.ok(local.kind === "run" && local.config.allowSignals, bind);
    }
    const off = parseCommand([], {});
    assert.ok(off.kind === "run" && !off.config.allowSignals, "off by default");
  });

  it("the CLI exits with status 2 and one line, no stack trace", () => {
    const result = spawnSync(process.execPath, [CLI, "--allow-signals", "--port", "0"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^socktop_agent: (error: )?--allow-signals without a token/);
    assert.equal(result.stderr.trim().split("\n").length, 1);
  });

  it("startAgent itself refuses the combination (embedders cannot bypass the CLI check)", async () => {
    await assert.rejects(startTestAgent({ allowSignals: true, bind: "0.0.0.0", token: null }), /--allow-signals needs a token/);
  });
});

describe("signalPolicy", () => {
  const target = { pid: 4242, name: "worker", kernelThread: false, isThread: false };
  it("allows an ordinary process", () => {
    assert.deepEqual(signalPolicy(target, "TERM", 100), { allowed: true });
  });
  it("never pid 1, the agent itself, a kernel thread, a thread id or a missing process", () => {
    assert.equal((signalPolicy({ ...target, pid: 1 }, "KILL", 100) as { code: string }).code, "FORBIDDEN");
    assert.equal((signalPolicy({ ...target, pid: 100 }, "TERM", 100) as { code: string }).code, "FORBIDDEN");
    assert.equal((signalPolicy({ ...target, kernelThread: true }, "STOP", 100) as { code: string }).code, "FORBIDDEN");
    assert.equal((signalPolicy({ ...target, isThread: true }, "TERM", 100) as { code: string }).code, "NOT_FOUND");
    assert.equal((signalPolicy({ ...target, name: null }, "TERM", 100) as { code: string }).code, "NOT_FOUND");
  });
  it("reads kernel threads and threads from /proc", () => {
    if (existsSync("/proc/2/stat")) assert.equal(readSignalTarget(2).kernelThread, true, "kthreadd");
    assert.deepEqual(readSignalTarget(process.pid), { pid: process.pid, name: readFileSync("/proc/self/comm", "utf8").trim(), kernelThread: false, isThread: false });
    assert.equal(readSignalTarget(4_000_000_000).name, null);
  });
});

describe("signal requests", () => {
  it("are refused when the agent was not started with --allow-signals, and the capability is not stated", async () => {
    const agent = await startTestAgent();
    const client = await TestClient.connect(wsUrl(agent), {}, ["socktop.v2"]);
    try {
      const hello = json<{ capabilities: string[] }>(await client.next());
      assert.ok(!hello.capabilities.includes("signal"));
      const child = sleeper();
      const reply = json<Record<string, unknown>>(await client.request(`{"type":"signal","pid":${child.pid},"signal":"TERM","id":1}`));
      assert.equal(reply.code, "FORBIDDEN");
      assert.match(String(reply.error), /--allow-signals/);
      assert.equal(child.exitCode, null);
      assert.equal(child.signalCode, null, "the child is untouched");
    } finally {
      await client.close();
      await agent.close();
    }
  });

  it("TERM to a test child works and is logged in one line; pid 1, the agent, kernel threads and bad names are refused", async () => {
    const lines: string[] = [];
    const agent = await startTestAgent({ allowSignals: true }, {}, createLogger((t) => lines.push(t)));
    const v2 = await TestClient.connect(wsUrl(agent), {}, ["socktop.v2"]);
    const v1 = await TestClient.connect(wsUrl(agent));
    try {
      const hello = json<{ capabilities: string[] }>(await v2.next());
      assert.ok(hello.capabilities.includes("signal"));
      const child = sleeper();
      const reply = json<Record<string, unknown>>(await v2.request(`{"type":"signal","pid":${child.pid},"signal":"TERM","id":7}`));
      assert.deepEqual(reply, { id: 7, type: "signal", data: { pid: child.pid, name: "sleep", signal: "TERM", result: "sent" } });
      assert.equal(await exited(child), "SIGTERM");
      const logged = lines.filter((l) => l.includes("signal: from"));
      assert.deepEqual(logged, [`socktop_agent: signal: from 127.0.0.1 pid ${child.pid} name "sleep" SIGTERM: sent\n`]);

      // Protocol 1 (seed dialect, no id): bare reply; "SIGSTOP"/"cont" spellings are accepted.
      const other = sleeper();
      assert.deepEqual(json(await v1.request(`{"type":"signal","pid":${other.pid},"signal":"SIGSTOP"}`)), { pid: other.pid, name: "sleep", signal: "STOP", result: "sent" });
      assert.deepEqual(json(await v1.request(`{"type":"signal","pid":${other.pid},"signal":"cont"}`)), { pid: other.pid, name: "sleep", signal: "CONT", result: "sent" });

      const refused = async (pid: number, signal = "TERM"): Promise<Record<string, unknown>> =>
        json<Record<string, unknown>>(await v2.request(`{"type":"signal","pid":${pid},"signal":"${signal}"}`));
      assert.equal((await refused(1, "KILL")).code, "FORBIDDEN");
      const self = await refused(process.pid);
      assert.equal(self.code, "FORBIDDEN");
      assert.match(String(self.error), /the agent itself/);
      if (existsSync("/proc/2/stat")) assert.equal((await refused(2)).code, "FORBIDDEN", "kthreadd is a kernel thread");
      assert.equal((await refused(4_000_000_000)).code, "NOT_FOUND");
      const bad = await refused(other.pid, "SEGV");
      assert.equal(bad.code, "MALFORMED_REQUEST");
      assert.match(String(bad.error), /one of TERM, INT, HUP, KILL, STOP, CONT/);
      assert.equal((json<Record<string, unknown>>(await v2.request('{"type":"signal","pid":"x","signal":"TERM"}'))).code, "INVALID_PID");
      // Protocol 1 gets the plain error object.
      assert.deepEqual(Object.keys(json(await v1.request('{"type":"signal","pid":1,"signal":"TERM"}'))).sort(), ["error", "pid", "request"]);
      assert.equal(other.exitCode, null, "the refused requests did not touch the other child");
      // One log line per signal request that reached the policy (the malformed ones did not).
      assert.equal(lines.filter((l) => l.includes("signal: from")).length, 1 + 2 + 1 + 1 + (existsSync("/proc/2/stat") ? 1 : 0) + 1 + 1);
    } finally {
      await v1.close();
      await v2.close();
      await agent.close();
    }
  });
});

/** Whether the agent can be run as `nobody` here (we are root, setpriv exists, nobody can read the build). */
function nobodySkip(): string | false {
  if (process.getuid?.() !== 0) return "the test runs as a non-root user already cannot start a process as another user";
  const probe = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, "-e", `require("fs").accessSync(${JSON.stringify(CLI)})`], {
    encoding: "utf8",
  });
  if (probe.error !== undefined) return `setpriv unavailable: ${probe.error.message}`;
  if (probe.status !== 0) return `nobody cannot run the agent from this checkout: ${probe.stderr.trim().split("\n")[0]}`;
  return false;
}

describe("an agent that is not root", () => {
  const skip = nobodySkip();
  it("refuses to signal another user's process with PERMISSION_DENIED (the kernel's EPERM)", { skip }, async () => {
    const agent = spawn(
      "setpriv",
      ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, CLI, "--port", "0", "--bind", "127.0.0.1", "--allow-signals"],
      { stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env.PATH ?? "", SOCKTOP_AGENT_GPU: "0" } },
    );
    children.push(agent);
    let stderr = "";
    const port = await new Promise<number>((resolve, reject) => {
      agent.stderr?.setEncoding("utf8");
      agent.stderr?.on("data", (chunk: string) => {
        stderr += chunk;
        const match = /bound to 127\.0\.0\.1:([0-9]+)/.exec(stderr);
        if (match) resolve(Number(match[1]));
      });
      agent.once("exit", (code) => reject(new Error(`agent exited (${code}): ${stderr}`)));
    });
    const victim = sleeper(); // owned by root
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    try {
      const reply = json<Record<string, unknown>>(await client.request(`{"type":"signal","pid":${victim.pid},"signal":"KILL","id":"k"}`));
      assert.equal(victim.signalCode, null);
      assert.match(String(reply.error), /Not permitted to send SIGKILL .* uid 65534/);
      const v2reply = json<Record<string, unknown>>(await client.request('{"type":"hello"}'));
      assert.equal(v2reply.type, "hello");
      const typed = json<Record<string, unknown>>(await client.request(`{"type":"signal","pid":${victim.pid},"signal":"TERM","id":2}`));
      assert.equal(typed.code, "PERMISSION_DENIED");
      assert.equal(typed.id, 2);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(victim.exitCode, null, "the victim lives");
      assert.match(stderr, new RegExp(`signal: from 127\\.0\\.0\\.1 pid ${victim.pid} name "sleep" SIGTERM: refused PERMISSION_DENIED`));
    } finally {
      await client.close();
      agent.kill("SIGTERM");
      await exited(agent);
    }
  });
});
