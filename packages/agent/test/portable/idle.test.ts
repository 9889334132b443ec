/** The portable backend keeps the request-driven rule: after a client came and left, the agent does nothing. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const cli = fileURLToPath(new URL("../../dist/cli.cjs", import.meta.url));

function ticks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.split(" ")[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // exited while listed
    }
  }
  return found;
}

test("portable backend: 0 ticks while idle after a client asked for everything and left; no child left behind", { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [cli, "--bind", "127.0.0.1", "--port", "0"], {
    env: { ...process.env, SOCKTOP_AGENT_BACKEND: "portable" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = "";
      child.stderr.on("data", (chunk: Buffer) => {
        err += chunk.toString();
        const m = /listening on (ws:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`agent exited ${code}: ${err}`)));
    });
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const requests = ['{"type":"metrics"}', '{"type":"disks"}', '{"type":"processes"}', "get_metrics", `get_process_metrics:${child.pid}`];
    let replies = 0;
    const done = new Promise<void>((resolve) =>
      ws.on("message", () => {
        if (++replies === requests.length) resolve();
      }),
    );
    for (const r of requests) ws.send(r);
    await done;
    ws.close();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(childrenOf(child.pid!), [], "no ps or helper process left running");
    const before = ticks(child.pid!);
    await new Promise((r) => setTimeout(r, 3000));
    const used = ticks(child.pid!) - before;
    assert.ok(used <= 1, `idle portable agent used ${used} ticks in 3 s`);
  } finally {
    child.kill("SIGKILL");
  }
});
