/** A bounded load test on loopback: 200 clients × 50 mixed requests against the real agent process. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { decodeProcessList } from "@socktop/protocol";
import { TestClient, json, unzip } from "./helpers/agent.js";

const cli = fileURLToPath(new URL("../dist/cli.cjs", import.meta.url));
const CLIENTS = 200;
const REQUESTS = 50;
const MIX = ['{"type":"metrics"}', "get_metrics", '{"type":"processes"}', "get_processes", '{"type":"disks"}', "get_disks", "bogus"];

test(`${CLIENTS} clients × ${REQUESTS} mixed requests: every reply correct, no crash`, { timeout: 120_000 }, async () => {
  const agent = spawn(process.execPath, [cli, "--bind", "127.0.0.1", "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  agent.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      agent.stderr?.on("data", () => {
        const m = /bound to 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) resolve(Number(m[1]));
      });
      agent.once("exit", (code) => reject(new Error(`agent exited ${code}: ${stderr}`)));
    });
    const url = `ws://127.0.0.1:${port}/ws`;
    let errors = 0;
    let replies = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const client = await TestClient.connect(url);
        try {
          // pipelined in bursts of 5, as a polling client with several panels would
          for (let i = 0; i < REQUESTS; i += 5) {
            const burst = Array.from({ length: 5 }, (_, k) => MIX[(c + i + k) % MIX.length] as string);
            for (const r of burst) client.send(r);
            for (const r of burst) {
              const frame = await client.next(30_000);
              replies++;
              const raw = unzip(frame);
              if (r.includes("processes")) {
                if (decodeProcessList(raw).processes.length === 0) errors++;
              } else {
                const value = json<Record<string, unknown>>(frame);
                const isError = "error" in value;
                if (isError !== (r === "bogus")) errors++;
              }
            }
          }
        } finally {
          await client.close();
        }
      }),
    );
    assert.equal(replies, CLIENTS * REQUESTS);
    assert.equal(errors, 0);
    assert.equal(agent.exitCode, null, "agent still running");
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.doesNotMatch(stderr, /error|at .*\.js:\d+/i);
  } finally {
    agent.kill("SIGKILL");
  }
});
