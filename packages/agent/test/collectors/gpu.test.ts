import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GpuCollector, parseNvidiaSmiCsv, readAmdGpus } from "../../src/collectors/gpu.js";

const MIB = 1024 * 1024;

/** A stand-in nvidia-smi that appends to a counter file each time it runs, then runs `body`. */
async function fakeSmi(body: string): Promise<{ command: string; runs: () => Promise<number> }> {
  const dir = await mkdtemp(join(tmpdir(), "socktop-smi-"));
  const counter = join(dir, "runs");
  const command = join(dir, "nvidia-smi");
  await writeFile(counter, "");
  await writeFile(command, `#!/bin/sh\necho run >> "${counter}"\n${body}\n`);
  await chmod(command, 0o755);
  return { command, runs: async () => (await readFile(counter, "utf8")).split("\n").filter(Boolean).length };
}

test("parseNvidiaSmiCsv: units, N/A fields, several GPUs", () => {
  const gpus = parseNvidiaSmiCsv("NVIDIA GeForce RTX 3080, 56, 10240, 1024, 65\nTesla T4, [N/A], 15360, [Not Supported], [N/A]\n\n");
  assert.deepEqual(gpus, [
    { name: "NVIDIA GeForce RTX 3080", vendor: "nvidia", utilization: 56, memTotal: 10240 * MIB, memUsed: 1024 * MIB, tempC: 65 },
    { name: "Tesla T4", vendor: "nvidia", utilization: null, memTotal: 15360 * MIB, memUsed: null, tempC: null },
  ]);
  assert.deepEqual(parseNvidiaSmiCsv("garbage\n"), []);
});

test("a working nvidia-smi is read, and read again after the cache window", async () => {
  const smi = await fakeSmi('echo "GPU A, 10, 2048, 512, 40"');
  let now = 0;
  const gpu = new GpuCollector({ sysRoot: "/nonexistent", nvidiaSmi: smi.command, cacheMs: 1500, now: () => now });
  const first = await gpu.read();
  assert.equal(first?.[0]?.name, "GPU A");
  assert.equal(first?.[0]?.memUsed, 512 * MIB);
  await gpu.read();
  assert.equal(await smi.runs(), 1, "cached");
  now = 2000;
  await gpu.read();
  assert.equal(await smi.runs(), 2);
});

test("no nvidia-smi and no AMD card: null, and never probed again", async () => {
  let now = 0;
  const gpu = new GpuCollector({ sysRoot: "/nonexistent", nvidiaSmi: "/nonexistent/nvidia-smi", cacheMs: 0, now: () => (now += 10) });
  assert.equal(await gpu.read(), null);
  // "never again" is proved by counting the runs of a tool that fails at probe time
  const failing = await fakeSmi('echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver" >&2; exit 9');
  const lines: string[] = [];
  const withDriverError = new GpuCollector({ sysRoot: "/nonexistent", nvidiaSmi: failing.command, cacheMs: 0, log: (l) => lines.push(l) });
  assert.equal(await withDriverError.read(), null);
  assert.equal(await withDriverError.read(), null);
  assert.equal(await failing.runs(), 1, "probed once");
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? "", /couldn't communicate with the NVIDIA driver/);
});

test("a hanging nvidia-smi is killed at the timeout, logged once, and disabled", async () => {
  const smi = await fakeSmi("sleep 30");
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: "/nonexistent", nvidiaSmi: smi.command, timeoutMs: 300, cacheMs: 0, log: (l) => lines.push(l) });
  const started = Date.now();
  assert.equal(await gpu.read(), null);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1500, `returned after ${elapsed} ms`);
  assert.equal(await gpu.read(), null);
  assert.equal(await smi.runs(), 1);
  assert.deepEqual(lines, [`gpu: ${smi.command} did not answer within 300 ms; NVIDIA GPU metrics disabled`]);
});

test("disabled: null without probing", async () => {
  const smi = await fakeSmi('echo "GPU, 1, 1, 1, 1"');
  const gpu = new GpuCollector({ enabled: false, nvidiaSmi: smi.command });
  assert.equal(await gpu.read(), null);
  assert.equal(await smi.runs(), 0);
});

async function amdTree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "socktop-amd-"));
  const files: Record<string, string> = {
    "class/drm/card0/device/vendor": "0x1002\n",
    "class/drm/card0/device/gpu_busy_percent": "37\n",
    "class/drm/card0/device/mem_info_vram_total": "8573157376\n",
    "class/drm/card0/device/mem_info_vram_used": "1073741824\n",
    "class/drm/card0/device/hwmon/hwmon3/temp1_input": "51000\n",
    "class/drm/card0/device/product_name": "Radeon RX 6600\n",
    "class/drm/card0-DP-1/status": "connected\n",
    "class/drm/card1/device/vendor": "0x8086\n", // an Intel iGPU without amdgpu files
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

test("AMD GPUs from sysfs; connectors and non-amdgpu cards ignored", async () => {
  const root = await amdTree();
  assert.deepEqual(await readAmdGpus(root), [
    { name: "Radeon RX 6600", vendor: "amd", utilization: 37, memTotal: 8573157376, memUsed: 1073741824, tempC: 51 },
  ]);
  const gpu = new GpuCollector({ sysRoot: root, nvidiaSmi: "/nonexistent/nvidia-smi" });
  assert.equal((await gpu.read())?.length, 1);
});

test("live: this machine has no GPU", async () => {
  const gpu = new GpuCollector();
  assert.equal(await gpu.read(), null);
});
