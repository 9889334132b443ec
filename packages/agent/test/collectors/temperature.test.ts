import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  TemperatureCollector,
  cpuSensorRank,
  parseMillidegrees,
  readCpuTemperature,
  thermalZoneRank,
} from "../../src/collectors/temperature.js";
import { SensorReader } from "../../src/collectors/sensor-reader.js";
import { makeFifos, releaseFifos } from "../helpers/fifo.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/temperature/", import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

/** A scratch /sys: a copy of a fixture (or empty), plus extra files; removed after the test. */
async function scratchSys(t: { after: (fn: () => Promise<void>) => void }, from?: string, files: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "socktop-temp-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  if (from !== undefined) cpSync(fixture(from), root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

test("parseMillidegrees: millidegrees to °C at 0.1 resolution; faults are null", () => {
  assert.equal(parseMillidegrees("42000\n"), 42);
  assert.equal(parseMillidegrees("45125"), 45.1);
  assert.equal(parseMillidegrees("-5000"), -5, "a cold but real reading");
  assert.equal(parseMillidegrees("150000"), 150, "the upper bound is inclusive");
  assert.equal(parseMillidegrees("150001"), null);
  assert.equal(parseMillidegrees("-40000"), null, "-40 and below is a fault");
  assert.equal(parseMillidegrees("-127000"), null, "disconnected probe");
  assert.equal(parseMillidegrees("255000"), null);
  assert.equal(parseMillidegrees("4294948300"), null, "k10temp's unsigned wrap-around");
  assert.equal(parseMillidegrees("0\n"), null, "no data");
  assert.equal(parseMillidegrees("garbage"), null);
  assert.equal(parseMillidegrees("  \n"), null);
  assert.equal(parseMillidegrees(null), null);
});

test("cpuSensorRank orders CPU sensors and rejects the rest", () => {
  const rank = cpuSensorRank;
  assert.equal(rank("coretemp", "Package id 0"), 0);
  assert.equal(rank("coretemp", "Core 3"), 1);
  assert.equal(rank("coretemp", ""), 1);
  assert.equal(rank("k10temp", "Tdie"), 2);
  assert.equal(rank("zenpower", "Tdie"), 2);
  assert.equal(rank("k10temp", "Tctl"), 3);
  assert.equal(rank("k10temp", "Tccd1"), 4);
  assert.equal(rank("cpu_thermal", ""), 5);
  assert.equal(rank("cpu0_thermal", ""), 5);
  assert.equal(rank("soc_thermal", ""), 5);
  assert.equal(rank("nct6798", "CPUTIN"), 6);
  assert.equal(rank("thinkpad", "CPU"), 6);
  for (const [chip, label] of [
    ["nvme", "Composite"],
    ["amdgpu", "edge"],
    ["acpitz", ""],
    ["drivetemp", ""],
    ["iwlwifi_1", ""],
    ["nct6798", "SYSTIN"],
    ["rp1_adc", ""],
  ] as const) {
    assert.equal(rank(chip, label), null, `${chip} ${label}`);
  }
  // Ranks strictly increase through the documented preference order.
  const order = [rank("coretemp", "Package id 0"), rank("coretemp", "Core 0"), rank("k10temp", "Tdie"), rank("k10temp", "Tctl"), rank("cpu_thermal", ""), rank("it8728", "CPU Temp")];
  assert.deepEqual([...order].sort((a, b) => (a ?? 99) - (b ?? 99)), order);
});

test("thermalZoneRank: x86_pkg_temp, cpu, soc, acpitz last; others ignored", () => {
  assert.equal(thermalZoneRank("x86_pkg_temp\n"), 0);
  assert.equal(thermalZoneRank("cpu-thermal"), 1);
  assert.equal(thermalZoneRank("TCPU"), 1);
  assert.equal(thermalZoneRank("soc_thermal"), 2);
  assert.equal(thermalZoneRank("B0D4"), 2);
  assert.equal(thermalZoneRank("acpitz"), 3);
  for (const other of ["iwlwifi_1", "INT3400 Thermal", "pch_cannonlake", "battery", "SEN1", ""]) {
    assert.equal(thermalZoneRank(other), null, other);
  }
});

test("Intel coretemp: Package id wins over cores, acpitz, nvme and the thermal zones", async () => {
  // hwmon2 holds "Package id 0" (55) and hwmon10 "Package id 1" (61): a string
  // sort would visit hwmon10 first; the numeric order gives hwmon2's package.
  assert.equal(await readCpuTemperature(fixture("coretemp")), 55);
});

test("coretemp without a package sensor: the first core by temp index", async () => {
  // temp2 (Core 0) = 46, temp3 = 47, temp10 = 49: "temp10" sorts before "temp2" as a string.
  assert.equal(await readCpuTemperature(fixture("coretemp-cores-only")), 46);
});

test("AMD k10temp with Tctl only (Zen 3): Tctl, not the CCD, amdgpu or nvme sensor", async () => {
  assert.equal(await readCpuTemperature(fixture("k10temp-tctl")), 48.5);
});

test("AMD k10temp with Tctl and Tdie (Threadripper offset): Tdie", async () => {
  assert.equal(await readCpuTemperature(fixture("k10temp-tctl-tdie")), 43);
});

test("zenpower is treated like k10temp", async (t) => {
  const root = await scratchSys(t, undefined, {
    "class/hwmon/hwmon0/name": "zenpower\n",
    "class/hwmon/hwmon0/temp1_input": "61000\n",
    "class/hwmon/hwmon0/temp1_label": "Tdie\n",
    "class/hwmon/hwmon0/temp2_input": "71000\n",
    "class/hwmon/hwmon0/temp2_label": "Tctl\n",
    "class/hwmon/hwmon1/name": "nct6775\n",
    "class/hwmon/hwmon1/temp1_input": "40000\n",
    "class/hwmon/hwmon1/temp1_label": "CPUTIN\n",
  });
  assert.equal(await readCpuTemperature(root), 61);
});

test("Raspberry Pi: cpu_thermal, not the rp1_adc chip before it", async () => {
  assert.equal(await readCpuTemperature(fixture("raspberry-pi")), 47.2);
});

test("a sensor known only by its label (nct6798 CPUTIN)", async () => {
  assert.equal(await readCpuTemperature(fixture("label-only")), 44.5);
});

test("old kernels: attributes under hwmonN/device", async () => {
  assert.equal(await readCpuTemperature(fixture("legacy-device-attrs")), 39);
});

test("thermal zones only: x86_pkg_temp (zone 10) before acpitz (zone 0); wifi/PCH ignored", async () => {
  assert.equal(await readCpuTemperature(fixture("thermal-zones-only")), 52);
});

test("thermal zones: acpitz is used when it is all there is", async (t) => {
  const root = await scratchSys(t, "thermal-zones-only");
  await rm(join(root, "class/thermal/thermal_zone10"), { recursive: true });
  assert.equal(await readCpuTemperature(root), 27.8);
});

test("hwmon has no CPU sensor: falls back to the thermal zones", async (t) => {
  const root = await scratchSys(t, "no-cpu-sensor", {
    "class/thermal/thermal_zone1/type": "x86_pkg_temp\n",
    "class/thermal/thermal_zone1/temp": "63000\n",
  });
  assert.equal(await readCpuTemperature(root), 63);
});

test("no CPU sensor among nvme, drivetemp, amdgpu, wifi: null", async () => {
  assert.equal(await readCpuTemperature(fixture("no-cpu-sensor")), null);
});

test("garbage, out-of-range, empty, zero and missing inputs fall through to the next sensor", async () => {
  // Package garbage, Core 0 -127, Core 1 255, Core 2 empty, Core 3 no input, Core 4 zero, Core 5 57.
  assert.equal(await readCpuTemperature(fixture("garbage")), 57);
});

test("every sensor broken: null", async () => {
  assert.equal(await readCpuTemperature(fixture("all-broken")), null);
});

test("no sensors at all: an empty /sys, a missing /sys", async (t) => {
  assert.equal(await readCpuTemperature(await scratchSys(t)), null);
  const emptyClasses = await scratchSys(t);
  await mkdir(join(emptyClasses, "class/hwmon"), { recursive: true });
  await mkdir(join(emptyClasses, "class/thermal"), { recursive: true });
  assert.equal(await readCpuTemperature(emptyClasses), null);
  assert.equal(await readCpuTemperature("/nonexistent-sys"), null);
  // No sensor found: the collector answers at once, not through a promise (most virtual machines).
  const collector = new TemperatureCollector({ sysRoot: emptyClasses, cacheMs: 0 });
  assert.equal(collector.collect(), null);
  assert.equal(new TemperatureCollector({ sysRoot: "/nonexistent-sys" }).collect(), null);
  // With a sensor it waits for the read (bounded by a timeout: sensor-reader.ts).
  const read = new TemperatureCollector({ sysRoot: fixture("raspberry-pi"), cacheMs: 0 }).collect();
  assert.ok(read instanceof Promise);
  assert.equal(typeof (await read), "number");
});

test("unreadable inputs (a directory, a dangling link) are skipped, not thrown", async (t) => {
  // As root, chmod 000 cannot make a file unreadable: a directory where the
  // file should be fails with EISDIR, an error that is not "absent", like
  // sysfs's ENODATA/EIO.
  const root = await scratchSys(t, undefined, {
    "class/hwmon/hwmon0/name": "coretemp\n",
    "class/hwmon/hwmon0/temp1_label": "Package id 0\n",
    "class/hwmon/hwmon0/temp2_label": "Core 0\n",
    "class/hwmon/hwmon0/temp3_input": "44000\n",
    "class/hwmon/hwmon0/temp3_label": "Core 1\n",
  });
  await mkdir(join(root, "class/hwmon/hwmon0/temp1_input"));
  await symlink("/nonexistent/temp", join(root, "class/hwmon/hwmon0/temp2_input"));
  assert.equal(await readCpuTemperature(root), 44);

  await writeFile(join(root, "class/hwmon/hwmon0/temp3_input"), "x\n");
  await mkdir(join(root, "class/thermal/thermal_zone0/temp"), { recursive: true });
  await writeFile(join(root, "class/thermal/thermal_zone0/type"), "x86_pkg_temp\n");
  await mkdir(join(root, "class/thermal/thermal_zone1"), { recursive: true });
  await writeFile(join(root, "class/thermal/thermal_zone1/type"), "acpitz\n");
  await writeFile(join(root, "class/thermal/thermal_zone1/temp"), "31000\n");
  assert.equal(await readCpuTemperature(root), 31, "a broken x86_pkg_temp falls through to acpitz");

  // An unreadable name hides the chip's identity, not the whole collection.
  await rm(join(root, "class/hwmon/hwmon0/name"));
  await mkdir(join(root, "class/hwmon/hwmon0/name"));
  assert.equal(await readCpuTemperature(root), 31);
});

test("a CPU sensor that never answers: null within the timeout, then the next sensor without waiting", async (t) => {
  const root = await scratchSys(t, undefined, {
    "class/hwmon/hwmon0/name": "coretemp\n",
    "class/hwmon/hwmon0/temp1_label": "Package id 0\n",
    "class/hwmon/hwmon0/temp2_label": "Core 0\n",
    "class/hwmon/hwmon0/temp2_input": "47000\n",
  });
  const hung = join(root, "class/hwmon/hwmon0/temp1_input");
  makeFifos(hung);
  const sensors = new SensorReader({ timeoutMs: 200 });
  try {
    let t0 = performance.now();
    assert.equal(await readCpuTemperature(root, sensors), null, "this reading waits for one timeout, not for ever");
    const first = performance.now() - t0;
    assert.ok(first >= 190 && first < 1500, `${first.toFixed(0)} ms`);
    t0 = performance.now();
    assert.equal(await readCpuTemperature(root, sensors), 47, "the hung package sensor is skipped: Core 0 stands in");
    assert.ok(performance.now() - t0 < 150, `${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    // Before scratchSys's clean-up removes the FIFO: its blocked reader would then wait for ever.
    releaseFifos([hung]);
  }
});

test("sysfs layout with symlinks: class/hwmon/hwmonN -> ../../devices/...", async (t) => {
  const root = await scratchSys(t, undefined, {
    "devices/platform/coretemp.0/hwmon/hwmon3/name": "coretemp\n",
    "devices/platform/coretemp.0/hwmon/hwmon3/temp1_input": "58000\n",
    "devices/platform/coretemp.0/hwmon/hwmon3/temp1_label": "Package id 0\n",
    "devices/pci0000:00/0000:00:1d.0/nvme/nvme0/hwmon1/name": "nvme\n",
    "devices/pci0000:00/0000:00:1d.0/nvme/nvme0/hwmon1/temp1_input": "35000\n",
    "devices/virtual/thermal/thermal_zone0/type": "acpitz\n",
    "devices/virtual/thermal/thermal_zone0/temp": "20000\n",
  });
  await mkdir(join(root, "class/hwmon"), { recursive: true });
  await mkdir(join(root, "class/thermal"), { recursive: true });
  await symlink("../../devices/platform/coretemp.0/hwmon/hwmon3", join(root, "class/hwmon/hwmon3"));
  await symlink("../../devices/pci0000:00/0000:00:1d.0/nvme/nvme0/hwmon1", join(root, "class/hwmon/hwmon1"));
  await symlink("../../devices/virtual/thermal/thermal_zone0", join(root, "class/thermal/thermal_zone0"));
  assert.equal(await readCpuTemperature(root), 58);
  await rm(join(root, "class/hwmon/hwmon3"));
  assert.equal(await readCpuTemperature(root), 20, "without coretemp the linked acpitz zone is used");
});

test("only the chosen sensor's input is read, not every chip's (drivetemp/nvme reads reach the device)", async (t) => {
  const root = await scratchSys(t, "k10temp-tctl", {
    "class/hwmon/hwmon3/name": "drivetemp\n",
    "class/hwmon/hwmon3/temp1_input": "33000\n",
  });
  const inputs = {
    chosen: join(root, "class/hwmon/hwmon2/temp1_input"),
    nvme: join(root, "class/hwmon/hwmon0/temp1_input"),
    amdgpu: join(root, "class/hwmon/hwmon1/temp1_input"),
    ccd: join(root, "class/hwmon/hwmon2/temp3_input"),
    drivetemp: join(root, "class/hwmon/hwmon3/temp1_input"),
    zone: join(root, "class/thermal/thermal_zone0/temp"),
  };
  // With relatime, a read updates an access time that is older than the modification time.
  const epoch = new Date(0);
  for (const path of Object.values(inputs)) await utimes(path, epoch, (await stat(path)).mtime);
  assert.equal(await readCpuTemperature(root), 48.5);
  const accessed = async (path: string): Promise<boolean> => (await stat(path)).atimeMs > 0;
  if (!(await accessed(inputs.chosen))) {
    t.skip("this file system does not record access times");
    return;
  }
  for (const [name, path] of Object.entries(inputs)) {
    if (name !== "chosen") assert.equal(await accessed(path), false, `${name} input was read`);
  }
});

test("TemperatureCollector: disabled returns null and reads nothing", async (t) => {
  const root = await scratchSys(t, "coretemp");
  const input = join(root, "class/hwmon/hwmon2/temp1_input");
  await utimes(input, new Date(0), (await stat(input)).mtime);
  const collector = new TemperatureCollector({ sysRoot: root, enabled: false });
  assert.equal(await collector.read(), null);
  assert.equal(await collector.read(), null);
  assert.equal((await stat(input)).atimeMs, 0, "the sensor was not touched");
  assert.equal(await new TemperatureCollector({ sysRoot: root }).read(), 55, "the same tree, enabled");
});

test("TemperatureCollector: cached for cacheMs (default 1500) with an injected clock", async (t) => {
  const root = await scratchSys(t, "raspberry-pi");
  const input = join(root, "class/hwmon/hwmon1/temp1_input");
  let now = 10_000;
  const collector = new TemperatureCollector({ sysRoot: root, now: () => now });
  assert.equal(await collector.read(), 47.2);
  await writeFile(input, "52000\n");
  now += 1499;
  assert.equal(await collector.read(), 47.2, "still cached just before 1.5 s");
  now += 1;
  assert.equal(await collector.read(), 52, "re-read at 1.5 s");

  const fast = new TemperatureCollector({ sysRoot: root, cacheMs: 100, now: () => now });
  assert.equal(await fast.read(), 52);
  await writeFile(input, "53000\n");
  now += 99;
  assert.equal(await fast.read(), 52);
  now += 1;
  assert.equal(await fast.read(), 53, "a custom cacheMs is honoured");
});

test("TemperatureCollector: a null reading is cached too, then picks up a sensor that appears at the next discovery", async (t) => {
  const root = await scratchSys(t);
  let now = 0;
  const collector = new TemperatureCollector({ sysRoot: root, cacheMs: 1500, now: () => now });
  assert.equal(await collector.read(), null);
  await mkdir(join(root, "class/thermal/thermal_zone0"), { recursive: true });
  await writeFile(join(root, "class/thermal/thermal_zone0/type"), "cpu-thermal\n");
  await writeFile(join(root, "class/thermal/thermal_zone0/temp"), "40000\n");
  now = 1000;
  assert.equal(await collector.read(), null, "cached null: no re-scan within the window");
  now = 1500;
  assert.equal(await collector.read(), null, "a new reading, but the sensors found a minute ago are still the ones read");
  now = 58_000;
  assert.equal(await collector.read(), null, "still within the discovery window");
  now = 60_000;
  assert.equal(await collector.read(), 40, "looked up again after discoveryMs (default one minute)");
});

test("TemperatureCollector: between discoveries only the chosen input is read; a custom discoveryMs is honoured", async (t) => {
  const root = await scratchSys(t, "raspberry-pi");
  let now = 0;
  const collector = new TemperatureCollector({ sysRoot: root, cacheMs: 100, discoveryMs: 5000, now: () => now });
  assert.equal(await collector.read(), 47.2);
  // The chip's name changes to one that is no CPU sensor: not looked at again until the discovery window ends.
  await writeFile(join(root, "class/hwmon/hwmon1/name"), "wifi_thermal\n");
  await writeFile(join(root, "class/hwmon/hwmon1/temp1_input"), "51000\n");
  now = 100;
  assert.equal(await collector.read(), 51, "the input is re-read at each reading");
  await writeFile(join(root, "class/thermal/thermal_zone0/temp"), "44000\n");
  now = 4900;
  assert.equal(await collector.read(), 51, "the hwmon sensor chosen at the last discovery");
  now = 5000;
  assert.equal(await collector.read(), 44, "the new name is seen at the next discovery: the thermal zone is the CPU sensor now");
});

test("TemperatureCollector: concurrent reads share one scan", async (t) => {
  const root = await scratchSys(t, "coretemp");
  const collector = new TemperatureCollector({ sysRoot: root, now: () => 0 });
  const [a, b, c] = await Promise.all([collector.read(), collector.read(), collector.read()]);
  assert.deepEqual([a, b, c], [55, 55, 55]);
});

test("live: this machine's sensor is null or plausible", async () => {
  const t = await readCpuTemperature();
  const list = (p: string): string[] => {
    try {
      return readdirSync(p);
    } catch {
      return [];
    }
  };
  if (list("/sys/class/hwmon").length === 0 && list("/sys/class/thermal").filter((n) => n.startsWith("thermal_zone")).length === 0) {
    assert.equal(t, null, "no hwmon chips and no thermal zones here");
  } else {
    assert.ok(t === null || (t > -40 && t <= 150), String(t));
  }
  const collected = await new TemperatureCollector().read();
  assert.equal(collected, t);
});
