/**
 * Load average, uptime and disk I/O (protocol 2): asked only of an agent that
 * states the capability, shown in the header and beside each disk.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DiskIoEntry, LoadReply } from "@socktop/protocol";
import { formatRateShort } from "../src/panels.js";
import { renderFrame } from "../src/render.js";
import type { RenderContext } from "../src/widgets.js";
import { Screen } from "../src/screen.js";
import { Session, type SessionListener } from "../src/session.js";
import { AppState } from "../src/state.js";
import { disks, FakeClient, ManualClock, metrics, processes } from "./helpers/fixtures.js";
import { renderContext } from "./helpers/render.js";

const LOAD: LoadReply = { load_1: 1.5, load_5: 0.75, load_15: 0.25, runnable: 2, tasks: 300, uptime_seconds: 3 * 86400 + 4 * 3600, boot_time: 1_700_000_000 };

function io(name: string, r: number | null, w: number | null): DiskIoEntry {
  return { name, is_partition: false, read_bytes_per_sec: r, write_bytes_per_sec: w, reads_per_sec: 1, writes_per_sec: 1, busy_percent: 5, read_bytes: 0, write_bytes: 0, reads: 0, writes: 0 };
}

class DeepClient extends FakeClient {
  loads = 0;
  ios = 0;
  async load(): Promise<LoadReply> {
    this.loads++;
    return LOAD;
  }
  async diskIo(): Promise<DiskIoEntry[]> {
    this.ios++;
    return [io("nvme0n1", 2 * 1024 * 1024, 300 * 1024)];
  }
}

function listener(got: { load: LoadReply | null; io: DiskIoEntry[] | null }): SessionListener {
  return {
    status: () => {},
    metrics: () => {},
    processes: () => {},
    disks: () => {},
    load: (l) => (got.load = l),
    diskIo: (d) => (got.io = d),
  };
}

test("load and disk_io are polled with the disks, only when the agent states them", async () => {
  for (const caps of [["metrics", "processes", "load", "disk_io"], ["metrics", "processes"]]) {
    const clock = new ManualClock();
    const client = new DeepClient();
    client.info = { ...client.info, capabilities: caps };
    const got = { load: null as LoadReply | null, io: null as DiskIoEntry[] | null };
    const session = new Session({ source: async () => client, listener: listener(got), clock });
    session.start();
    await clock.advance(0);
    await clock.advance(10_000);
    const stated = caps.includes("load");
    assert.equal(client.loads, stated ? 3 : 0, `load requests with ${caps.join(",")}`);
    assert.equal(client.ios, stated ? 3 : 0);
    assert.deepEqual(got.load, stated ? LOAD : null);
    await session.stop();
  }
});

const ctx = (): RenderContext => renderContext();

test("header shows load and uptime; the disks panel read/write rates beside each disk", () => {
  const s = new AppState();
  s.conn.phase = "open";
  s.applyMetrics(metrics(), Date.now() - 1000);
  s.applyProcesses(processes(), Date.now());
  s.applyDisks(disks(), Date.now());
  const before = new Screen(120, 40);
  renderFrame(before, s, ctx());
  assert.doesNotMatch(before.text(), /load |up \d| r\d/, "an original agent: nothing new");
  s.load = LOAD;
  s.diskIo = new Map([["nvme0n1", io("nvme0n1", 2 * 1024 * 1024, 300 * 1024)]]);
  const screen = new Screen(120, 40);
  renderFrame(screen, s, ctx());
  assert.match(screen.rowText(0), /load 1\.50 0\.75 0\.25/);
  assert.match(screen.rowText(0), /up 3d 4h/);
  assert.match(screen.text(), /Disks ─* *4 · r2\.0M w300K\/s/, "narrow: the whole disks' total in the title");
  assert.doesNotMatch(screen.text().split("\n").find((l) => / nvme0n1 /.test(l))!, /r2\.0M/);
  const wide = new Screen(240, 60);
  renderFrame(wide, s, ctx());
  const disk = wide.text().split("\n").find((l) => / nvme0n1 /.test(l))!;
  assert.match(disk, /60% +279G\/466G r2\.0M w300K/, "wide: beside the disk");
  assert.equal(formatRateShort(0), "0");
  assert.equal(formatRateShort(512), "512");
});
