/** Reconnection: the agent restarts on the same port and the connection comes back by itself. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff, connect, type ConnectionState, type SocktopError } from "../src/index.js";
import { liveUrl, startLiveAgent } from "./helpers/live.js";
import { startOriginalAgent } from "./helpers/original-agent.js";
import { waitFor } from "./helpers/util.js";

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
