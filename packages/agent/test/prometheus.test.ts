/** GET /metrics served by a live agent: on its port, with its token rules, sharing its caches; and on a port of its own. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { parseCommand, prometheusEnabled } from "../src/config.js";
import { TestClient, activeHandles, collectionsFrom, startTestAgent, wsUrl } from "./helpers/agent.js";
import { get, parseExposition, prometheusConfig } from "./helpers/prometheus.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

test("GET /metrics on the agent's port: text, OpenMetrics, gzip, HEAD, 405; 404 when not enabled", async () => {
  const agent = await startTestAgent(prometheusConfig());
  const off = await startTestAgent();
  try {
    assert.equal(agent.prometheus?.address.port, agent.address.port);
    assert.equal(agent.prometheus?.url, `http://127.0.0.1:${agent.address.port}/metrics`);
    const base = `http://127.0.0.1:${agent.address.port}/metrics`;
    const text = await get(base);
    assert.equal(text.status, 200);
    assert.equal(text.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    const f = parseExposition(text.body.toString("utf8"));
    for (const name of ["socktop_cpu_usage_ratio", "socktop_memory_total_bytes", "socktop_network_receive_bytes_total", "socktop_agent_build_info"]) {
      assert.ok(f.has(name), name);
    }
    assert.ok(f.get("socktop_memory_total_bytes")!.samples[0]!.value > 0);

    const om = await get(base, { headers: { Accept: "application/openmetrics-text; version=1.0.0" } });
    assert.equal(om.headers["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert.ok(om.body.toString().endsWith("# EOF\n"));

    const zipped = await get(base, { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(zipped.headers["content-encoding"], "gzip");
    assert.match(gunzipSync(zipped.body).toString(), /^# HELP socktop_/);

    const head = await get(base, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const post = await get(base, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");

    assert.equal(off.prometheus, null);
    assert.equal((await get(`http://127.0.0.1:${off.address.port}/metrics`)).status, 404);
    assert.equal((await get(`http://127.0.0.1:${agent.address.port}/healthz`)).status, 200, "other routes unaffected");
  } finally {
    await Promise.all([agent.close(), off.close()]);
  }
});

test("the token rules of /ws apply: 401 without it, 200 with a Bearer header or ?token=", async () => {
  const agent = await startTestAgent({ ...prometheusConfig(), token: "s3cret" });
  try {
    const base = `http://127.0.0.1:${agent.address.port}/metrics`;
    const refused = await get(base);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers["www-authenticate"], 'Bearer realm="socktop_agent"');
    assert.doesNotMatch(refused.body.toString(), /socktop_/);
    assert.equal((await get(base, { headers: { Authorization: "Bearer wrong" } })).status, 401);
    assert.equal((await get(base, { headers: { Authorization: "Bearer s3cret" } })).status, 200);
    assert.equal((await get(`${base}?token=s3cret`)).status, 200);
    await assert.rejects(TestClient.connect(wsUrl(agent)), /HTTP 401/, "the same function guards /ws");
  } finally {
    await agent.close();
  }
});

test("a scrape costs what a request costs: it shares the TTL caches with WebSocket clients", async () => {
  const agent = await startTestAgent({ ...prometheusConfig(), metricsTtlMs: 60_000, disksTtlMs: 60_000 });
  const client = await TestClient.connect(wsUrl(agent));
  try {
    const collections = collectionsFrom(agent);
    await get(`http://127.0.0.1:${agent.address.port}/metrics`);
    await get(`http://127.0.0.1:${agent.address.port}/metrics`);
    await client.request('{"type":"metrics"}');
    await client.request('{"type":"disks"}');
    assert.deepEqual(collections(), { metrics: 1, processes: 0, disks: 1 });
  } finally {
    await client.close();
    await agent.close();
  }
});

test("--prometheus-port: /metrics on its own port only, over TLS with the token when the agent has them; close() closes it", async () => {
  const { createSelfSignedCertificate } = await import("../src/tls/self-signed.js");
  const tls = await createSelfSignedCertificate({ commonName: "localhost", dns: ["localhost"], ips: ["127.0.0.1"] });
  const agent = await startTestAgent({ ...prometheusConfig({ port: 0, topProcesses: 3 }), token: "s3cret" }, { tls });
  const port = agent.prometheus!.address.port;
  assert.notEqual(port, agent.address.port);
  assert.equal(agent.prometheus!.url, `https://127.0.0.1:${port}/metrics`);
  try {
    const base = `https://127.0.0.1:${port}`;
    assert.equal((await get(`${base}/metrics`, { ca: tls.cert })).status, 401);
    const ok = await get(`${base}/metrics`, { ca: tls.cert, headers: { Authorization: "Bearer s3cret" } });
    assert.equal(ok.status, 200);
    assert.equal(parseExposition(ok.body.toString()).get("socktop_process_cpu_usage_ratio")?.samples.length, 3);
    assert.equal((await get(`${base}/healthz`, { ca: tls.cert })).status, 404, "only /metrics there");
    assert.equal((await get(`https://127.0.0.1:${agent.address.port}/metrics?token=s3cret`, { ca: tls.cert })).status, 404, "not on the main port");
    await assert.rejects(get(`http://127.0.0.1:${port}/metrics`), "no plain HTTP on a TLS agent");
  } finally {
    await agent.close();
  }
  await assert.rejects(get(`https://127.0.0.1:${port}/metrics`, { ca: tls.cert }), /ECONNREFUSED/);
});

test("a --prometheus-port already in use fails the start with a message naming it, and frees the main port", async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const taken = (blocker.address() as { port: number }).port;
  const listeners = (): number => activeHandles("TCPServerWrap");
  const before = listeners();
  try {
    await assert.rejects(startTestAgent(prometheusConfig({ port: taken })), (error: Error & { syscall?: string }) => {
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${taken} for --prometheus-port: the port is already in use`));
      assert.equal(error.syscall, undefined, "not mistaken for the main --port by the CLI");
      return true;
    });
    await new Promise((r) => setTimeout(r, 50)); // a handle that failed to listen is released asynchronously
    assert.equal(listeners(), before, "the agent's own listener was closed again");
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test("an agent with Prometheus enabled keeps no timers, before and after a scrape, on either port", async () => {
  const timers = (): number => activeHandles("Timeout");
  const baseline = timers();
  const same = await startTestAgent(prometheusConfig());
  const separate = await startTestAgent(prometheusConfig({ port: 0 }));
  try {
    assert.equal(timers(), baseline, "listening adds no timer");
    await get(`http://127.0.0.1:${same.address.port}/metrics`);
    await get(`http://127.0.0.1:${separate.prometheus!.address.port}/metrics`);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(timers(), baseline, "nothing keeps running after a scrape");
  } finally {
    await Promise.all([same.close(), separate.close()]);
  }
});

test("every command line in docs/prometheus.md's Enabling section turns /metrics on as described", () => {
  const doc = readFileSync(`${repo}docs/prometheus.md`, "utf8");
  const section = doc.slice(doc.indexOf("\n## Enabling\n"), doc.indexOf("\n## Metrics\n"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const lines = block.trim().split("\n");
  assert.equal(lines.length, 4);
  const configs = lines.map((line) => {
    const words = line.split(/\s+/);
    const env: Record<string, string> = {};
    while (words[0]?.includes("=")) {
      const [k, v] = words.shift()!.split("=") as [string, string];
      env[k] = v;
    }
    assert.equal(words.shift(), "socktop_agent", line);
    const command = parseCommand(words, env);
    assert.ok(command.kind === "run", line);
    const { prometheus } = command.config;
    return { enabled: prometheusEnabled(prometheus), port: prometheus.port, topProcesses: prometheus.topProcesses };
  });
  assert.deepEqual(configs, [
    { enabled: true, port: null, topProcesses: 0 },
    { enabled: true, port: null, topProcesses: 0 },
    { enabled: true, port: 9101, topProcesses: 0 },
    { enabled: true, port: 9101, topProcesses: 10 },
  ]);
});
