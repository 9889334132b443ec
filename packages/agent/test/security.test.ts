/** The agent's security features end to end: TLS with pinning, token, origin, limits, faults, shutdown. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile, stat } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import WebSocket from "ws";
import { CertificateError } from "../src/tls/certificate.js";
import { TestClient, json, startTestAgent, wsUrl } from "./helpers/agent.js";

async function tlsDir(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "socktop-tls-")), "tls");
}

function tlsConfig(dir: string) {
  return { tls: { dir, certFile: null, keyFile: null, extraSans: "agent.example.test,10.1.2.3" } };
}

test("TLS: a client trusting only cert.pem gets metrics over wss; the system CAs refuse it", async () => {
  const dir = await tlsDir();
  const agent = await startTestAgent(tlsConfig(dir));
  try {
    assert.match(agent.url, /^wss:/);
    const ca = await readFile(join(dir, "cert.pem"), "utf8");
    // Names are not checked here, only the pin. ws types this callback as returning a boolean while
    // Node's tls reads any truthy value as an error: false means "no error" for both.
    const pinned = await TestClient.connect(wsUrl(agent), { ca, checkServerIdentity: () => false });
    const m = json<{ hostname: string }>(await pinned.request('{"type":"metrics"}'));
    assert.equal(typeof m.hostname, "string");
    await pinned.close();
    const verified = await TestClient.connect(`wss://localhost:${agent.address.port}/ws`, { ca });
    await verified.close();
    await assert.rejects(TestClient.connect(wsUrl(agent)), /self[- ]signed certificate/i);
    // A plain ws:// client cannot talk to a TLS port.
    await assert.rejects(TestClient.connect(`ws://127.0.0.1:${agent.address.port}/ws`));
    const cert = new X509Certificate(ca);
    assert.match(cert.subjectAltName ?? "", /DNS:agent\.example\.test/);
    assert.match(cert.subjectAltName ?? "", /IP Address:10\.1\.2\.3/);
    assert.equal(agent.tls?.fingerprint256, cert.fingerprint256);
  } finally {
    await agent.close();
  }
});

test("TLS: the certificate is reused across restarts, key 0600 and directory 0700", async () => {
  const dir = await tlsDir();
  const first = await startTestAgent(tlsConfig(dir));
  const fingerprint = first.tls?.fingerprint256;
  assert.equal(first.tls?.created, true);
  await first.close();
  const second = await startTestAgent(tlsConfig(dir));
  try {
    assert.equal(second.tls?.created, false);
    assert.equal(second.tls?.fingerprint256, fingerprint);
    assert.equal((await stat(join(dir, "key.pem"))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  } finally {
    await second.close();
  }
});

test("TLS: an unwritable certificate directory is a clear CertificateError", async () => {
  const parent = await mkdtemp(join(tmpdir(), "socktop-tls-"));
  await writeFile(join(parent, "file"), "not a directory");
  await assert.rejects(
    startTestAgent(tlsConfig(join(parent, "file", "tls"))),
    (error: unknown) => error instanceof CertificateError && error.code === "CERT_DIR_UNWRITABLE" && !error.message.includes("\n"),
  );
});

test("token: accepted as ?token= and as a Bearer header, refused with 401 before the upgrade", async () => {
  const agent = await startTestAgent({ token: "s3cret/+token" });
  try {
    const byQuery = await TestClient.connect(wsUrl(agent, `?token=${encodeURIComponent("s3cret/+token")}`));
    assert.equal(typeof json<{ cpu_total: number }>(await byQuery.request('{"type":"metrics"}')).cpu_total, "number");
    await byQuery.close();
    const byHeader = await TestClient.connect(wsUrl(agent), { headers: { Authorization: "Bearer s3cret/+token" } });
    await byHeader.close();
    for (const query of ["", "?token=wrong", "?token=s3cret", "?token="]) {
      await assert.rejects(TestClient.connect(wsUrl(agent, query)), (e: { statusCode?: number }) => e.statusCode === 401);
    }
    await assert.rejects(
      TestClient.connect(wsUrl(agent), { headers: { Authorization: "Bearer nope" } }),
      (e: { statusCode?: number }) => e.statusCode === 401,
    );
    const res = await fetch(`http://127.0.0.1:${agent.address.port}/ws?token=wrong`, {
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" },
    }).catch(() => null);
    if (res !== null) {
      assert.equal(res.status, 401);
      assert.doesNotMatch(await res.text(), /s3cret/, "the token is never echoed");
    }
    assert.equal((await fetch(`http://127.0.0.1:${agent.address.port}/healthz`)).status, 200, "health checks need no token");
  } finally {
    await agent.close();
  }
});

test("origin: a cross-origin page is refused with 403; same-origin, allowed and absent origins pass", async () => {
  const agent = await startTestAgent({ allowedOrigins: "https://dash.example.com" });
  const port = agent.address.port;
  try {
    await assert.rejects(
      TestClient.connect(wsUrl(agent), { origin: "https://evil.example" }),
      (e: { statusCode?: number }) => e.statusCode === 403,
    );
    await (await TestClient.connect(wsUrl(agent), { origin: `http://127.0.0.1:${port}` })).close();
    await (await TestClient.connect(wsUrl(agent), { origin: "https://dash.example.com" })).close();
    await (await TestClient.connect(wsUrl(agent))).close();
  } finally {
    await agent.close();
  }
});

test("limits: connections beyond SOCKTOP_MAX_CLIENTS are refused with 503, and admitted again once one leaves", async () => {
  const agent = await startTestAgent({ maxClients: 3 });
  try {
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(wsUrl(agent))));
    await assert.rejects(TestClient.connect(wsUrl(agent)), (e: { statusCode?: number }) => e.statusCode === 503);
    await clients[0]?.close();
    await new Promise((r) => setTimeout(r, 20));
    const again = await TestClient.connect(wsUrl(agent));
    await Promise.all([again, ...clients.slice(1)].map((c) => c?.close()));
  } finally {
    await agent.close();
  }
});

test("limits: a connection that never completes its handshake is dropped", async () => {
  const agent = await startTestAgent({}, { handshakeTimeoutMs: 200 });
  try {
    const socket = netConnect(agent.address.port, "127.0.0.1");
    socket.write("GET /ws HTTP/1.1\r\nHost: x\r\n"); // never finished
    const started = Date.now();
    await new Promise((resolve) => socket.once("close", resolve));
    assert.ok(Date.now() - started < 2000);
  } finally {
    await agent.close();
  }
});

/** A WebSocket client on a raw TCP socket that sends masked text frames and never reads a byte after the handshake. */
async function deafClient(port: number): Promise<{ send(text: string): void; closed: Promise<void> }> {
  const socket = netConnect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.write(
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    socket.once("data", (chunk: Buffer) => {
      if (chunk.toString().startsWith("HTTP/1.1 101")) resolve();
      else reject(new Error(chunk.toString()));
    });
  });
  socket.pause(); // from here on, nothing is read: the kernel buffers fill, then the agent's
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    send(text: string) {
      const payload = Buffer.from(text);
      const mask = Buffer.from([1, 2, 3, 4]);
      const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    },
    closed,
  };
}

test("limits: a client that never reads is disconnected and the agent's memory stays bounded", { timeout: 60_000 }, async () => {
  const agent = await startTestAgent({ processesTtlMs: 60_000 });
  try {
    const client = await deafClient(agent.address.port);
    const rssBefore = process.memoryUsage.rss();
    let sent = 0;
    let gone = false;
    void client.closed.then(() => (gone = true));
    while (!gone && sent < 40_000) {
      for (let i = 0; i < 200; i++) client.send('{"type":"processes"}');
      sent += 200;
      await new Promise((r) => setTimeout(r, 2));
    }
    for (let i = 0; i < 100 && agent.server.clientCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(agent.server.clientCount, 0, `disconnected after ${sent} requests`);
    const grown = process.memoryUsage.rss() - rssBefore;
    assert.ok(grown < 200 * 1024 * 1024, `RSS grew ${grown} bytes`);
    const other = await TestClient.connect(wsUrl(agent));
    assert.equal(typeof json<{ cpu_total: number }>(await other.request('{"type":"metrics"}')).cpu_total, "number");
    await other.close();
  } finally {
    await agent.close();
  }
});

test("faults: a peer that stops answering pings is dropped", async () => {
  const agent = await startTestAgent({}, { heartbeatMs: 50 });
  try {
    const socket = new WebSocket(wsUrl(agent), { autoPong: false });
    await new Promise((resolve) => socket.once("open", resolve));
    const closed = new Promise((resolve) => socket.once("close", resolve));
    await closed;
    for (let i = 0; i < 50 && agent.server.clientCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(agent.server.clientCount, 0);
  } finally {
    await agent.close();
  }
});

test("faults: clients vanishing mid-reply under load do not disturb the others", { timeout: 30_000 }, async () => {
  const agent = await startTestAgent();
  try {
    const steady = await TestClient.connect(wsUrl(agent));
    for (let round = 0; round < 5; round++) {
      const ghosts = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(wsUrl(agent))));
      for (const g of ghosts) {
        for (let i = 0; i < 5; i++) g.send(i % 2 ? '{"type":"processes"}' : "get_metrics");
        g.socket.terminate(); // gone without a close handshake, replies in flight
      }
      const m = json<{ cpu_total: number }>(await steady.request('{"type":"metrics"}'));
      assert.equal(typeof m.cpu_total, "number");
    }
    await steady.close();
  } finally {
    await agent.close();
  }
});

test("shutdown: clients are closed with 1001", async () => {
  const agent = await startTestAgent();
  const client = await TestClient.connect(wsUrl(agent));
  await client.request('{"type":"metrics"}');
  const started = Date.now();
  await agent.close();
  const { code } = await client.closed;
  assert.equal(code, 1001);
  assert.ok(Date.now() - started < 1000);
});

test("a public bind without a token logs one warning; with a token or on loopback, none", async () => {
  const lines: string[] = [];
  const log = { info: () => {}, warn: (l: string) => lines.push(l), error: () => {} };
  const open = await startTestAgent({ bind: "0.0.0.0" }, {}, log);
  await open.close();
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? "", /without a token: anyone who can reach this port/);
  const guarded = await startTestAgent({ bind: "0.0.0.0", token: "t" }, {}, log);
  await guarded.close();
  const local = await startTestAgent({}, {}, log);
  await local.close();
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines.join("\n"), /"t"|token=t/);
});
