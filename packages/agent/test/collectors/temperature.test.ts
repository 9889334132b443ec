import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { TemperatureCollector, parseMillidegrees, readCpuTemperature } from "../../src/collectors/temperature.js";

/** Builds a /sys tree from a map of relative path → file content. */
async function sysTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "socktop-sys-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

test("parseMillidegrees converts and rejects faults", () => {
  assert.equal(parseMillidegrees("42000\n"), 42);
  assert.equal(parseMillidegrees("45125"), 45.1);
  assert.equal(parseMillidegrees("-127000"), null, "disconnected probe");
  assert.equal(parseMillidegrees("255000"), null);
  assert.equal(parseMillidegrees("garbage"), null);
  assert.equal(parseMillidegrees(""), null);
  assert.equal(parseMillidegrees(null), null);
});

test("Intel coretemp: the package sensor wins over cores and other chips", async () => {
  const root = await sysTree({
    "class/hwmon/hwmon0/name": "acpitz\n",
    "class/hwmon/hwmon0/temp1_input": "27800\n",
    "class/hwmon/hwmon2/name": "coretemp\n",
    "class/hwmon/hwmon2/temp2_input": "51000\n",
    "class/hwmon/hwmon2/temp2_label": "Core 0\n",
    "class/hwmon/hwmon2/temp1_input": "55000\n",
    "class/hwmon/hwmon2/temp1_label": "Package id 0\n",
  });
  assert.equal(await readCpuTemperature(root), 55);
  await rm(root, { recursive: true });
});

test("AMD k10temp: Tdie preferred, Tctl alone used", async () => {
  const both = await sysTree({
    "class/hwmon/hwmon1/name": "k10temp\n",
    "class/hwmon/hwmon1/temp1_input": "70000\n",
    "class/hwmon/hwmon1/temp1_label": "Tctl\n",
    "class/hwmon/hwmon1/temp2_input": "60000\n",
    "class/hwmon/hwmon1/temp2_label": "Tdie\n",
  });
  assert.equal(await readCpuTemperature(both), 60);
  const tctl = await sysTree({
    "class/hwmon/hwmon10/name": "k10temp\n",
    "class/hwmon/hwmon10/temp1_input": "48500\n",
    "class/hwmon/hwmon10/temp1_label": "Tctl\n",
    "class/hwmon/hwmon9/name": "nvme\n",
    "class/hwmon/hwmon9/temp1_input": "38000\n",
    "class/hwmon/hwmon9/temp1_label": "Composite\n",
  });
  assert.equal(await readCpuTemperature(tctl), 48.5);
});

test("Raspberry Pi cpu_thermal hwmon", async () => {
  const root = await sysTree({ "class/hwmon/hwmon0/name": "cpu_thermal\n", "class/hwmon/hwmon0/temp1_input": "47236\n" });
  assert.equal(await readCpuTemperature(root), 47.2);
});

test("thermal zones only: x86_pkg_temp before acpitz", async () => {
  const root = await sysTree({
    "class/thermal/thermal_zone0/type": "acpitz\n",
    "class/thermal/thermal_zone0/temp": "30000\n",
    "class/thermal/thermal_zone1/type": "x86_pkg_temp\n",
    "class/thermal/thermal_zone1/temp": "52000\n",
  });
  assert.equal(await readCpuTemperature(root), 52);
  const acpiOnly = await sysTree({ "class/thermal/thermal_zone0/type": "acpitz\n", "class/thermal/thermal_zone0/temp": "30000\n" });
  assert.equal(await readCpuTemperature(acpiOnly), 30);
});

test("no sensors, unreadable or absurd values: null, never an error", async () => {
  assert.equal(await readCpuTemperature(await sysTree({})), null);
  assert.equal(await readCpuTemperature("/nonexistent-sys"), null);
  const broken = await sysTree({
    "class/hwmon/hwmon0/name": "coretemp\n",
    "class/hwmon/hwmon0/temp1_input": "-127000\n",
    "class/hwmon/hwmon0/temp1_label": "Package id 0\n",
    "class/thermal/thermal_zone0/type": "wifi\n",
    "class/thermal/thermal_zone0/temp": "40000\n",
  });
  assert.equal(await readCpuTemperature(broken), null);
});

test("TemperatureCollector: disabled reads nothing; readings cached for cacheMs", async () => {
  assert.equal(await new TemperatureCollector({ sysRoot: "/nonexistent", enabled: false }).read(), null);
  const root = await sysTree({ "class/hwmon/hwmon0/name": "coretemp\n", "class/hwmon/hwmon0/temp1_input": "40000\n" });
  let now = 0;
  const collector = new TemperatureCollector({ sysRoot: root, cacheMs: 1500, now: () => now });
  assert.equal(await collector.read(), 40);
  await writeFile(join(root, "class/hwmon/hwmon0/temp1_input"), "41000\n");
  now = 1000;
  assert.equal(await collector.read(), 40, "cached");
  now = 1600;
  assert.equal(await collector.read(), 41, "re-read after the window");
});

test("live: null or a plausible temperature", async () => {
  const t = await readCpuTemperature();
  assert.ok(t === null || (t > -40 && t < 150), String(t));
});
