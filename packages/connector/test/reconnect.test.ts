/** Reconnection: the agent restarts on the same port and the connection comes back by itself. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff, connect, type ConnectionState, type SocktopError } from "../src/index.js";
import { liveUrl, startLiveAgent, type StartedAgent } from "./helpers/live.js";
import { startOriginalAgent } from "./helpers/original-agent.js";
import { freePort, waitFor } from "./helpers/util.js";

test("the agent restarts on the same port: in-flight requests fail at once, the client backs off, reconnects, and works again", async () => {
  let agent = await startLiveAgent();
  const port = agent.address.port;
  const connection = await connect(liveUrl(agent), { reconnect: { initialDelayMs: 30, maxDelayMs: 120, factor: 2, jitter: 0 } });
  const states: Array<[ConnectionState, string | undefined]> = [];
  const scheduled: Array<[number, number, string]> = [];
  connection.on("state", (state, error) => states.push([state, error?.code]));
  connection.on("reconnect-scheduled", (delay, attempt, error) => scheduled.push([delay, attempt, error.code]));
  try {
    await connection.metrics();
    // Sent just before the agent stops: answered in time, or failed at once with CONNECTION_CLOSED.
    const inFlight = connection.processes().then(
      () => "answered",
      (e: SocktopError) => e.code,
    );
    await agent.close();
    assert.ok(["answered", "CONNECTION_CLOSED"].includes(await inFlight));
    assert.equal(connection.state, "reconnecting");
    // Down for a while: several attempts, refused, with growing delays up to the cap.
    await waitFor(() => scheduled.length >= 4, 3000, "four reconnection attempts");
    agent = await startLiveAgent({ port });
    await waitFor(() => connection.state === "open", 3000, "reconnected");
    const m = await connection.metrics();
    assert.ok(m.cpu_per_core.length > 0);
    assert.equal(connection.info.protocolVersion, 2, "negotiated again on the new link");

    assert.deepEqual(states[0], ["reconnecting", "CONNECTION_CLOSED"]);
    assert.deepEqual(states.at(-1), ["open", undefined]);
    assert.deepEqual(scheduled[0], [30, 1, "CONNECTION_CLOSED"]);
    assert.deepEqual(scheduled.slice(1, 4).map(([delay, attempt, code]) => [delay, attempt, code]), [
      [60, 2, "CONNECTION_FAILED"],
      [120, 3, "CONNECTION_FAILED"],
      [120, 4, "CONNECTION_FAILED"],
    ]);
  } finally {
    await connection.close();
    await agent.close();
  }
  assert.deepEqual(states.at(-1), ["closed", undefined]);
});

test("after a reconnection the backoff starts again from the initial delay", async () => {
  const first = await startOriginalAgent();
  const connection = await connect(first.url, { reconnect: { initialDelayMs: 20, maxDelayMs: 20, jitter: 0 } });
  const delays: number[] = [];
  connection.on("reconnect-scheduled", (delay, attempt) => delays.push(attempt));
  let current = first;
  try {
    for (let round = 0; round < 2; round++) {
      await current.close();
      await waitFor(() => connection.state === "reconnecting");
      current = await startOriginalAgent({ port: current.port });
      await waitFor(() => connection.state === "open");
      assert.equal((await connection.metrics()).hostname, "original-host");
    }
    assert.equal(delays.filter((attempt) => attempt === 1).length, 2, "each outage starts at attempt 1");
  } finally {
    await connection.close();
    await current.close();
  }
});

test("reconnect: false ends in state closed with the reason", async () => {
  const agent = await startOriginalAgent();
  const connection = await connect(agent.url, { reconnect: false });
  const states: Array<[ConnectionState, string | undefined]> = [];
  connection.on("state", (state, error) => states.push([state, error?.code]));
  await agent.close();
  await waitFor(() => connection.state === "closed");
  assert.deepEqual(states, [["closed", "CONNECTION_CLOSED"]]);
});

test("close() while reconnecting stops the attempts", async () => {
  const agent = await startOriginalAgent();
  const connection = await connect(agent.url, { reconnect: { initialDelayMs: 20, maxDelayMs: 20 } });
  let attempts = 0;
  connection.on("reconnect-scheduled", () => attempts++);
  await agent.close();
  await waitFor(() => attempts >= 2);
  await connection.close();
  const after = attempts;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(attempts, after);
  assert.equal(connection.state, "closed");
});

test("an unsubscribed listener hears nothing more", async () => {
  const agent = await startOriginalAgent();
  const connection = await connect(agent.url, { reconnect: false });
  const heard: string[] = [];
  const off = connection.on("state", (s) => heard.push(s));
  off();
  await connection.close();
  await agent.close();
  assert.deepEqual(heard, []);
});

test("Backoff: exponential, capped, jittered within bounds, reset", () => {
  const fixed = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, factor: 3, jitter: 0 });
  assert.deepEqual([fixed.next(), fixed.next(), fixed.next(), fixed.next()], [100, 300, 900, 1000]);
  fixed.reset();
  assert.equal(fixed.next(), 100);
  const low = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 }, () => 0);
  const high = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 }, () => 0.999999);
  assert.equal(low.next(), 50);
  assert.equal(high.next(), 150);
  for (let i = 0; i < 10; i++) high.next();
  assert.equal(high.next(), 1000, "never above the cap, jitter included");
});

test("retryInitialConnect: the first connection is retried like a dropped link; reconnection status and retryNow()", async () => {
  const port = await freePort();
  // A long delay: only retryNow() can make the attempts that follow happen within the test.
  const connection = await connect(`ws://127.0.0.1:${port}/ws`, {
    retryInitialConnect: true,
    reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 },
  });
  const states: Array<[ConnectionState, string | undefined]> = [];
  const scheduled: Array<[number, number, string]> = [];
  connection.on("state", (state, error) => states.push([state, error?.code]));
  connection.on("reconnect-scheduled", (delay, attempt, error) => {
    scheduled.push([delay, attempt, error.code]);
    // The status already shows the attempt when the event is heard.
    assert.equal(connection.reconnection.attempt, attempt);
    assert.equal(connection.reconnection.attempting, false);
  });
  const started: number[] = [];
  connection.on("reconnect-attempt", (attempt) => {
    started.push(attempt);
    // Heard once the status shows the attempt under way, with no countdown left.
    assert.equal(connection.reconnection.attempting, true);
    assert.equal(connection.reconnection.nextAttemptAt, null);
  });
  let agent: StartedAgent | undefined;
  try {
    assert.equal(connection.state, "connecting", "connect() resolved before the first attempt ended");
    await waitFor(() => scheduled.length === 1, 5000, "the first attempt failed and the next is scheduled");
    assert.deepEqual(states, [["reconnecting", "CONNECTION_FAILED"]]);
    const waiting = connection.reconnection;
    assert.equal(waiting.attempt, 1);
    assert.equal(waiting.lastError?.code, "CONNECTION_FAILED");
    assert.ok(waiting.nextAttemptAt !== null && Math.abs(waiting.nextAttemptAt - (Date.now() + 60_000)) < 5_000, String(waiting.nextAttemptAt));
    await assert.rejects(connection.metrics(), { code: "NOT_CONNECTED" });

    assert.deepEqual(started, [], "the first connection is no scheduled attempt");
    assert.equal(connection.retryNow(), true);
    assert.deepEqual(started, [1], "the attempt reconnect-scheduled announced starts at once");
    assert.equal(connection.reconnection.nextAttemptAt, null);
    assert.equal(connection.reconnection.attempting, true);
    assert.equal(connection.retryNow(), false, "nothing waits while an attempt is under way");
    await waitFor(() => scheduled.length === 2, 5000, "the second attempt failed too");
    assert.deepEqual(scheduled, [
      [60_000, 1, "CONNECTION_FAILED"],
      [60_000, 2, "CONNECTION_FAILED"],
    ]);

    agent = await startLiveAgent({ port });
    assert.equal(connection.retryNow(), true);
    assert.deepEqual(started, [1, 2]);
    await waitFor(() => connection.state === "open", 5000, "open once the agent is up");
    assert.ok((await connection.metrics()).cpu_per_core.length > 0);
    assert.deepEqual(connection.reconnection, { attempt: 0, nextAttemptAt: null, attempting: false, lastError: null }, "a link that works clears the status");
    assert.equal(connection.retryNow(), false, "nothing to retry while open");
  } finally {
    await connection.close();
    await agent?.close();
  }
  assert.equal(connection.retryNow(), false, "nothing to retry once closed");
});

test("retryInitialConnect needs reconnection; without it, connect() still rejects at once", async () => {
  await assert.rejects(connect("ws://127.0.0.1:1/ws", { retryInitialConnect: true, reconnect: false }), RangeError);
  await assert.rejects(connect(`ws://127.0.0.1:${await freePort()}/ws`), { code: "CONNECTION_FAILED" });
});
