/**
 * @socktop/connector's browser entry in real Chromium (its own tests run it
 * under Node's WebSocket): bundled as is with esbuild, loaded into a page of
 * the agent's origin, talking to a real agent and to the original-agent
 * stand-in. Covers gzip through DecompressionStream (legacy replies and
 * process lists over 768 bytes), protobuf, the pushed hello, typed agent
 * errors, and reconnection after an agent restart.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { startOriginalAgent, type OriginalAgent } from "../../connector/test/helpers/original-agent.js";
import { launch, startWebAgent, type StartedAgent } from "./helpers/browser.js";

let browser: Browser;
let bundle: string;

before(async () => {
  browser = await launch();
  const entry = fileURLToPath(new URL("../../connector/src/browser.ts", import.meta.url));
  const out = await build({
    stdin: { contents: `import * as c from ${JSON.stringify(entry)}; globalThis.socktop = c;`, resolveDir: process.cwd(), loader: "ts" },
    bundle: true,
    format: "iife",
    write: false,
    platform: "browser",
    logLevel: "silent",
  });
  bundle = out.outputFiles[0]!.text;
  // The browser entry must not have pulled in anything from Node.
  assert.doesNotMatch(bundle, /require\("(node:)?(fs|net|tls|zlib|http)"\)/);
});

after(async () => {
  await browser.close();
});

/** A page of the agent's own origin (its /healthz, which has no CSP) with the connector loaded. */
async function connectorPage(origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/healthz`);
  await page.addScriptTag({ content: bundle });
  return page;
}

test("in Chromium against the real agent: hello, gzip process list via DecompressionStream, protobuf, legacy gzip, typed errors", async () => {
  const agent = await startWebAgent();
  const page = await connectorPage(`http://127.0.0.1:${agent.address.port}`);
  try {
    const result = await page.evaluate(async (url) => {
      const { connect } = (globalThis as unknown as { socktop: typeof import("@socktop/connector/browser") }).socktop;
      const auto = await connect(url);
      const metrics = await auto.metrics();
      const list = await auto.processes();
      const disks = await auto.disks();
      let missing = "";
      try {
        await auto.processMetrics(4_000_000_000);
      } catch (e) {
        const err = e as { code: string; agentCode: string | null };
        missing = `${err.code}:${err.agentCode}`;
      }
      const info = auto.info;
      await auto.close();
      // Legacy commands: metrics and details come back as gzip binary frames when long.
      const legacy = await connect(url, { protocol: "legacy" });
      const lm = await legacy.metrics();
      const lp = await legacy.processes();
      const self = lp.processes[0]!.pid;
      const details = await legacy.processMetrics(self).catch((e: Error) => e.message);
      await legacy.close();
      return {
        host: metrics.hostname,
        cores: metrics.cpu_per_core.length,
        processes: list.processes.length,
        processCount: list.process_count,
        firstPidOk: list.processes.every((p) => Number.isInteger(p.pid) && p.pid > 0 && typeof p.name === "string"),
        disks: Array.isArray(disks),
        missing,
        protocol: info.protocolVersion,
        source: info.source,
        agentVersion: info.agentVersion,
        legacyHost: lm.hostname,
        legacyProcesses: lp.processes.length,
        details: typeof details === "string" ? details : details.process.pid,
        decompression: typeof DecompressionStream,
      };
    }, `ws://127.0.0.1:${agent.address.port}/ws`);
    assert.equal(result.decompression, "function");
    assert.equal(result.host, hostname());
    assert.ok(result.cores >= 1);
    // Dozens of processes: well over 768 bytes of protobuf, so the frame was gzip.
    assert.ok(result.processes > 20, `${result.processes} processes`);
    assert.ok(result.firstPidOk);
    assert.equal(result.protocol, 2);
    assert.equal(result.source, "hello");
    assert.match(result.agentVersion ?? "", /^\d+\.\d+\.\d+/);
    assert.equal(result.missing, "AGENT_ERROR:NOT_FOUND");
    assert.equal(result.legacyHost, hostname());
    assert.ok(result.legacyProcesses > 20);
    assert.ok(typeof result.details === "number" || /not found/i.test(String(result.details)));
  } finally {
    await page.close();
    await agent.close();
  }
});

test("in Chromium against the original agent: gzip JSON and gzip protobuf decoded, identified by its first reply", async () => {
  const page0 = await startWebAgent();
  const original: OriginalAgent = await startOriginalAgent();
  const page = await connectorPage(`http://127.0.0.1:${page0.address.port}`);
  try {
    const result = await page.evaluate(async (url) => {
      const { connect } = (globalThis as unknown as { socktop: typeof import("@socktop/connector/browser") }).socktop;
      const c = await connect(url);
      const m = await c.metrics();
      const p = await c.processes();
      const gpu = m.gpus?.[0] ?? null;
      const out = { host: m.hostname, nets: m.networks.length, procs: p.processes.length, gpuUsage: gpu?.usage ?? null, legacy: c.info.legacy, source: c.info.source };
      await c.close();
      return out;
    }, original.url);
    assert.deepEqual(result, { host: "original-host", nets: 40, procs: 60, gpuUsage: 56.5, legacy: true, source: "none" });
    assert.ok(original.received.includes("get_metrics"), "legacy commands were sent");
  } finally {
    await page.close();
    await original.close();
    await page0.close();
  }
});

test("in Chromium: reconnects by itself after the agent restarts", async () => {
  const first: StartedAgent = await startWebAgent();
  const port = first.address.port;
  const page = await connectorPage(`http://127.0.0.1:${port}`);
  let second: StartedAgent | null = null;
  try {
    await page.evaluate(async (url) => {
      const { connect } = (globalThis as unknown as { socktop: typeof import("@socktop/connector/browser") }).socktop;
      const c = await connect(url, { reconnect: { initialDelayMs: 100, maxDelayMs: 400 } });
      const states: string[] = [];
      c.on("state", (s) => states.push(s));
      (globalThis as unknown as { conn: typeof c; states: string[] }).conn = c;
      (globalThis as unknown as { states: string[] }).states = states;
      await c.metrics();
    }, `ws://127.0.0.1:${port}/ws`);
    await first.close();
    await page.waitForFunction(() => (globalThis as unknown as { states: string[] }).states.includes("reconnecting"), null, { timeout: 10_000 });
    const during = await page.evaluate(async () => {
      const c = (globalThis as unknown as { conn: { metrics(): Promise<unknown> } }).conn;
      return c.metrics().then(
        () => "ok",
        (e: { code: string }) => e.code,
      );
    });
    assert.equal(during, "NOT_CONNECTED");
    second = await startWebAgent({ port });
    await page.waitForFunction(() => (globalThis as unknown as { conn: { state: string } }).conn.state === "open", null, { timeout: 15_000 });
    const host = await page.evaluate(async () => {
      const c = (globalThis as unknown as { conn: { metrics(): Promise<{ hostname: string }>; close(): Promise<void> } }).conn;
      const m = await c.metrics();
      await c.close();
      return m.hostname;
    });
    assert.equal(host, hostname());
    const states = await page.evaluate(() => (globalThis as unknown as { states: string[] }).states);
    assert.deepEqual(states.slice(0, 1), ["reconnecting"]);
    assert.ok(states.includes("open"));
  } finally {
    await page.close();
    await second?.close();
  }
});
