/**
 * Every error code, each produced by a real situation: a live agent where it
 * can produce it (token, TLS, agent errors, restarts), and small stand-in
 * servers for what a healthy agent never does (garbage, future versions).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import {
  connect,
  AgentError,
  AuthFailedError,
  CertificateError,
  ConnectionClosedError,
  ConnectionFailedError,
  ERROR_CODES,
  SocktopError,
  TimeoutError,
  UnsupportedProtocolError,
  isSocktopError,
  type ConnectionState,
  type ErrorCode,
} from "../src/index.js";
import { handshakeError } from "../src/transport-node.js";
import { parseAgentUrl } from "../src/url.js";
import { liveUrl, requireToken, startLiveAgent } from "./helpers/live.js";
import { startOriginalAgent } from "./helpers/original-agent.js";
import { startScriptedAgent } from "./helpers/scripted-agent.js";
import { makeCertificate } from "./helpers/tls.js";
import { freePort, rejection, startMuteServer, waitFor } from "./helpers/util.js";

const seen = new Set<ErrorCode>();

/** Asserts a SocktopError with this code, a message that explains, and no leaked secret. */
function expectCode(error: unknown, code: ErrorCode, message?: RegExp): SocktopError {
  assert.ok(error instanceof SocktopError, `expected a SocktopError, got ${String(error)}`);
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  assert.ok(isSocktopError(error, code));
  assert.ok(error.message.length > 20, "the message explains");
  assert.doesNotMatch(error.message, /s3cret/, "the token never appears in messages");
  if (message) assert.match(error.message, message);
  seen.add(code);
  return error;
}

test("INVALID_URL: not a URL, a wrong scheme, no host, a path where the agent has no endpoint", async () => {
  expectCode(await rejection(connect("localhost:3000")), "INVALID_URL", /did you mean ws:\/\/localhost:3000\/ws/);
  expectCode(await rejection(connect("ftp://localhost/ws")), "INVALID_URL", /scheme 'ftp:'/);
  expectCode(await rejection(connect("")), "INVALID_URL");
  expectCode(await rejection(connect("not a url?token=s3cret")), "INVALID_URL");
  const agent = await startLiveAgent();
  try {
    const e = expectCode(await rejection(connect(`ws://127.0.0.1:${agent.address.port}/nope`, { reconnect: false })), "INVALID_URL", /HTTP 404/);
    assert.match(e.message, /\/ws/);
  } finally {
    await agent.close();
  }
});

test("CONNECTION_FAILED: nothing listens on the port", async () => {
  const port = await freePort();
  const e = expectCode(await rejection(connect(`ws://127.0.0.1:${port}/ws`)), "CONNECTION_FAILED", /refused/);
  assert.equal((e.cause as { code?: string }).code, "ECONNREFUSED", "the socket error is kept as the cause");
  assert.ok(e instanceof ConnectionFailedError);
  assert.equal(e.reason, "refused");
  assert.equal(e.host, "127.0.0.1");
});

test("CONNECTION_FAILED reasons: an unknown host is named without its port; a reset hint is its own sentence", () => {
  // Socket errors as Node reports them (no DNS query leaves this machine).
  const url = parseAgentUrl("ws://nonexistent.invalid:41000/ws", {});
  const unknown = handshakeError(Object.assign(new Error("getaddrinfo ENOTFOUND nonexistent.invalid"), { code: "ENOTFOUND" }), url, false);
  assert.ok(unknown instanceof ConnectionFailedError);
  assert.equal(unknown.reason, "unknown-host");
  assert.equal(unknown.host, "nonexistent.invalid");
  assert.equal(unknown.message, "nonexistent.invalid is not a known host name: check the spelling, or use an IP address.");
  const v6 = handshakeError(Object.assign(new Error("x"), { code: "EHOSTUNREACH" }), parseAgentUrl("ws://[fe80::1]:3000/ws", {}), false);
  assert.equal((v6 as ConnectionFailedError).host, "fe80::1");
  assert.match(v6.message, /^fe80::1 is unreachable/);
  const reset = handshakeError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), parseAgentUrl("ws://127.0.0.1:3000/ws", {}), false);
  assert.equal((reset as ConnectionFailedError).reason, "reset");
  assert.equal(
    reset.message,
    "127.0.0.1:3000 reset the connection during the handshake. If the agent serves TLS, connect with wss:// (pinning the agent's certificate if it is self-signed).",
  );
});

test("messages are client-neutral: no connector option or API name in any error the connector builds", async () => {
  const src = join(import.meta.dirname, "..", "src");
  for (const file of ["connection.ts", "transport-node.ts", "transport-browser.ts", "url.ts", "decode.ts", "negotiate.ts"]) {
    const source = await readFile(join(src, file), "utf8");
    for (const m of source.matchAll(/new (\w+Error)\(\s*(`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*")/g)) {
      if (m[1] === "RangeError" || m[1] === "TypeError") continue; // a program's mistake, for its author
      const text = (m[2] as string).replace(/\$\{[^}]*\}/g, "…"); // interpolated values are not wording
      assert.doesNotMatch(text, /tlsCa|verifyHostname|TimeoutMs|token option|connect\(\)|on\("|--tls-ca|socktop --/, `${file}: ${m[2]}`);
    }
  }
});

test("AUTH_FAILED: the agent answers a wrong token with HTTP 401; the right one (option or URL) gets in", async () => {
  const agent = await startLiveAgent({}, { admission: [requireToken("right-token")] });
  try {
    const url = liveUrl(agent);
    const e = expectCode(await rejection(connect(url, { token: "s3cret" })), "AUTH_FAILED", /HTTP 401/);
    assert.ok(e instanceof AuthFailedError);
    assert.equal(e.status, 401);
    assert.match(e.message, /: connect with the agent's SOCKTOP_TOKEN as \?token=\.$/);
    expectCode(await rejection(connect(url)), "AUTH_FAILED");
    const withOption = await connect(url, { token: "right-token", reconnect: false });
    assert.equal(withOption.url, `${url}?token=***`, "the token is never shown");
    await withOption.metrics();
    await withOption.close();
    const inUrl = await connect(`${url}?token=right-token`, { reconnect: false });
    await inUrl.metrics();
    await inUrl.close();
  } finally {
    await agent.close();
  }
});

test("TLS_ERROR: wss:// to a plain agent, an unreadable CA file, a CA file without a certificate", async () => {
  const agent = await startLiveAgent();
  try {
    expectCode(await rejection(connect(liveUrl(agent, "wss"), { reconnect: false })), "TLS_ERROR", /serves TLS/);
  } finally {
    await agent.close();
  }
  expectCode(await rejection(connect("ws://127.0.0.1:1/ws", { tlsCa: "/nonexistent/cert.pem" })), "TLS_ERROR", /Cannot read the CA file/);
  const notPem = join(tmpdir(), `socktop-not-a-cert-${process.pid}.pem`);
  await writeFile(notPem, "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
  try {
    expectCode(await rejection(connect("ws://127.0.0.1:1/ws", { tlsCa: notPem })), "TLS_ERROR", /no PEM certificate/);
  } finally {
    await rm(notPem, { force: true });
  }
});

test("CERTIFICATE_ERROR: the agent's certificate is not the pinned one, or not trusted, or (verifyHostname) not for this host", async () => {
  const served = await makeCertificate("agent", ["agent.example"], []);
  const other = await makeCertificate("someone-else");
  const agent = await startLiveAgent({}, { tls: { cert: served.cert, key: served.key } });
  try {
    const url = liveUrl(agent, "ws");
    const pinned = expectCode(await rejection(connect(url, { tlsCa: other.certPath, reconnect: false })), "CERTIFICATE_ERROR", /: it is not the pinned certificate\. If/);
    assert.ok(pinned instanceof CertificateError);
    assert.ok(pinned.reason !== null && /SELF_SIGNED|UNABLE_TO_VERIFY/.test(pinned.reason), String(pinned.reason));
    assert.equal(pinned.problem, "not-pinned-certificate");
    assert.equal(pinned.pinned, true);
    // wss:// with nothing pinned: not a "mismatch" with a pin that does not exist.
    const untrusted = expectCode(await rejection(connect(liveUrl(agent, "wss"), { reconnect: false })), "CERTIFICATE_ERROR", /does not trust it and no certificate is pinned/);
    assert.ok(untrusted instanceof CertificateError);
    assert.equal(untrusted.problem, "untrusted");
    assert.equal(untrusted.pinned, false);
    assert.doesNotMatch(untrusted.message, /mismatch|not the pinned/);
    // The certificate names agent.example only; 127.0.0.1 passes on the pin alone unless hostnames are verified.
    const wrongHost = expectCode(await rejection(connect(url, { tlsCa: served.certPath, verifyHostname: true, reconnect: false })), "CERTIFICATE_ERROR", /does not name this host/);
    assert.equal((wrongHost as CertificateError).problem, "wrong-host");
    const ok = await connect(url, { tlsCa: served.cert, reconnect: false });
    assert.equal(ok.url.startsWith("wss://"), true, "ws:// is upgraded to wss:// when a CA is given");
    await ok.metrics();
    await ok.close();
  } finally {
    await agent.close();
  }
});

test("TIMEOUT: a host that accepts but never completes the upgrade; a request the agent never answers", async () => {
  const mute = await startMuteServer();
  try {
    const started = Date.now();
    const e = expectCode(await rejection(connect(`ws://127.0.0.1:${mute.port}/ws`, { connectTimeoutMs: 200 })), "TIMEOUT", /200 ms/);
    assert.ok(e instanceof TimeoutError && e.phase === "connect");
    assert.ok(Date.now() - started < 1000);
  } finally {
    await mute.close();
  }
  const silent = await startOriginalAgent({ override: () => null });
  try {
    const connection = await connect(silent.url, { requestTimeoutMs: 150, reconnect: false });
    const e = expectCode(await rejection(connection.metrics()), "TIMEOUT", /did not answer metrics within 150 ms/);
    assert.ok(e instanceof TimeoutError && e.phase === "request");
    await connection.close();
  } finally {
    await silent.close();
  }
});

test("CONNECTION_CLOSED: requests in flight when the agent goes away fail at once, with the close code", async () => {
  const slow = await startOriginalAgent({ replyDelayMs: 10_000 });
  const connection = await connect(slow.url, { reconnect: false });
  const inFlight = [rejection(connection.metrics()), rejection(connection.processes())];
  await waitFor(() => slow.received.length === 2);
  const started = Date.now();
  await slow.close();
  for (const request of inFlight) {
    const e = expectCode(await request, "CONNECTION_CLOSED", /No reply to (metrics|processes)/);
    assert.ok(e instanceof ConnectionClosedError);
  }
  assert.ok(Date.now() - started < 500, "promptly, not after the request timeout");
  assert.equal(connection.state, "closed");

  const agent = await startLiveAgent();
  const live = await connect(liveUrl(agent), { reconnect: false });
  const states: Array<[ConnectionState, SocktopError | undefined]> = [];
  live.on("state", (state, error) => states.push([state, error]));
  await agent.close();
  await waitFor(() => live.state === "closed");
  const [state, error] = states[0] ?? [];
  assert.equal(state, "closed");
  const closed = expectCode(error, "CONNECTION_CLOSED", /code 1001 "agent shutting down"/);
  assert.equal((closed as ConnectionClosedError).closeCode, 1001);
});

test("NOT_CONNECTED: a request after close(), and while reconnecting", async () => {
  const agent = await startLiveAgent();
  const connection = await connect(liveUrl(agent), { reconnect: { initialDelayMs: 5000 } });
  await agent.close();
  await waitFor(() => connection.state === "reconnecting");
  const e = expectCode(await rejection(connection.metrics()), "NOT_CONNECTED", /being re-established/);
  assert.equal((e as { state?: string }).state, "reconnecting");
  await connection.close();
  expectCode(await rejection(connection.disks()), "NOT_CONNECTED", /closed\. Connect again\.$/);
});

test("AGENT_ERROR: the agent's error reply, with its code under protocol 2 and its text under both", async () => {
  const agent = await startLiveAgent();
  try {
    for (const protocol of ["auto", "legacy"] as const) {
      const connection = await connect(liveUrl(agent), { protocol, reconnect: false });
      // pid 4294967295 never exists: either "not found" or, from an agent without details, "not served".
      const e = expectCode(await rejection(connection.processMetrics(4294967295)), "AGENT_ERROR");
      assert.ok(e instanceof AgentError);
      assert.ok(e.agentMessage.length > 0);
      assert.ok(e.message.includes(e.agentMessage), "the agent's text is in the message");
      if (protocol === "auto") assert.match(String(e.agentCode), /^(NOT_FOUND|UNKNOWN_REQUEST|UNAVAILABLE)$/);
      else assert.equal(e.agentCode, null);
      assert.equal(connection.state, "open");
      await connection.metrics();
      await connection.close();
    }
  } finally {
    await agent.close();
  }
});

test("DECODE_ERROR: a reply that is not JSON, gzip that does not inflate, bytes that are not a process list", async () => {
  const garbage = await startOriginalAgent({
    override: (command) => {
      if (command === "get_metrics") return { data: "<html>garbage</html>", binary: false };
      if (command === "get_disks") return { data: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad]), binary: true };
      if (command === "get_processes") return { data: Buffer.from([0xff, 0xff, 0xff]), binary: true };
      return undefined;
    },
  });
  try {
    const connection = await connect(garbage.url, { reconnect: false });
    expectCode(await rejection(connection.metrics()), "DECODE_ERROR", /not valid JSON/);
    expectCode(await rejection(connection.disks()), "DECODE_ERROR", /gzip/);
    expectCode(await rejection(connection.processes()), "DECODE_ERROR", /protobuf/);
    assert.equal(connection.state, "open", "an undecodable reply still used its slot: the link stays in step");
    await connection.close();
  } finally {
    await garbage.close();
  }
});

test("PROTOCOL_ERROR: a reply of the wrong shape, a wrong id, a frame nobody asked for", async () => {
  const wrongShape = await startOriginalAgent({
    override: (command) => (command === "get_metrics" ? { data: gzipSync(JSON.stringify({ hello: "world", pad: "x".repeat(800) })), binary: true } : undefined),
  });
  try {
    const connection = await connect(wrongShape.url, { reconnect: false });
    expectCode(await rejection(connection.metrics()), "PROTOCOL_ERROR", /not a metrics reply: \/cpu_total: Expected number\.$/);
    await waitFor(() => connection.state === "closed");
  } finally {
    await wrongShape.close();
  }

  const v2Headers = { "x-socktop-protocol": "2", "x-socktop-capabilities": "metrics,hello,request_id", "x-socktop-agent-version": "9.9.9" };
  const wrongId = await startScriptedAgent({
    headers: v2Headers,
    onMessage: (text, socket) => {
      const request = JSON.parse(text) as { type: string; id: number };
      if (request.type === "hello") {
        socket.send(JSON.stringify({ id: request.id, type: "hello", data: { type: "hello", agent: "socktop_agent", agent_version: "9.9.9", protocol_version: 2, min_protocol_version: 1, capabilities: ["metrics"] } }));
      } else {
        socket.send(JSON.stringify({ id: request.id + 1000, type: request.type, data: {} }));
      }
    },
  });
  try {
    const connection = await connect(wrongId.url, { reconnect: false });
    assert.equal(connection.info.agentVersion, "9.9.9");
    expectCode(await rejection(connection.metrics()), "PROTOCOL_ERROR", /carries id \d+ where \d+ \(metrics\) was due/);
    assert.deepEqual(wrongId.received.map((t) => (JSON.parse(t) as { type: string }).type), ["hello", "metrics"]);
  } finally {
    await wrongId.close();
  }

  const chatty = await startScriptedAgent({ onOpen: (socket) => setTimeout(() => socket.send("surprise"), 50) });
  try {
    const connection = await connect(chatty.url, { reconnect: false });
    const states: Array<[ConnectionState, SocktopError | undefined]> = [];
    connection.on("state", (state, error) => states.push([state, error]));
    await waitFor(() => connection.state === "closed");
    expectCode(states[0]?.[1], "PROTOCOL_ERROR", /answers no request/);
  } finally {
    await chatty.close();
  }
});

test("UNSUPPORTED_PROTOCOL: an agent too new (by header, or by its hello) or too old, with both versions in the message", async () => {
  const tooNewHeaders = await startScriptedAgent({ headers: { "x-socktop-protocol": "5", "x-socktop-min-protocol": "4", "x-socktop-capabilities": "hello" } });
  try {
    const e = expectCode(await rejection(connect(tooNewHeaders.url)), "UNSUPPORTED_PROTOCOL", /speaks protocols 4–5, too new: .* speaks protocols 1–2/);
    assert.ok(e instanceof UnsupportedProtocolError);
    assert.equal(e.agentProtocolVersion, 5);
    assert.equal(e.agentMinProtocolVersion, 4);
    assert.equal(e.connectorProtocolVersion, 2);
    assert.deepEqual(tooNewHeaders.received, [], "refused before sending anything");
  } finally {
    await tooNewHeaders.close();
  }

  const tooNewHello = await startScriptedAgent({
    headers: { "x-socktop-protocol": "3", "x-socktop-capabilities": "hello,request_id" },
    onMessage: (text, socket) => {
      const request = JSON.parse(text) as { type: string; id: number };
      socket.send(JSON.stringify({ id: request.id, type: "hello", data: { type: "hello", agent: "socktop_agent", agent_version: "3.0.0", protocol_version: 3, min_protocol_version: 3, capabilities: [] } }));
    },
  });
  try {
    expectCode(await rejection(connect(tooNewHello.url)), "UNSUPPORTED_PROTOCOL", /protocols 3–3, too new/);
  } finally {
    await tooNewHello.close();
  }

  const tooOld = await startScriptedAgent({ headers: { "x-socktop-protocol": "0" } });
  try {
    expectCode(await rejection(connect(tooOld.url)), "UNSUPPORTED_PROTOCOL", /speaks protocol 0, too old/);
  } finally {
    await tooOld.close();
  }

  // A newer agent that still speaks 2 is fine: the connector speaks 2 with it.
  const newerCompatible = await startScriptedAgent({
    headers: { "x-socktop-protocol": "3", "x-socktop-capabilities": "hello" },
    onMessage: (text, socket) => {
      const request = JSON.parse(text) as { type: string };
      if (request.type === "hello") {
        socket.send(JSON.stringify({ type: "hello", agent: "socktop_agent", agent_version: "3.0.0", protocol_version: 3, min_protocol_version: 2, capabilities: ["hello"] }));
      }
    },
  });
  try {
    const connection = await connect(newerCompatible.url, { reconnect: false });
    assert.equal(connection.info.protocolVersion, 2);
    assert.equal(connection.info.agentProtocolVersion, 3);
    assert.equal(connection.info.agentMinProtocolVersion, 2);
    await connection.close();
  } finally {
    await newerCompatible.close();
  }
});

test("every error code was produced above", () => {
  assert.deepEqual([...seen].sort(), [...ERROR_CODES].sort());
});
