/**
 * A temperature sensor that never answers (a FIFO with no writer: open()
 * blocks like a hung hwmon read) must not hold up the agent: the metrics
 * reply goes out after the sensor timeout with the temperature null, other
 * clients are served meanwhile, and the agent still stops on SIGTERM.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeProcessList } from "@socktop/protocol";
import { TestClient, json, startTestAgent, unzip, wsUrl } from "./helpers/agent.js";
import { makeFifos, releaseFifos } from "./helpers/fifo.js";
import { materialise, removeTrees } from "./helpers/tree.js";

test.after(removeTrees);

/** A /sys whose only CPU sensor (coretemp's package) hangs on read. */
function hungSensorSys(): { sysRoot: string; fifo: string } {
  const sysRoot = materialise({
    "class/hwmon/hwmon0/name": "coretemp\n",
    "class/hwmon/hwmon0/temp1_label": "Package id 0\n",
  });
  const fifo = join(sysRoot, "class/hwmon/hwmon0/temp1_input");
  makeFifos(fifo);
  return { sysRoot, fifo };
}

test("a hung sensor: the metrics reply comes after the timeout with the temperature null, and another client is served meanwhile", async () => {
  const { sysRoot, fifo } = hungSensorSys();
  const timeoutMs = 1000;
  const agent = await startTestAgent({ sysRoot, sensorTimeoutMs: timeoutMs });
  const [a, b] = await Promise.all([TestClient.connect(wsUrl(agent)), TestClient.connect(wsUrl(agent))]);
  try {
    const t0 = performance.now();
    const metrics = a.request('{"type":"metrics"}').then((frame) => ({ frame, at: performance.now() - t0 }));
    const other = b.request('{"type":"processes"}').then((frame) => ({ frame, at: performance.now() - t0 }));
    const [m, o] = await Promise.all([metrics, other]);
    assert.ok(o.at < m.at, `the other client was answered (${o.at.toFixed(0)} ms) before the stalled metrics (${m.at.toFixed(0)} ms)`);
    assert.ok(decodeProcessList(unzip(o.frame)).processes.length > 0, "the process list (protobuf)");
    assert.ok(m.at >= timeoutMs - 50, `metrics waited for the sensor's timeout (${m.at.toFixed(0)} ms)`);
    assert.ok(m.at < timeoutMs + 3000, `and not much longer (${m.at.toFixed(0)} ms)`);
    const reply = json<{ cpu_temp_c: number | null; hostname: string; mem_total: number; cpu_per_core: number[] }>(m.frame);
    assert.equal(reply.cpu_temp_c, null);
    assert.ok(reply.hostname.length > 0 && reply.mem_total > 0 && reply.cpu_per_core.length > 0, "the rest of the reply is there");
  } finally {
    releaseFifos([fifo]);
    await Promise.all([a.close(), b.close()]);
    await agent.close();
  }
});

test("socktop_agent still exits promptly on SIGTERM while a sensor read is blocked in the kernel", async () => {
  const { sysRoot, fifo } = hungSensorSys();
  const cli = fileURLToPath(new URL("../dist/cli.cjs", import.meta.url));
  const child = spawn(process.execPath, [cli, "--bind", "127.0.0.1", "--port", "0", "--sys-root", sysRoot], {
    env: { ...process.env, SOCKTOP_AGENT_SENSOR_TIMEOUT_MS: "200" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  try {
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on (ws:\/\/\S+)/.exec(stderr);
        if (match !== null) resolve(match[1] as string);
      });
      void exited.then(() => reject(new Error(`agent exited: ${stderr}`)));
    });
    const client = await TestClient.connect(url);
    const reply = json<{ cpu_temp_c: number | null }>(await client.request('{"type":"metrics"}'));
    assert.equal(reply.cpu_temp_c, null);
    await client.close();
    const t0 = Date.now();
    child.kill("SIGTERM");
    const timer = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 5000).unref());
    const end = await Promise.race([exited, timer]);
    assert.notEqual(end, "hung", "process.exit() would wait for the blocked threadpool thread for ever");
    assert.ok(Date.now() - t0 < 3000);
    // It ends by the signal (status 143), as a process without a handler would: exit() cannot be used.
    assert.deepEqual(end, { code: null, signal: "SIGTERM" });
    assert.match(stderr, /did not answer within 200 ms/);
  } finally {
    child.kill("SIGKILL");
    releaseFifos([fifo]);
  }
});
