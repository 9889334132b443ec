/**
 * The connection lifecycle with a fake connector and hand-driven time:
 * polling intervals, first-connect failure, drops, backoff, reply errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_RETRY, Session, type AgentClient, type SessionListener, type SessionStatus } from "../src/session.js";
import { FakeClient, ManualClock, metrics, processes, socktopError } from "./helpers/fixtures.js";

interface Recorder extends SessionListener {
  statuses: SessionStatus[];
  counts: { metrics: number; processes: number; disks: number };
}

function recorder(): Recorder {
  const r: Recorder = {
    statuses: [],
    counts: { metrics: 0, processes: 0, disks: 0 },
    status: (s) => r.statuses.push(s),
    metrics: () => r.counts.metrics++,
    processes: () => r.counts.processes++,
    disks: () => r.counts.disks++,
  };
  return r;
}

const last = (r: Recorder): SessionStatus => r.statuses[r.statuses.length - 1]!;

test("polls metrics every 500 ms, processes every 2 s, disks every 5 s", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  const rec = recorder();
  const session = new Session({ source: async () => client, listener: rec, clock });
  session.start();
  await clock.advance(0);
  assert.equal(last(rec).phase, "open");
  assert.equal(last(rec).info?.agentVersion, "9.9.9");
  assert.deepEqual(rec.counts, { metrics: 1, processes: 1, disks: 1 });
  await clock.advance(10_000);
  assert.deepEqual(rec.counts, { metrics: 21, processes: 6, disks: 3 });
  assert.ok(session.client);
  await session.stop();
  assert.equal(client.closed, true);
  await clock.advance(10_000);
  assert.deepEqual(rec.counts, { metrics: 21, processes: 6, disks: 3 });
  assert.equal(clock.pending, 0);
});

test("custom intervals are used as given", async () => {
  const clock = new ManualClock();
  const rec = recorder();
  const session = new Session({
    source: async () => new FakeClient(),
    listener: rec,
    clock,
    intervals: { metricsMs: 100, processesMs: 200, disksMs: 1000 },
  });
  session.start();
  await clock.advance(1000);
  assert.deepEqual(rec.counts, { metrics: 11, processes: 6, disks: 2 });
  await session.stop();
});

test("a slow reply delays the next request instead of piling requests up", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  let release: (() => void) | null = null;
  client.metricsReply = () =>
    new Promise((resolve) => {
      release = () => resolve(metrics());
    });
  const rec = recorder();
  const session = new Session({ source: async () => client, listener: rec, clock });
  session.start();
  await clock.advance(3000);
  assert.equal(client.calls.filter((c) => c === "metrics").length, 1);
  release!();
  await clock.advance(0);
  assert.equal(rec.counts.metrics, 1);
  await session.stop();
});

test("a failed first connection shows the error and retries with backoff", async () => {
  const clock = new ManualClock();
  const rec = recorder();
  let attempts = 0;
  const client = new FakeClient();
  const session = new Session({
    source: async () => {
      attempts++;
      if (attempts <= 3) throw socktopError("AUTH_FAILED", "The agent refused the token (HTTP 401)");
      return client;
    },
    listener: rec,
    clock,
  });
  session.start();
  await clock.advance(0);
  let s = last(rec);
  assert.equal(s.phase, "retrying");
  assert.equal((s.error as { code: string }).code, "AUTH_FAILED");
  assert.equal(s.retryAt, clock.now() + 1000);
  assert.equal(s.attempt, 2);
  await clock.advance(1000);
  s = last(rec);
  assert.equal(s.retryAt, clock.now() + 2000);
  assert.equal(s.attempt, 3);
  await clock.advance(2000);
  assert.equal(last(rec).retryAt, clock.now() + 4000);
  // While it reconnects, the last error stays for the banner.
  await clock.advance(3999);
  assert.equal(last(rec).phase, "retrying");
  await clock.advance(1);
  assert.equal(last(rec).phase, "open");
  assert.equal(attempts, 4);
  assert.equal(last(rec).error, null);
  assert.equal(last(rec).attempt, 1);
  await session.stop();
});

test("backoff grows to its ceiling", () => {
  const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => Session.backoff(DEFAULT_RETRY, n));
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
});

test("a dropped link keeps the data, reports the error and reconnects by itself", async () => {
  const clock = new ManualClock();
  const rec = recorder();
  const clients: FakeClient[] = [];
  const session = new Session({
    source: async () => {
      const c = new FakeClient();
      clients.push(c);
      return c;
    },
    listener: rec,
    clock,
  });
  session.start();
  await clock.advance(1000);
  const before = rec.counts.metrics;
  clients[0]!.drop(socktopError("CONNECTION_CLOSED", "The agent closed the connection (1006)"));
  await clock.advance(0);
  assert.equal(last(rec).phase, "retrying");
  assert.equal(session.client, null);
  assert.equal(clients[0]!.closed, true);
  await clock.advance(999);
  assert.equal(rec.counts.metrics, before, "no polling while disconnected");
  await clock.advance(1);
  assert.equal(last(rec).phase, "open");
  assert.equal(clients.length, 2);
  await clock.advance(500);
  assert.ok(rec.counts.metrics > before);
  await session.stop();
});

test("a failing request (timeout) counts as a broken link", async () => {
  const clock = new ManualClock();
  const rec = recorder();
  const client = new FakeClient();
  client.processesReply = () => Promise.reject(socktopError("TIMEOUT", "no reply within 10000 ms"));
  const session = new Session({ source: async () => client, listener: rec, clock });
  session.start();
  await clock.advance(0);
  assert.equal(last(rec).phase, "retrying");
  assert.equal((last(rec).error as { code: string }).code, "TIMEOUT");
  await session.stop();
});

test("an agent error for one reply does not drop the connection", async () => {
  const clock = new ManualClock();
  const rec = recorder();
  const client = new FakeClient();
  client.disksReply = () => Promise.reject(socktopError("AGENT_ERROR", "disks unavailable"));
  const session = new Session({ source: async () => client, listener: rec, clock });
  session.start();
  await clock.advance(6000);
  assert.equal(last(rec).phase, "open");
  assert.equal(rec.counts.disks, 0);
  assert.ok(client.calls.filter((c) => c === "disks").length >= 2, "disks are still asked for");
  await session.stop();
});

test("an agent that accepts and then drops every connection keeps backing off", async () => {
  const clock = new ManualClock();
  const rec = recorder();
  const session = new Session({
    source: async () => {
      const c = new FakeClient();
      c.metricsReply = () => Promise.reject(socktopError("CONNECTION_CLOSED", "closed"));
      c.processesReply = () => new Promise(() => {});
      c.disksReply = () => new Promise(() => {});
      return c;
    },
    listener: rec,
    clock,
  });
  session.start();
  await clock.advance(0);
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const s = last(rec);
    delays.push(s.retryAt! - clock.now());
    await clock.advance(s.retryAt! - clock.now());
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
  await session.stop();
});

test("retryNow skips the countdown", async () => {
  const clock = new ManualClock();
  const rec = recorder();
  let attempts = 0;
  const session = new Session({
    source: async (): Promise<AgentClient> => {
      attempts++;
      throw socktopError("CONNECTION_FAILED", "refused");
    },
    listener: rec,
    clock,
  });
  session.start();
  await clock.advance(0);
  assert.equal(attempts, 1);
  session.retryNow();
  await clock.advance(0);
  assert.equal(attempts, 2);
  await session.stop();
});

test("round-trip time: the median of recent metrics replies that waited behind nothing", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  const rec = recorder();
  const delays = [10, 12, 400, 11, 9];
  let n = 0;
  client.metricsReply = () => {
    const d = delays[n++ % delays.length]!;
    return new Promise((resolve) => clock.setTimeout(() => resolve(metrics()), d));
  };
  // A slow process list: metrics requests sent while it is pending are not timed.
  client.processesReply = () => new Promise((resolve) => clock.setTimeout(() => resolve(processes()), 300));
  const session = new Session({ source: async () => client, listener: rec, clock });
  session.start();
  await clock.advance(0);
  assert.equal(last(rec).rttMs, null, "the first metrics request was sent along with the others");
  await clock.advance(5000);
  const rtt = last(rec).rttMs!;
  assert.ok(rtt >= 9 && rtt <= 12, `median ignores the 400 ms outlier (${rtt})`);
  await session.stop();
});
