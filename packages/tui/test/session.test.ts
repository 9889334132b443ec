/**
 * The connection lifecycle with a fake connector and hand-driven time:
 * polling intervals; the connector's states and reconnection status as the
 * screen shows them (first-connect failure, drops, attempts, giving up);
 * reply errors. The retry policy itself is the connector's (its tests).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Session, type SessionListener, type SessionStatus } from "../src/session.js";
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

/** A session on `client`, started, its first replies in (everything at time 0 has run). */
async function started(client: FakeClient, clock: ManualClock): Promise<{ rec: Recorder; session: Session }> {
  const rec = recorder();
  const session = new Session({ source: async () => client, listener: rec, clock });
  session.start();
  await clock.advance(0);
  return { rec, session };
}

test("polls metrics every 500 ms, processes every 2 s, disks every 5 s", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  const { rec, session } = await started(client, clock);
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

test("processesTop asks for the busiest few only; a longer list wanted asks at once, not after the old wait", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  const rec = recorder();
  const intervals = { metricsMs: 1000, processesMs: 10_000, disksMs: 10_000, loadMs: Number.POSITIVE_INFINITY };
  const session = new Session({ source: async () => client, listener: rec, clock, intervals: { ...intervals, processesTop: 1 } });
  session.start();
  await clock.advance(100);
  assert.deepEqual(client.processTops, [1]);
  // The same rates, the whole list: not 10 s from now.
  session.setIntervals(intervals);
  await clock.advance(10);
  assert.deepEqual(client.processTops, [1, undefined]);
  // A shorter list can wait for its turn.
  session.setIntervals({ ...intervals, processesTop: 1 });
  await clock.advance(10);
  assert.deepEqual(client.processTops, [1, undefined]);
  await clock.advance(10_000);
  assert.deepEqual(client.processTops, [1, undefined, 1]);
  await session.stop();
});

/** Every timer fires `lateMs` after it was due, as real ones do on a busy machine. */
class LateClock extends ManualClock {
  constructor(private readonly lateMs: number) {
    super();
  }
  override setTimeout(fn: () => void, ms: number): unknown {
    return super.setTimeout(fn, ms + this.lateMs);
  }
}

test("polls that fall due together stay together although timers fire late (one burst, one frame), and do not drift", async () => {
  const clock = new LateClock(3);
  const client = new FakeClient();
  const asked: Record<string, number[]> = { metrics: [], processes: [], disks: [] };
  const timed = <T>(kind: string, reply: () => Promise<T>) => () => {
    asked[kind]!.push(clock.now());
    return reply();
  };
  client.metricsReply = timed("metrics", client.metricsReply);
  client.processesReply = timed("processes", client.processesReply);
  client.disksReply = timed("disks", client.disksReply);
  const { session } = await started(client, clock);
  const origin = asked.metrics[0]!;
  await clock.advance(60_010);
  const metricsAt = new Set(asked.metrics);
  for (const kind of ["processes", "disks"]) {
    assert.ok(asked[kind]!.length >= 25 || kind === "disks", `${kind}: ${asked[kind]!.length} requests`);
    for (const at of asked[kind]!) assert.ok(metricsAt.has(at), `${kind} asked at +${at - origin} ms, apart from the metrics`);
  }
  // On the grid: the 120th metrics request is due at 60 s, late by one timer's lateness only.
  assert.equal(asked.metrics.length, 121);
  assert.equal(asked.metrics[120]! - origin, 60_003);
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
  const { rec, session } = await started(client, clock);
  await clock.advance(3000);
  assert.equal(client.calls.filter((c) => c === "metrics").length, 1);
  release!();
  await clock.advance(0);
  assert.equal(rec.counts.metrics, 1);
  await session.stop();
});

test("a failed first connection: the connector's cause, countdown and attempt; open once an attempt works", async () => {
  const clock = new ManualClock();
  const client = new FakeClient("connecting");
  const { rec, session } = await started(client, clock);
  assert.equal(last(rec).phase, "connecting");
  assert.equal(last(rec).attempt, 1);
  assert.equal(client.calls.length, 0, "nothing asked before the link is open");
  client.drop(socktopError("AUTH_FAILED", "The agent refused the token (HTTP 401)"), clock.now() + 1000);
  let s = last(rec);
  assert.equal(s.phase, "retrying");
  assert.equal((s.error as { code: string }).code, "AUTH_FAILED");
  assert.equal(s.retryAt, clock.now() + 1000, "the countdown is the connector's nextAttemptAt");
  assert.equal(s.attempt, 2);
  await clock.advance(1000);
  client.attempt();
  s = last(rec);
  assert.equal(s.phase, "connecting", "an attempt under way is no countdown at 0");
  assert.equal(s.retryAt, null);
  assert.equal(s.attempt, 2);
  assert.equal((s.error as { code: string }).code, "AUTH_FAILED", "the last cause stays while it tries");
  client.schedule(socktopError("CONNECTION_FAILED", "refused"), clock.now() + 2000);
  s = last(rec);
  assert.equal(s.phase, "retrying");
  assert.equal(s.attempt, 3);
  assert.equal((s.error as { code: string }).code, "CONNECTION_FAILED", "each attempt's own cause");
  assert.equal(s.retryAt, clock.now() + 2000);
  client.attempt();
  client.reopen();
  await clock.advance(0);
  assert.equal(last(rec).phase, "open");
  assert.equal(last(rec).error, null);
  assert.equal(last(rec).attempt, 1);
  assert.ok(client.calls.includes("metrics"), "polling starts once open");
  await session.stop();
});

test("a dropped link keeps the data, reports the error, stops polling and resumes on the same connection", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  const { rec, session } = await started(client, clock);
  await clock.advance(1000);
  const before = rec.counts.metrics;
  client.drop(socktopError("CONNECTION_CLOSED", "The agent closed the connection (1006)"), clock.now() + 500);
  assert.equal(last(rec).phase, "retrying");
  assert.equal(session.client, null);
  const asked = client.calls.length;
  await clock.advance(5000);
  assert.equal(client.calls.length, asked, "no polling while disconnected");
  assert.equal(rec.counts.metrics, before);
  client.attempt();
  client.reopen();
  await clock.advance(500);
  assert.equal(last(rec).phase, "open");
  assert.ok(rec.counts.metrics > before);
  assert.equal(client.closed, false, "one connection throughout: the connector reconnects it");
  await session.stop();
  assert.equal(client.closed, true);
  assert.equal(clock.pending, 0);
});

test("an agent error for one reply does not drop the connection", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  client.disksReply = () => Promise.reject(socktopError("AGENT_ERROR", "disks unavailable"));
  const { rec, session } = await started(client, clock);
  await clock.advance(6000);
  assert.equal(last(rec).phase, "open");
  assert.equal(rec.counts.disks, 0);
  assert.ok(client.calls.filter((c) => c === "disks").length >= 2, "disks are still asked for");
  await session.stop();
});

test("a reply the connector cannot read, before any data: the screen says why, and polling goes on", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  let bad = true;
  client.metricsReply = () => (bad ? Promise.reject(socktopError("DECODE_ERROR", "not valid JSON")) : Promise.resolve(metrics()));
  client.processesReply = () => new Promise(() => {});
  client.disksReply = () => new Promise(() => {});
  const { rec, session } = await started(client, clock);
  assert.equal(last(rec).phase, "open");
  assert.equal((last(rec).error as { code: string }).code, "DECODE_ERROR");
  bad = false;
  await clock.advance(500);
  assert.equal(rec.counts.metrics, 1);
  assert.equal(last(rec).error, null);
  await session.stop();
});

test("retryNow is the connector's: it starts the waiting attempt, and nothing when none waits", async () => {
  const clock = new ManualClock();
  const client = new FakeClient("connecting");
  const { rec, session } = await started(client, clock);
  assert.equal(session.retryNow(), false, "the first attempt is still under way");
  client.drop(socktopError("CONNECTION_FAILED", "refused"), clock.now() + 60_000);
  assert.equal(session.retryNow(), true);
  assert.equal(client.retries, 1);
  assert.equal(last(rec).phase, "connecting");
  await session.stop();
  assert.equal(session.retryNow(), false, "stopped: nothing is retried");
  assert.equal(client.retries, 1);
});

test("the connector gives up (a protocol neither side speaks): stopped, with the cause, not retrying", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  const { rec, session } = await started(client, clock);
  const calls = client.calls.length;
  client.giveUp(socktopError("UNSUPPORTED_PROTOCOL", "speaks protocol 9"));
  assert.equal(last(rec).phase, "stopped");
  assert.equal((last(rec).error as { code: string }).code, "UNSUPPORTED_PROTOCOL");
  await clock.advance(5000);
  assert.equal(client.calls.length, calls, "no polling");
  await session.stop();
});

test("a connection that cannot even be set up (an unreadable CA file): stopped with the cause", async () => {
  const clock = new ManualClock();
  const rec = recorder();
  const session = new Session({
    source: async () => {
      throw socktopError("CERTIFICATE_ERROR", "cannot read /nonexistent/ca.pem");
    },
    listener: rec,
    clock,
  });
  session.start();
  await clock.advance(0);
  assert.equal(last(rec).phase, "stopped");
  assert.equal((last(rec).error as { code: string }).code, "CERTIFICATE_ERROR");
  assert.equal(session.retryNow(), false);
  await session.stop();
});

test("the agent identifying itself after the link opened (browsers: its first frame) updates the info", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  const { rec, session } = await started(client, clock);
  client.identify({ agentVersion: "2.0.0", protocolVersion: 2, capabilities: ["metrics"], legacy: false });
  assert.equal(last(rec).info?.agentVersion, "2.0.0");
  await session.stop();
});

test("round-trip time: the median of recent metrics replies that waited behind nothing", async () => {
  const clock = new ManualClock();
  const client = new FakeClient();
  const delays = [10, 12, 400, 11, 9];
  let n = 0;
  client.metricsReply = () => {
    const d = delays[n++ % delays.length]!;
    return new Promise((resolve) => clock.setTimeout(() => resolve(metrics()), d));
  };
  // A slow process list: metrics requests sent while it is pending are not timed.
  client.processesReply = () => new Promise((resolve) => clock.setTimeout(() => resolve(processes()), 300));
  const { rec, session } = await started(client, clock);
  assert.equal(last(rec).rttMs, null, "the first metrics request was sent along with the others");
  await clock.advance(5000);
  const rtt = last(rec).rttMs!;
  assert.ok(rtt >= 9 && rtt <= 12, `median ignores the 400 ms outlier (${rtt})`);
  await session.stop();
});
