import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { DiskIoCollector, diskIoRates, isVirtualNoise, parseDiskstats } from "../../src/collectors/diskstats.js";
import { materialise, removeTrees } from "../helpers/tree.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/diskstats/${name}`, import.meta.url), "utf8");
after(removeTrees);

/** A /proc and /sys pair: diskstats, and the sysfs partition marks. */
function roots(): { procRoot: string; sysRoot: string } {
  const root = materialise({
    "proc/diskstats": fixture("diskstats-1.txt"),
    "sys/class/block/nvme0n1/dev": "259:0\n",
    "sys/class/block/nvme0n1p1/partition": "1\n",
    "sys/class/block/nvme0n1p2/partition": "2\n",
    "sys/class/block/sda/dev": "8:0\n",
    "sys/class/block/sda1/partition": "1\n",
    "sys/class/block/dm-0/dev": "253:0\n",
  });
  return { procRoot: `${root}/proc`, sysRoot: `${root}/sys` };
}

describe("parseDiskstats", () => {
  it("reads the classic fields of every complete line, old (14) and new (20) formats", () => {
    const rows = parseDiskstats(fixture("diskstats-1.txt"));
    assert.deepEqual(
      rows.map((r) => r.name),
      ["nvme0n1", "nvme0n1p1", "nvme0n1p2", "sda", "sda1", "loop0", "ram0", "dm-0"],
    );
    assert.deepEqual(rows[0], { major: 259, minor: 0, name: "nvme0n1", reads: 120000, readSectors: 9600000, writes: 80000, writeSectors: 6400000, ioMs: 60000 });
  });

  it("skips short and non-numeric lines instead of failing", () => {
    assert.deepEqual(parseDiskstats(""), []);
    assert.deepEqual(parseDiskstats("8 0 sda x 0 0 0 0 0 0 0 0 0 0\n1 2 3\n"), []);
  });

  it("treats loop, ram and floppy devices as noise but keeps dm, md, zram and real disks", () => {
    for (const name of ["loop0", "loop12", "ram0", "fd0"]) assert.equal(isVirtualNoise(name), true, name);
    for (const name of ["sda", "nvme0n1p2", "dm-0", "md127", "zram0", "mmcblk0p1"]) assert.equal(isVirtualNoise(name), false, name);
  });
});

describe("diskIoRates", () => {
  const before = new Map(parseDiskstats(fixture("diskstats-1.txt")).map((d) => [d.name, d]));
  const after = parseDiskstats(fixture("diskstats-2.txt"));
  const partitions = new Set(["nvme0n1p1", "nvme0n1p2", "sda1"]);

  it("turns two readings into bytes and operations per second", () => {
    const rows = diskIoRates(before, after, 2, (n) => partitions.has(n));
    const nvme = rows.find((r) => r.name === "nvme0n1");
    // 100000 sectors × 512 bytes in 2 s; 200 reads in 2 s; 400000 sectors written; 400 writes; 1000 ms busy of 2000.
    assert.deepEqual(nvme, {
      name: "nvme0n1",
      is_partition: false,
      read_bytes_per_sec: 25_600_000,
      write_bytes_per_sec: 102_400_000,
      reads_per_sec: 100,
      writes_per_sec: 200,
      busy_percent: 50,
      read_bytes: 9_700_000 * 512,
      write_bytes: 6_800_000 * 512,
      reads: 120200,
      writes: 80400,
    });
    assert.equal(rows.find((r) => r.name === "nvme0n1p1")?.read_bytes_per_sec, 0);
  });

  it("lists whole disks followed by their partitions, without loop and ram devices", () => {
    const rows = diskIoRates(before, after, 2, (n) => partitions.has(n));
    assert.deepEqual(
      rows.map((r) => `${r.name}${r.is_partition ? "*" : ""}`),
      ["dm-0", "nvme0n1", "nvme0n1p1*", "nvme0n1p2*", "sda", "sda1*"],
    );
  });

  it("reports null rates without an earlier reading, and when a counter went back (device replaced)", () => {
    const first = diskIoRates(null, after, 2, () => false);
    assert.ok(first.every((r) => r.read_bytes_per_sec === null && r.writes_per_sec === null && r.busy_percent === null));
    const sda = diskIoRates(before, after, 2, (n) => partitions.has(n)).find((r) => r.name === "sda");
    assert.equal(sda?.reads_per_sec, null, "sda's counters restarted from lower values");
    assert.equal(sda?.reads, 100, "totals are still reported");
  });

  it("reports null rates over a zero interval", () => {
    assert.ok(diskIoRates(before, after, 0, () => false).every((r) => r.reads_per_sec === null));
  });
});

describe("DiskIoCollector", () => {
  it("reads a fixture /proc and /sys: rates since the baseline, partitions from sysfs", async () => {
    const { procRoot, sysRoot } = roots();
    let now = 10_000;
    const collector = new DiskIoCollector({ procRoot, sysRoot, now: () => now });
    collector.baselineSync();
    writeFileSync(`${procRoot}/diskstats`, fixture("diskstats-2.txt"));
    now += 4000;
    const rows = collector.collectSync();
    const nvme = rows.find((r) => r.name === "nvme0n1");
    assert.equal(nvme?.read_bytes_per_sec, 12_800_000);
    assert.equal(nvme?.busy_percent, 25);
    assert.deepEqual(
      rows.filter((r) => r.is_partition).map((r) => r.name),
      ["nvme0n1p1", "nvme0n1p2", "sda1"],
    );
  });

  it("fails clearly when /proc/diskstats is missing", async () => {
    const collector = new DiskIoCollector({ procRoot: "/nonexistent-proc", sysRoot: "/sys" });
    assert.throws(() => collector.collectSync(), /cannot read \/nonexistent-proc\/diskstats/);
  });

  it("live: this machine's disks, with rates on the second reading", async () => {
    const collector = new DiskIoCollector();
    collector.baselineSync();
    await new Promise((r) => setTimeout(r, 50));
    const rows = collector.collectSync();
    assert.ok(rows.length > 0, "at least one block device");
    for (const row of rows) {
      assert.ok(!isVirtualNoise(row.name));
      assert.ok(row.read_bytes_per_sec === null || row.read_bytes_per_sec >= 0);
      assert.ok(row.read_bytes >= 0 && row.writes >= 0);
    }
  });
});
