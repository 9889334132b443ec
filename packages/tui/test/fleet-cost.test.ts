/**
 * What the fleet view costs its hosts and itself: a host that is not on
 * screen is asked no process list at all; a host on screen is, for its
 * busiest process, which is taken from the list as it arrived (the table of
 * a host nobody looks at is never sorted); the drilled-in host gets its full
 * table at its own rate.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FLEET_FRAME_MS, FLEET_POLL_LEAD_MS, FleetApp } from "../src/fleet-app.js";
import { FLEET_HIDDEN, intervalsFor } from "../src/fleet-state.js";
import { DEFAULT_INTERVALS } from "../src/session.js";
import type { HostTarget } from "../src/targets.js";
import { createTheme } from "../src/theme.js";
import type { DiskIoEntry, LoadReply } from "@socktop/protocol";
import { FakeClient, FakeTerminal, flush, ManualClock, metrics, proc, processes } from "./helpers/fixtures.js";

function target(name: string): HostTarget {
  return { name, url: `ws://${name}:3000/ws`, tlsCa: null, verifyHostname: false, token: null, intervals: { ...DEFAULT_INTERVALS } };
}

const count = (c: FakeClient, kind: string): number => c.calls.filter((x) => x === kind).length;

/** A fleet overview of `names` at 80×24 on a manual clock, each host's link made by `linkFor`; started, not yet advanced. */
function fleetAt(
  clock: ManualClock,
  names: readonly string[],
  linkFor: (target: HostTarget) => Promise<FakeClient>,
): { app: FleetApp; term: FakeTerminal } {
  const term = new FakeTerminal(80, 24);
  const app = new FleetApp({
    terminal: term,
    targets: names.map(target),
    theme: createTheme(false),
    version: "1",
    clock,
    sourceFor: (t) => () => linkFor(t),
    onQuit: () => undefined,
  });
  app.start();
  return { app, term };
}

test("hidden hosts: no process list is asked for; the interval is Infinity, never a timer", () => {
  assert.equal(FLEET_HIDDEN.processesMs, Number.POSITIVE_INFINITY);
  assert.equal(intervalsFor("hidden", { ...DEFAULT_INTERVALS }).processesMs, Number.POSITIVE_INFINITY);
  assert.ok(Number.isFinite(intervalsFor("visible", { ...DEFAULT_INTERVALS }).processesMs));
});

test("FleetApp: off-screen hosts ask no process list until they scroll into view; rows show the busiest process unsorted", async () => {
  const clock = new ManualClock();
  const clients = new Map<string, FakeClient>();
  const names = Array.from({ length: 30 }, (_, i) => `h${String(i).padStart(2, "0")}`);
  const { app, term } = fleetAt(clock, names, async (t) => {
    const c = new FakeClient();
    c.metricsReply = async () => metrics({ hostname: t.name });
    // The busiest process is neither first nor last in the list as sent.
    c.processesReply = async () => processes([proc(3, "idle-a", 0.5, 10), proc(9, `busy-${t.name}`, 40, 10), proc(5, "idle-b", 1, 10)]);
    clients.set(t.name, c);
    return c;
  });
  await clock.advance(100);
  app.renderNow();
  await clock.advance(12_000);
  app.renderNow();
  // 21 rows fit at 80×24: h00-h20 on screen, h21-h29 not.
  assert.ok(count(clients.get("h00")!, "processes") >= 2, "an on-screen host is asked for its list");
  for (const name of names.slice(21)) {
    assert.equal(count(clients.get(name)!, "processes"), 0, `${name} is off screen: no process list`);
    assert.ok(count(clients.get(name)!, "metrics") >= 1, `${name} is still kept warm`);
  }
  assert.match(app.screen!.text(), /h00 .*busy-h00 40/);
  // The row came from the list as it arrived: the background host's own list is the unsorted one.
  assert.deepEqual(app.hosts[0]!.app.state.processes.map((p) => p.pid), [3, 9, 5]);

  // Scrolling to the end brings h29 on screen: its list is asked for at once, not after a timer.
  term.key("END");
  await flush();
  app.renderNow();
  await clock.advance(50);
  assert.ok(count(clients.get("h29")!, "processes") >= 1, "h29 on screen now");
  app.renderNow();
  assert.match(app.screen!.text(), /h29 .*busy-h29/);

  // Drilled in: the host's own table, sorted by CPU as the single-host view shows it.
  term.key("ENTER");
  assert.equal(app.drilled, "h29");
  await clock.advance(2100);
  assert.deepEqual(app.hosts[29]!.app.state.table.rows().map((p) => p.pid), [9, 5, 3]);
  await app.stop();
});

/** An agent that states load and disk_io (protocol 2), counting what it is asked. */
class DeepClient extends FakeClient {
  override info = { ...new FakeClient().info, capabilities: ["metrics", "processes", "load", "disk_io"] };
  async load(): Promise<LoadReply> {
    this.calls.push("load");
    return { load_1: 1, load_5: 1, load_15: 1, runnable: 1, tasks: 1, uptime_seconds: 1, boot_time: 1 };
  }
  async diskIo(): Promise<DiskIoEntry[]> {
    this.calls.push("diskIo");
    return [];
  }
}

test("FleetApp: load and disk I/O (on no overview) are asked only of the host drilled into, at once when it is opened", async () => {
  const clock = new ManualClock();
  const clients = new Map<string, DeepClient>();
  const names = ["h00", "h01", "h02"];
  const { app, term } = fleetAt(clock, names, async (t) => {
    const c = new DeepClient();
    clients.set(t.name, c);
    return c;
  });
  await clock.advance(100);
  app.renderNow();
  await clock.advance(61_000);
  for (const name of names) {
    const c = clients.get(name)!;
    assert.ok(count(c, "disks") >= 2, `${name}'s disks are still asked (the DISK column)`);
    assert.equal(count(c, "load") + count(c, "diskIo"), 0, `${name} is on the overview: no load, no disk I/O`);
  }
  term.key("DOWN");
  term.key("ENTER");
  assert.equal(app.drilled, "h01");
  await clock.advance(50);
  assert.equal(count(clients.get("h01")!, "load"), 1, "the drilled host's load, asked at once");
  assert.equal(count(clients.get("h01")!, "diskIo"), 1);
  await clock.advance(10_100);
  assert.ok(count(clients.get("h01")!, "load") >= 3, "then with its disks (5 s)");
  assert.equal(count(clients.get("h00")!, "load") + count(clients.get("h02")!, "load"), 0);
  await app.stop();
});

test("FleetApp: hosts that connected at different moments are polled together, a little before each frame", async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const asked = new Map<string, number[]>();
  const names = ["h00", "h01", "h02", "h03"];
  const { app } = fleetAt(clock, names, async (t) => {
    // Each link opens at a moment of its own (37 ms apart).
    await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 37 * names.indexOf(t.name)));
    const c = new FakeClient();
    const times: number[] = [];
    asked.set(t.name, times);
    c.metricsReply = async () => {
      times.push(clock.now());
      return metrics({ hostname: t.name });
    };
    return c;
  });
  await clock.advance(200);
  app.renderNow();
  await clock.advance(10_000);
  const late = (name: string): number[] => asked.get(name)!.filter((at) => at > clock.now() - 4000);
  assert.equal(late("h00").length, 4, `h00 asked ${late("h00").length} times in the last 4 s`);
  for (const name of names) {
    assert.deepEqual(late(name), late("h00"), `${name} polled at the same moments as h00`);
    for (const at of late(name)) assert.equal(at % FLEET_FRAME_MS, FLEET_FRAME_MS - FLEET_POLL_LEAD_MS, `${name} asked ${at % FLEET_FRAME_MS} ms into a second`);
  }
  await app.stop();
});
