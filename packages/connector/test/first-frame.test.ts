/**
 * The browser's negotiation (discovery "first-frame"), run in this process over
 * the Node transport with the upgrade headers hidden, as a browser hides them,
 * so that every frame sent can be checked: one handshake carrying
 * ?socktop_hello=1, no waiting, legacy commands until the first frame tells
 * which agent this is, then protocol 2 with our agent. The real browser
 * transport is exercised by browser.test.ts.
 */
import type { IncomingMessage } from "node:http";
import { hostname } from "node:os";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectWith } from "../src/connection.js";
import type { ConnectOptions } from "../src/options.js";
import type { Platform, Transport } from "../src/transport.js";
import { nodePlatform } from "../src/transport-node.js";
import type { AgentConnection, AgentInfo, ConnectionState, SocktopError } from "../src/index.js";
import { liveUrl, startLiveAgent, type StartedAgent } from "./helpers/live.js";
import { ORIGINAL_AGENT_INFO, originalJson, originalMetrics, startOriginalAgent } from "./helpers/original-agent.js";
import { startScriptedAgent } from "./helpers/scripted-agent.js";
import { rejection, waitFor } from "./helpers/util.js";

/** Every frame the connector sent, in order, across connections. */
const sent: string[] = [];

/**
 * The Node platform as a browser would be: no headers to read, so the first frame decides; and
 * events delivered each in a task of its own, as a browser's WebSocket does (ws may deliver a
 * frame that came with the upgrade response before the promise chain that opened the link ends).
 * "first-frame-before-open" instead holds the link back until its first frame was delivered,
 * which the transport contract allows: the case of a hello that beats connect().
 */
function browserLike(delivery: "as-tasks" | "first-frame-before-open"): Platform {
  return {
    async prepare(options) {
      const node = await nodePlatform.prepare(options);
      return {
        discovery: "first-frame",
        gunzip: node.gunzip,
        async open(request, events) {
          let firstFrame!: () => void;
          const delivered = new Promise<void>((resolve) => {
            firstFrame = resolve;
          });
          const inner = await node.open(
            request,
            delivery === "as-tasks"
              ? {
                  message: (frame) => setImmediate(() => events.message(frame)),
                  close: (code, reason, error) => setImmediate(() => events.close(code, reason, error)),
                }
              : {
                  message: (frame) => {
                    events.message(frame);
                    firstFrame();
                  },
                  close: events.close,
                },
          );
          if (delivery === "first-frame-before-open") await delivered;
          return recording(inner);
        },
      };
    },
  };
}

function recording(inner: Transport): Transport {
  return {
    headers: null,
    send(text) {
      sent.push(text);
      inner.send(text);
    },
    close: (code, reason) => inner.close(code, reason),
    terminate: () => inner.terminate(),
  };
}

function connect(url: string, options?: ConnectOptions, delivery: Parameters<typeof browserLike>[0] = "as-tasks"): Promise<AgentConnection> {
  return connectWith(browserLike(delivery), url, options);
}

const HELLO_V2 = {
  type: "hello",
  agent: "socktop_agent",
  agent_version: "9.9.9",
  protocol_version: 2,
  min_protocol_version: 1,
  capabilities: ["metrics", "disks", "processes", "hello", "request_id", "error_frames"],
};

let agent: StartedAgent;
const agentUpgrades: Array<{ protocols: string | undefined; url: string }> = [];

before(async () => {
  agent = await startLiveAgent({}, {
    admission: [
      (request: IncomingMessage) => {
        agentUpgrades.push({ protocols: request.headers["sec-websocket-protocol"], url: request.url ?? "" });
        return null;
      },
    ],
  });
});
after(() => agent.close());

test("our agent: one handshake; requests sent before the hello go out as legacy commands, later ones as protocol 2", async () => {
  const before = { upgrades: agentUpgrades.length, sent: sent.length };
  const connection = await connect(`${liveUrl(agent)}?x=1`, { token: "t k", reconnect: false });
  const events: AgentInfo[] = [];
  connection.on("info", (info) => events.push(info));
  try {
    // The token percent-encoded: a "+" would reach the agent as a plus sign.
    assert.deepEqual(agentUpgrades.slice(before.upgrades), [{ protocols: undefined, url: "/ws?x=1&token=t%20k&socktop_hello=1" }]);
    assert.equal(connection.url, `${liveUrl(agent)}?x=1&token=***`, "the parameter is the connector's business, not shown");
    assert.equal(connection.info.source, "pending", "connect() resolved on open, without waiting for the hello");
    assert.equal(connection.info.protocolVersion, 1);

    const early = await Promise.all([
      connection.metrics(),
      connection.disks(),
      connection.processes(),
      connection.processMetrics(4_000_000_000).catch((e: SocktopError) => e),
    ]);
    assert.equal(early[0].hostname, hostname());
    assert.ok(early[1].length >= 1);
    assert.ok(early[2].processes.length > 5);
    const earlyError = early[3] as SocktopError & { agentCode: string | null; request: string | null };
    assert.equal(earlyError.code, "AGENT_ERROR");
    assert.equal(earlyError.request, "get_process_metrics", "a legacy command");
    assert.equal(earlyError.agentCode, "NOT_FOUND", "typed: ?socktop_hello=1 put the connection in protocol 2");

    assert.deepEqual(events.map((i) => i.source), ["hello"]);
    assert.equal(connection.info.protocolVersion, 2);
    assert.equal(connection.info.agentMinProtocolVersion, 1);
    assert.equal(connection.info.legacy, false);
    assert.ok(connection.info.capabilities.includes("request_id"));

    const late = (await rejection(connection.processMetrics(4_000_000_000))) as Error & { request?: string | null };
    assert.equal(late.request, "process_metrics", "a JSON request");
    await connection.disks();

    const frames = sent.slice(before.sent);
    assert.deepEqual(frames.slice(0, 4), ["get_metrics", "get_disks", "get_processes", "get_process_metrics:4000000000"]);
    const json = frames.slice(4).map((f) => JSON.parse(f) as { type: string; id: number });
    assert.deepEqual(json.map((r) => r.type), ["process_metrics", "disks"], "no hello request: the pushed one sufficed");
    assert.ok(json.every((r) => Number.isInteger(r.id)), "with ids");
    assert.equal(new Set(json.map((r) => r.id)).size, json.length);
  } finally {
    await connection.close();
  }
});

test("the original agent: one handshake, nothing waited for, its first reply identifies it, only legacy commands", async () => {
  const replyDelayMs = 200;
  const original = await startOriginalAgent({ replyDelayMs });
  try {
    const started = Date.now();
    const connection = await connect(`${original.url}?token=secret`, { reconnect: false, connectTimeoutMs: 100, requestTimeoutMs: 1000 });
    const connected = Date.now();
    const events: string[] = [];
    connection.on("info", (info) => events.push(info.source));
    assert.ok(connected - started < 100, `connect took ${connected - started} ms: it must not wait for anything from the agent`);
    assert.equal(connection.info.source, "pending");
    const metrics = await connection.metrics();
    const done = Date.now();
    assert.equal(metrics.hostname, "original-host");
    assert.ok(done - started < replyDelayMs + 150, `connect + metrics took ${done - started} ms: one reply's time`);
    assert.deepEqual(events, ["none"]);
    assert.deepEqual(connection.info, ORIGINAL_AGENT_INFO);
    assert.equal((await connection.disks()).length, 2);
    assert.deepEqual(original.received, ["get_metrics", "get_disks"]);
    assert.deepEqual(original.upgrades, [{ protocols: undefined, url: "/ws?token=secret&socktop_hello=1" }]);
    await connection.close();
  } finally {
    await original.close();
  }
});

test("no request and no frame: nothing waits, no timer fires, the link stays open and pending", async () => {
  const original = await startOriginalAgent();
  try {
    const connection = await connect(original.url, { connectTimeoutMs: 50, requestTimeoutMs: 50, reconnect: false });
    const states: ConnectionState[] = [];
    connection.on("state", (state) => states.push(state));
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(connection.state, "open");
    assert.deepEqual(states, []);
    assert.equal(connection.info.source, "pending");
    assert.deepEqual(original.received, []);
    assert.equal((await connection.metrics()).hostname, "original-host");
    await connection.close();
  } finally {
    await original.close();
  }
});

test("a first reply that merely mentions hello is a reply, not a hello", async () => {
  const original = await startOriginalAgent({
    override: (command) => (command === "get_metrics" ? originalJson({ ...originalMetrics(1), hostname: "hello" }) : undefined),
  });
  try {
    const connection = await connect(original.url, { reconnect: false });
    assert.equal((await connection.metrics()).hostname, "hello");
    assert.equal(connection.info.source, "none");
    await connection.close();
  } finally {
    await original.close();
  }
});

test('protocol: "legacy": no ?socktop_hello, settled at once as protocol 1', async () => {
  const before = agentUpgrades.length;
  const connection = await connect(liveUrl(agent), { protocol: "legacy", reconnect: false });
  try {
    assert.deepEqual(agentUpgrades.slice(before), [{ protocols: undefined, url: "/ws" }]);
    assert.equal(connection.info.source, "none");
    const error = await rejection(connection.processMetrics(4_000_000_000));
    assert.equal((error as { agentCode?: string | null }).agentCode, null, "the connection stayed in protocol 1");
    assert.equal(connection.info.source, "none");
  } finally {
    await connection.close();
  }
});

test("UNSUPPORTED_PROTOCOL from a pushed hello: requests waiting fail with it, the connection closes and does not retry", async () => {
  const tooNew = await startScriptedAgent({
    onOpen: (socket) => {
      // Late enough that the request below is already waiting for its reply.
      setTimeout(() => socket.send(JSON.stringify({ ...HELLO_V2, agent_version: "4.0.0", protocol_version: 4, min_protocol_version: 3 })), 50);
    },
  });
  try {
    const connection = await connect(tooNew.url, { reconnect: { initialDelayMs: 10, maxDelayMs: 10 } });
    const states: Array<[ConnectionState, string | undefined]> = [];
    connection.on("state", (state, error) => states.push([state, error?.code]));
    assert.equal(connection.info.source, "pending");
    const error = await rejection(connection.metrics());
    assert.equal(error.code, "UNSUPPORTED_PROTOCOL");
    assert.match(error.message, /speaks protocols 3–4, too new: this connector .* speaks protocols 1–2/);
    assert.deepEqual(states, [["closed", "UNSUPPORTED_PROTOCOL"]]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(tooNew.upgrades.length, 1, "no reconnection: retrying cannot help");
    assert.equal((await rejection(connection.metrics())).code, "NOT_CONNECTED");
    assert.deepEqual(tooNew.received, ["get_metrics"]);
    assert.deepEqual(tooNew.upgrades, [{ protocols: undefined, url: "/ws?socktop_hello=1" }]);
    await connection.close();
  } finally {
    await tooNew.close();
  }
});

test("a malformed hello is PROTOCOL_ERROR, and the link is dropped", async () => {
  const broken = await startScriptedAgent({
    onOpen: (socket) => setTimeout(() => socket.send(JSON.stringify({ type: "hello", agent_version: 2 })), 50),
  });
  try {
    const connection = await connect(broken.url, { reconnect: false });
    const states: Array<[ConnectionState, SocktopError | undefined]> = [];
    connection.on("state", (state, error) => states.push([state, error]));
    const waiting = await rejection(connection.metrics());
    assert.equal(waiting.code, "CONNECTION_CLOSED");
    assert.equal(states[0]?.[0], "closed");
    assert.equal(states[0]?.[1]?.code, "PROTOCOL_ERROR");
    assert.match(states[0]?.[1]?.message ?? "", /not a hello reply/);
  } finally {
    await broken.close();
  }
});

test("a hello that arrives while legacy requests wait: their replies follow it in order and are read as legacy", async () => {
  const scripted = await startScriptedAgent({
    onOpen: (socket) => {
      // The hello leaves before any reply, as our agent sends it, but after the requests arrived.
      setTimeout(() => socket.send(JSON.stringify(HELLO_V2)), 50);
    },
    onMessage: (text, socket) => {
      setTimeout(() => {
        if (text === "get_metrics") socket.send(originalJson(originalMetrics(1)).data);
        else if (text === "get_disks") socket.send(JSON.stringify([{ name: "sda", total: 2, available: 1 }]));
        else {
          const request = JSON.parse(text) as { id: number; type: string };
          socket.send(JSON.stringify({ id: request.id, type: request.type, data: [{ name: "sdb", total: 4, available: 3, temperature: null, is_partition: false }] }));
        }
      }, 100);
    },
  });
  try {
    const connection = await connect(scripted.url, { reconnect: false });
    const [metrics, disks] = await Promise.all([connection.metrics(), connection.disks()]);
    assert.equal(metrics.hostname, "original-host");
    assert.equal(disks[0]?.name, "sda");
    assert.equal(connection.info.agentVersion, "9.9.9");
    assert.equal((await connection.disks())[0]?.name, "sdb", "the envelope of a protocol-2 request");
    assert.deepEqual(scripted.received.slice(0, 2), ["get_metrics", "get_disks"]);
    assert.match(scripted.received[2] ?? "", /^\{"type":"disks","id":\d+\}$/);
    await connection.close();
  } finally {
    await scripted.close();
  }
});

test("each link is identified by its own first frame: our agent, then the original on the same port", async () => {
  const ours = await startLiveAgent();
  let oursRunning = true;
  const port = ours.address.port;
  const connection = await connect(liveUrl(ours), { reconnect: { initialDelayMs: 20, maxDelayMs: 50, jitter: 0 } });
  const events: string[] = [];
  connection.on("info", (info) => events.push(info.source));
  let original: Awaited<ReturnType<typeof startOriginalAgent>> | undefined;
  try {
    await connection.metrics();
    assert.equal(connection.info.source, "hello");
    await ours.close();
    oursRunning = false;
    await waitFor(() => connection.state === "reconnecting", 3000, "the link to our agent dropped");
    original = await startOriginalAgent({ port });
    await waitFor(() => connection.state === "open", 3000, "reconnected");
    assert.equal(connection.info.source, "pending", "a new link starts unidentified");
    assert.equal((await connection.metrics()).hostname, "original-host");
    assert.equal(connection.info.source, "none");
    assert.deepEqual(events, ["hello", "pending", "none"]);
    assert.deepEqual(original.received, ["get_metrics"]);
  } finally {
    await connection.close();
    await original?.close();
    if (oursRunning) await ours.close();
  }
});

test("a hello delivered before connect() resolves settles info at once: the first request is already protocol 2", async () => {
  const before = sent.length;
  const connection = await connect(liveUrl(agent), { reconnect: false }, "first-frame-before-open");
  try {
    assert.equal(connection.info.source, "hello");
    assert.equal(connection.info.protocolVersion, 2);
    await connection.metrics();
    assert.match(sent[before] ?? "", /^\{"type":"metrics","id":\d+\}$/);
  } finally {
    await connection.close();
  }

  const tooNew = await startScriptedAgent({
    onOpen: (socket) => socket.send(JSON.stringify({ ...HELLO_V2, protocol_version: 4, min_protocol_version: 3 })),
  });
  try {
    const error = await rejection(connect(tooNew.url, {}, "first-frame-before-open"));
    assert.equal(error.code, "UNSUPPORTED_PROTOCOL");
    assert.match(error.message, /speaks protocols 3–4, too new/);
    assert.equal(tooNew.upgrades.length, 1);
    assert.deepEqual(tooNew.received, []);
  } finally {
    await tooNew.close();
  }
});
