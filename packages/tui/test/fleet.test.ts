/**
 * The fleet view without sockets: rows from host states, layouts at 80×24
 * and 200×60, sort and filter, the polling rates by visibility, drilling in
 * and out with fake connections (which must not be reopened).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FleetApp } from "../src/fleet-app.js";
import { renderFleet, useCards } from "../src/fleet-render.js";
import { FLEET_HIDDEN, FLEET_VISIBLE_MIN, FleetState, intervalsFor, sortRows, type FleetRow } from "../src/fleet-state.js";
import { Screen } from "../src/screen.js";
import { DEFAULT_INTERVALS } from "../src/session.js";
import type { HostTarget } from "../src/targets.js";
import { createTheme } from "../src/theme.js";
import { FakeClient, FakeTerminal, flush, ManualClock, metrics, proc, processes, socktopError } from "./helpers/fixtures.js";

const theme = createTheme(false);

function row(name: string, overrides: Partial<FleetRow> = {}): FleetRow {
  return {
    name,
    target: `${name}:3000`,
    state: "up",
    rttMs: 3,
    retryIn: null,
    error: null,
    hostname: name,
    cpu: 10,
    cpuHistory: [5, 10, 20, 40],
    mem: 50,
    disk: 70,
    rx: 1024,
    tx: 2048,
    gpu: null,
    temp: 45,
    busiest: { pid: 1, name: "nginx", cpu_pct: 3.5 },
    ...overrides,
  };
}

function hosts(n: number): FleetRow[] {
  return Array.from({ length: n }, (_, i) => row(`host${String(i).padStart(2, "0")}`, { cpu: (i * 37) % 100, mem: (i * 53) % 100 }));
}

test("80×24: one line per host, 21 hosts visible, every line fits, states spelled out", () => {
  const screen = new Screen(80, 24);
  const rows = hosts(30);
  rows[1] = row("host01", { state: "refused", retryIn: 4, cpu: null, mem: null, disk: null, error: "connection refused: no agent listening on host01:3000", rttMs: null });
  rows[2] = row("host02", { state: "stale", retryIn: 2, rttMs: null });
  rows[3] = row("host03", { state: "auth failed", retryIn: 8, cpu: null, error: "authentication failed", rttMs: null });
  const fleet = new FleetState();
  const layout = renderFleet(screen, rows, fleet, { theme, now: 0, version: "1" });
  assert.equal(layout.mode, "list");
  assert.equal(layout.hosts.length, 21);
  const lines = screen.text().split("\n");
  assert.equal(lines.length, 24);
  assert.match(lines[0]!, /socktop fleet {2}30 hosts · 27 up · 1 waiting · 2 down/);
  assert.match(lines[1]!, /^HOST +STATE +CPU +MEM DISK/);
  assert.match(lines[2]!, /^host00 +● 3 ms +0% .* 0% +70% .*nginx 3\.5%/);
  for (const l of lines) assert.ok(l.length <= 80, l);
  assert.match(lines[3]!, /^host01 +✖ refused ↻4s +connection refused: no agent listening/);
  assert.match(lines[4]!, /^host02 +◌ stale ↻2s/);
  assert.match(lines[5]!, /^host03 +✖ auth failed ↻8s +authentication failed/);
  assert.match(lines[23]!, /Enter open · \/ filter/);
});

test("200×60: a grid of cards; 50 hosts render well inside the frame budget", () => {
  assert.equal(useCards(80, 24), false);
  assert.equal(useCards(200, 60), true);
  const screen = new Screen(200, 60);
  const fleet = new FleetState();
  const rows = hosts(50);
  const layout = renderFleet(screen, rows, fleet, { theme, now: 0, version: "1" });
  assert.equal(layout.mode, "cards");
  assert.equal(layout.columns, 5);
  assert.equal(layout.hosts.length, 35);
  const text = screen.text();
  assert.match(text, /╭─ host00 ─/);
  assert.match(text, /│ CPU +0%/);
  assert.match(text, /│ MEM  53% [█▏▎▍▌▋▊▉]+░+ │/);
  assert.match(text, /│ top nginx 3\.5% +45°C │/);
  // Timing: the fleet frame of 50 hosts (median of 50 after warm-up).
  for (let i = 0; i < 20; i++) renderFleet(screen, rows, fleet, { theme, now: 0, version: "1" });
  const times: number[] = [];
  for (const size of [
    [200, 60],
    [80, 24],
  ] as const) {
    const s = new Screen(size[0], size[1]);
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now();
      renderFleet(s, rows, fleet, { theme, now: 0, version: "1" });
      times.push(performance.now() - t0);
    }
  }
  times.sort((a, b) => a - b);
  assert.ok(times[times.length >> 1]! < 5, `median frame ${times[times.length >> 1]} ms`);
});

test("sort by CPU, memory, name; filter by name; selection follows the host", () => {
  const rows = [row("b", { cpu: 90, mem: 10 }), row("a", { cpu: 10, mem: 80 }), row("c", { cpu: null, mem: null, state: "refused" })];
  assert.deepEqual(sortRows(rows, "cpu", true).map((r) => r.name), ["b", "a", "c"]);
  assert.deepEqual(sortRows(rows, "mem", true).map((r) => r.name), ["a", "b", "c"]);
  assert.deepEqual(sortRows(rows, "name", false).map((r) => r.name), ["a", "b", "c"]);
  const f = new FleetState();
  f.update(rows);
  f.selected = "b";
  f.sortBy("cpu");
  assert.deepEqual(f.update(rows).map((r) => r.name), ["b", "a", "c"]);
  f.setFilter("A");
  assert.deepEqual(f.update(rows).map((r) => r.name), ["a"]);
  assert.equal(f.selected, "a");
});

test("polling rates: drilled host at its own rate, visible ones at the overview's, hidden ones slow", () => {
  const own = { ...DEFAULT_INTERVALS };
  assert.deepEqual(intervalsFor("drilled", own), own);
  assert.equal(intervalsFor("visible", own).metricsMs, Math.max(own.metricsMs, FLEET_VISIBLE_MIN.metricsMs));
  assert.equal(intervalsFor("visible", { ...own, metricsMs: 500 }).metricsMs, 1000);
  assert.equal(intervalsFor("visible", { ...own, metricsMs: 3000 }).metricsMs, 3000);
  assert.ok(intervalsFor("visible", own).processesMs >= own.processesMs);
  assert.equal(intervalsFor("hidden", own).metricsMs, FLEET_HIDDEN.metricsMs);
  // The overview names one process per host: only that one is asked for.
  assert.equal(intervalsFor("visible", own).processesTop, 1);
  assert.equal(intervalsFor("drilled", own).processesTop, undefined);
});

test("FleetApp: the overview asks each host for its busiest process only; drilling in asks for the whole list at once", async () => {
  const clock = new ManualClock();
  const term = new FakeTerminal(80, 24);
  const clients = new Map<string, FakeClient>();
  // A slow process interval of its own: the drilled view must not wait 10 s for its list.
  const slow = (name: string): HostTarget => ({ ...target(name), intervals: { ...DEFAULT_INTERVALS, processesMs: 10_000 } });
  const app = new FleetApp({
    terminal: term,
    targets: ["a", "b"].map(slow),
    theme,
    version: "1",
    clock,
    sourceFor: (t) => async () => {
      const c = new FakeClient();
      c.processesReply = async () => (c.processTops.at(-1) === 1 ? { process_count: 3, processes: [proc(7, `busy-${t.name}`, 5, 10)] } : processes());
      clients.set(t.name, c);
      return c;
    },
    onQuit: () => undefined,
  });
  app.start();
  await clock.advance(100);
  app.renderNow();
  await clock.advance(12_000);
  assert.match(app.screen!.text(), /a +● .*busy-a/);
  const a = clients.get("a")!;
  assert.ok(a.processTops.length >= 1 && a.processTops.every((t) => t === 1), `overview asked ${JSON.stringify(a.processTops)}`);
  const asked = a.processTops.length;
  term.key("ENTER");
  assert.equal(app.drilled, "a");
  await clock.advance(10);
  assert.deepEqual(a.processTops.slice(asked), [undefined], "the whole list, at once");
  term.key("ESCAPE");
  await app.stop();
});

function target(name: string): HostTarget {
  return { name, url: `ws://${name}:3000/ws`, tlsCa: null, verifyHostname: false, token: null, intervals: { ...DEFAULT_INTERVALS } };
}

test("FleetApp: a dead host does not hold up the others; Enter and Esc keep every connection; hidden hosts slow down", async () => {
  const clock = new ManualClock();
  const term = new FakeTerminal(80, 24);
  const clients = new Map<string, FakeClient>();
  const opened = new Map<string, number>();
  const names = Array.from({ length: 25 }, (_, i) => `h${String(i).padStart(2, "0")}`);
  let quits = 0;
  const app = new FleetApp({
    terminal: term,
    targets: names.map(target),
    theme,
    version: "1",
    clock,
    sourceFor: (t) => async () => {
      opened.set(t.name, (opened.get(t.name) ?? 0) + 1);
      // h01 never answers at all: its connect hangs forever.
      if (t.name === "h01") return new Promise(() => undefined);
      if (t.name === "h02") {
        // The connector retries it: its first attempt refused, the next in a second.
        const refused = new FakeClient("connecting");
        refused.drop(socktopError("AUTH_FAILED", "the agent refused the token"), clock.now() + 1000);
        return refused;
      }
      const c = new FakeClient();
      c.metricsReply = async () => metrics({ hostname: t.name, cpu_total: t.name === "h03" ? 88 : 12 });
      c.processesReply = async () => processes([proc(7, `busy-${t.name}`, 5, 10)]);
      clients.set(t.name, c);
      return c;
    },
    onQuit: () => quits++,
  });
  app.start();
  await clock.advance(100);
  app.renderNow();
  let text = app.screen!.text();
  assert.match(text, /h00 +● .* 12% /);
  assert.match(text, /h01 +◌ connecting/);
  assert.match(text, /h02 +✖ auth failed ↻1s/);
  assert.match(text, /h03 +● .* 88% .*busy-h03/);

  // Rows on screen are polled once a second (the overview's pace), rows beyond it (21 visible of 25) at the hidden rate.
  const before = clients.get("h24")!.calls.filter((c) => c === "metrics").length;
  const visibleBefore = clients.get("h00")!.calls.filter((c) => c === "metrics").length;
  await clock.advance(4000);
  const hiddenCalls = clients.get("h24")!.calls.filter((c) => c === "metrics").length - before;
  const visibleCalls = clients.get("h00")!.calls.filter((c) => c === "metrics").length - visibleBefore;
  assert.ok(visibleCalls >= 3 && visibleCalls <= 5, `visible host asked ${visibleCalls} times in 4 s`);
  assert.ok(hiddenCalls <= 1, `hidden host asked ${hiddenCalls} times in 4 s`);

  // Sort by CPU: h03 first.
  term.key("P");
  await flush();
  app.renderNow();
  assert.match(app.screen!.text().split("\n")[2]!, /^h03 /);
  // Drill in: the host's own view; processes at its own rate; Esc back.
  // The selection stays on its host (h00) while rows move; Home goes to the top.
  term.key("HOME");
  term.key("ENTER");
  assert.equal(app.drilled, "h03");
  await clock.advance(2100);
  const procCalls = clients.get("h03")!.calls.filter((c) => c === "processes").length;
  await clock.advance(4000);
  assert.ok(clients.get("h03")!.calls.filter((c) => c === "processes").length - procCalls >= 2, "the drilled host's processes at 2 s");
  assert.match(term.written, /busy-h03/);
  term.key("ESCAPE");
  assert.equal(app.drilled, null);
  await clock.advance(600);
  assert.match(app.screen!.text(), /socktop fleet/);
  for (const [name, n] of opened) if (name !== "h02") assert.equal(n, 1, `${name} connected ${n} times`);
  // Filter, then q quits.
  term.type("/h2");
  term.key("ENTER");
  await flush();
  app.renderNow();
  assert.match(app.screen!.text(), /h20[\s\S]*h24/);
  assert.ok(!/h03 /.test(app.screen!.text()));
  term.key("q");
  assert.equal(quits, 1);
  await app.stop();
});
