import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { GpuCollector, NVIDIA_SMI_ARGS, parseNvidiaSmiCsv, readAmdGpus, type GpuReading } from "../../src/collectors/gpu.js";
import { commandOnPath } from "../../src/collectors/run-bounded.js";
import { SensorReader } from "../../src/collectors/sensor-reader.js";
import { makeFifos, releaseFifos } from "../helpers/fifo.js";

const MIB = 1024 * 1024;
const FIXTURES = fileURLToPath(new URL("../fixtures/gpu/", import.meta.url));

type After = { after: (fn: () => Promise<void> | void) => void };

async function tempDir(t: After, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A scratch /sys: a copy of a fixture (or empty) plus extra files. */
async function scratchSys(t: After, from?: string, files: Record<string, string> = {}): Promise<string> {
  const root = await tempDir(t, "socktop-gpu-sys-");
  if (from !== undefined) cpSync(join(FIXTURES, from), root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

interface FakeSmi {
  command: string;
  dir: string;
  /** How many times the script has run. */
  runs: () => Promise<number>;
  /** The argument line of the last run. */
  lastArgs: () => Promise<string>;
}

/**
 * A stand-in nvidia-smi: a shell script that records each run (a line in
 * `runs`, its arguments in `args`) and then runs `body`, where $DIR is its directory.
 */
async function fakeSmi(t: After, body: string): Promise<FakeSmi> {
  const dir = await tempDir(t, "socktop-smi-");
  const command = join(dir, "nvidia-smi");
  await writeFile(command, `#!/bin/sh\nDIR='${dir}'\necho run >> "$DIR/runs"\necho "$*" > "$DIR/args"\n${body}\n`);
  await chmod(command, 0o755);
  const lines = async (file: string): Promise<string[]> =>
    existsSync(join(dir, file)) ? (await readFile(join(dir, file), "utf8")).split("\n").filter(Boolean) : [];
  return {
    command,
    dir,
    runs: async () => (await lines("runs")).length,
    lastArgs: async () => (await lines("args")).at(-1) ?? "",
  };
}

const TWO_GPUS_CSV = [
  "NVIDIA GeForce RTX 3080, 56, 10240, 1024, 65",
  "Tesla K80, [N/A], 11441, [N/A], [Not Supported]",
].join("\n");

/** A shell command printing `text` line by line (the lines hold no single quotes). */
const printLines = (text: string): string => `printf '%s\\n' ${text.split("\n").map((l) => `'${l}'`).join(" ")}`;

const TWO_GPUS: GpuReading[] = [
  { name: "NVIDIA GeForce RTX 3080", vendor: "nvidia", utilization: 56, memTotal: 10240 * MIB, memUsed: 1024 * MIB, tempC: 65 },
  { name: "Tesla K80", vendor: "nvidia", utilization: null, memTotal: 11441 * MIB, memUsed: null, tempC: null },
];

const AMD_GPUS: GpuReading[] = [
  { name: "amdgpu card0", vendor: "amd", utilization: 3, memTotal: 536870912, memUsed: 112459776, tempC: 41 },
  { name: "AMD Radeon RX 6600", vendor: "amd", utilization: 37, memTotal: 8573157376, memUsed: 1073741824, tempC: 51 },
];

const DRIVER_ERROR =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";

/** Whether a process id is gone (ESRCH), polling briefly while it is being reaped. */
async function processGone(pid: number, withinMs = 1000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") return true;
      throw error;
    }
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

const activeTimeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

// ---------------------------------------------------------------- parsing

test("parseNvidiaSmiCsv: MiB to bytes, bracketed placeholders to null, several GPUs", () => {
  assert.deepEqual(parseNvidiaSmiCsv(`${TWO_GPUS_CSV}\n`), TWO_GPUS);
  assert.deepEqual(parseNvidiaSmiCsv("A100, 7, 40960, 3, 33\r\n\r\nL4, [Unknown Error], 23034, 0, 41.5\r\n"), [
    { name: "A100", vendor: "nvidia", utilization: 7, memTotal: 40960 * MIB, memUsed: 3 * MIB, tempC: 33 },
    { name: "L4", vendor: "nvidia", utilization: null, memTotal: 23034 * MIB, memUsed: 0, tempC: 41.5 },
  ]);
});

test("parseNvidiaSmiCsv: odd names, non-CSV lines and garbage", () => {
  assert.deepEqual(parseNvidiaSmiCsv("Quadro RTX 4000, Mobile, 1, 8192, 100, 50\n").map((g) => g.name), ["Quadro RTX 4000, Mobile"]);
  assert.deepEqual(parseNvidiaSmiCsv(" , 1, 2, 3, 4\n[N/A], 1, 2, 3, 4\n").map((g) => g.name), ["nvidia-0", "nvidia-1"]);
  assert.deepEqual(parseNvidiaSmiCsv(""), []);
  assert.deepEqual(parseNvidiaSmiCsv("garbage\n"), []);
  assert.deepEqual(parseNvidiaSmiCsv(`${DRIVER_ERROR}\n`), [], "the driver error is not a GPU");
  assert.deepEqual(parseNvidiaSmiCsv("Unable to determine the device handle for GPU 0000:02:00.0: Unknown Error\n"), []);
  assert.deepEqual(parseNvidiaSmiCsv("name, utilization.gpu, memory.total, memory.used, temperature.gpu\n"), [], "a header line");
  assert.deepEqual(parseNvidiaSmiCsv("GPU, 1O, 2, 3, 4\nGPU, 1, 2, 3\n"), [], "a non-number, too few fields");
});

// ---------------------------------------------------------------- NVIDIA through nvidia-smi

test("nvidia-smi with two GPUs: the documented query, parsed readings", async (t) => {
  const smi = await fakeSmi(t, printLines(TWO_GPUS_CSV));
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command });
  assert.deepEqual(await gpu.read(), TWO_GPUS);
  assert.equal(await smi.lastArgs(), NVIDIA_SMI_ARGS.join(" "));
  assert.equal(
    await smi.lastArgs(),
    "--query-gpu=name,utilization.gpu,memory.total,memory.used,temperature.gpu --format=csv,noheader,nounits",
  );
  assert.deepEqual(gpu.probeState, { nvidia: "present", amd: "absent" });
});

test("readings are cached for cacheMs (default 1500) and refreshed after", async (t) => {
  const smi = await fakeSmi(t, 'echo "GPU A, $(wc -l < "$DIR/runs"), 2048, 512, 40"');
  let now = 0;
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command, now: () => now });
  assert.equal((await gpu.read())?.[0]?.utilization, 1);
  now = 1499;
  assert.equal((await gpu.read())?.[0]?.utilization, 1, "cached");
  assert.equal(await smi.runs(), 1);
  now = 1500;
  assert.equal((await gpu.read())?.[0]?.utilization, 2, "refreshed");
  assert.equal(await smi.runs(), 2);
});

test("concurrent first reads share one probe", async (t) => {
  const smi = await fakeSmi(t, 'sleep 0.1; echo "GPU A, 1, 2, 3, 4"');
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command });
  const results = await Promise.all([gpu.read(), gpu.read(), gpu.read()]);
  assert.ok(results.every((r) => r?.length === 1));
  assert.equal(await smi.runs(), 1);
});

test("the default command is `nvidia-smi` looked up on PATH", async (t) => {
  const smi = await fakeSmi(t, 'echo "Path GPU, 5, 100, 50, 30"');
  const saved = process.env.PATH;
  t.after(() => {
    process.env.PATH = saved;
  });
  process.env.PATH = `${smi.dir}${delimiter}${saved ?? ""}`;
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t) });
  assert.equal((await gpu.read())?.[0]?.name, "Path GPU");
  assert.equal(await smi.runs(), 1);
});

test("commandOnPath: a bare name is looked for in every PATH directory, a path as it is", async (t) => {
  const smi = await fakeSmi(t, 'echo "GPU, 1, 2, 3, 4"');
  const empty = await tempDir(t, "socktop-empty-path-");
  assert.equal(commandOnPath("nvidia-smi", `${empty}${delimiter}${smi.dir}`), true);
  assert.equal(commandOnPath("nvidia-smi", empty), false, "not in the only PATH directory");
  assert.equal(commandOnPath(smi.command, empty), true, "a path is not searched for");
  assert.equal(commandOnPath(join(empty, "nvidia-smi"), smi.dir), false);
  const cwd = process.cwd();
  t.after(() => process.chdir(cwd));
  process.chdir(smi.dir);
  assert.equal(commandOnPath("nvidia-smi", `${empty}${delimiter}`), true, "an empty PATH entry is the current directory");
});

test("no nvidia-smi on PATH: absent without running anything", async (t) => {
  const empty = await tempDir(t, "socktop-empty-path-");
  const saved = process.env.PATH;
  t.after(() => {
    process.env.PATH = saved;
  });
  process.env.PATH = empty;
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), log: (l) => lines.push(l) });
  assert.equal(await gpu.read(), null);
  assert.deepEqual(gpu.probeState, { nvidia: "absent", amd: "absent" });
  // Known absent: answered at once, not through a promise (a metrics request then needs no turn of the event loop).
  assert.equal(gpu.read(), null);
  assert.deepEqual(lines, []);
});

test("no nvidia-smi (ENOENT): null, silent, and never probed again", async (t) => {
  const dir = await tempDir(t, "socktop-nosmi-");
  const command = join(dir, "nvidia-smi");
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: command, cacheMs: 0, log: (l) => lines.push(l) });
  assert.equal(await gpu.read(), null);
  assert.deepEqual(gpu.probeState, { nvidia: "absent", amd: "absent" });
  // The tool appears afterwards: a collector that remembered the negative does not run it.
  await writeFile(command, `#!/bin/sh\necho run >> '${dir}/runs'\necho "Late GPU, 1, 2, 3, 4"\n`);
  await chmod(command, 0o755);
  assert.equal(await gpu.read(), null);
  assert.equal(await gpu.read(), null);
  assert.equal(existsSync(join(dir, "runs")), false, "nvidia-smi was run after the negative probe");
  assert.deepEqual(lines, []);
  // The same tool is found by a fresh collector, so the test above could have failed.
  assert.equal((await new GpuCollector({ sysRoot: "/nonexistent", nvidiaSmi: command }).read())?.[0]?.name, "Late GPU");
});

test("nvidia-smi failing at probe time (driver error, exit 1): null, one log line, not run again", async (t) => {
  const smi = await fakeSmi(t, `echo "${DRIVER_ERROR}"\nexit 1`);
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command, cacheMs: 0, log: (l) => lines.push(l) });
  assert.equal(await gpu.read(), null);
  assert.equal(await gpu.read(), null);
  assert.equal(await gpu.read(), null);
  assert.equal(await smi.runs(), 1);
  assert.deepEqual(lines, [`gpu: ${smi.command} failed (exit status 1: ${DRIVER_ERROR}); NVIDIA GPU metrics disabled`]);
  assert.equal(gpu.probeState.nvidia, "absent");
});

test("nvidia-smi failing on stderr with another status: the reason names both", async (t) => {
  const smi = await fakeSmi(t, 'echo "No devices were found" >&2\nexit 6');
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command, log: (l) => lines.push(l) });
  assert.equal(await gpu.read(), null);
  assert.deepEqual(lines, [`gpu: ${smi.command} failed (exit status 6: No devices were found); NVIDIA GPU metrics disabled`]);
});

test("nvidia-smi answering with no GPU lines (exit 0): absent, silently, not run again", async (t) => {
  const smi = await fakeSmi(t, "echo");
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command, cacheMs: 0, log: (l) => lines.push(l) });
  assert.equal(await gpu.read(), null);
  assert.equal(await gpu.read(), null);
  assert.equal(await smi.runs(), 1);
  assert.deepEqual(lines, []);
});

test("a non-zero exit that still lists the healthy GPUs keeps them", async (t) => {
  const smi = await fakeSmi(
    t,
    'echo "Unable to determine the device handle for GPU 0000:02:00.0: Unknown Error"\necho "GPU Healthy, 12, 4096, 100, 44"\nexit 15',
  );
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command, log: (l) => lines.push(l) });
  assert.deepEqual((await gpu.read())?.map((g) => g.name), ["GPU Healthy"]);
  assert.deepEqual(lines, []);
  assert.equal(gpu.probeState.nvidia, "present");
});

test("a hanging nvidia-smi: read() resolves at about timeoutMs, one log line, never spawned again", async (t) => {
  // The script keeps `sleep 30` as its own child holding the output pipes, as
  // a wrapper script would: the read must not wait for the pipes to close.
  const smi = await fakeSmi(t, 'sleep 30 &\necho $! > "$DIR/grandchild"\nwait');
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command, timeoutMs: 300, cacheMs: 0, log: (l) => lines.push(l) });
  const started = performance.now();
  assert.equal(await gpu.read(), null);
  const elapsed = performance.now() - started;
  // Not ours to reap after the kill (it was the script's child): end it here,
  // while its pid file still exists (the temp directory goes first in t.after).
  const grandchild = Number(await readFile(join(smi.dir, "grandchild"), "utf8"));
  assert.ok(grandchild > 0);
  process.kill(grandchild, "SIGKILL");
  assert.ok(elapsed >= 280 && elapsed < 1200, `resolved after ${Math.round(elapsed)} ms`);
  assert.deepEqual(lines, [`gpu: ${smi.command} did not answer within 300 ms; NVIDIA GPU metrics disabled`]);

  const again = performance.now();
  assert.equal(await gpu.read(), null);
  assert.equal(await gpu.read(), null);
  assert.ok(performance.now() - again < 100, "later reads return at once");
  assert.equal(await smi.runs(), 1);
  assert.equal(lines.length, 1);
  assert.deepEqual(gpu.probeState, { nvidia: "absent", amd: "absent" });
});

test("a hanging nvidia-smi is killed with SIGKILL; the AMD GPUs are still reported", async (t) => {
  // `exec` makes the sleep the child itself, so its pid is the one killed; it
  // ignores SIGTERM to show that the kill is SIGKILL.
  const smi = await fakeSmi(t, "echo $$ > \"$DIR/pid\"\ntrap '' TERM\nexec sleep 30");
  const lines: string[] = [];
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t, "amd"), nvidiaSmi: smi.command, timeoutMs: 300, cacheMs: 0, log: (l) => lines.push(l) });
  assert.deepEqual(await gpu.read(), AMD_GPUS);
  const pid = Number(await readFile(join(smi.dir, "pid"), "utf8"));
  assert.ok(await processGone(pid), `nvidia-smi (pid ${pid}) is still running`);
  assert.deepEqual(await gpu.read(), AMD_GPUS);
  assert.equal(await smi.runs(), 1);
  assert.equal(lines.length, 1);
});

test("worked once, then fails: that read leaves NVIDIA out, logs once per outage, and recovers", async (t) => {
  const smi = await fakeSmi(t, `if [ -e "$DIR/fail" ]; then echo "GPU is lost" >&2; exit 3; fi\n${printLines(TWO_GPUS_CSV)}`);
  const lines: string[] = [];
  const withAmd = new GpuCollector({ sysRoot: await scratchSys(t, "amd"), nvidiaSmi: smi.command, cacheMs: 0, log: (l) => lines.push(l) });
  const nvidiaOnly = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command, cacheMs: 0, log: (l) => lines.push(l) });
  assert.deepEqual(await withAmd.read(), [...TWO_GPUS, ...AMD_GPUS], "NVIDIA first, then AMD");
  assert.deepEqual(await nvidiaOnly.read(), TWO_GPUS);

  await writeFile(join(smi.dir, "fail"), "");
  assert.deepEqual(await withAmd.read(), AMD_GPUS, "only the AMD part");
  assert.equal(await nvidiaOnly.read(), null, "nothing left: null");
  assert.deepEqual(await withAmd.read(), AMD_GPUS);
  assert.equal(await nvidiaOnly.read(), null);
  assert.deepEqual(lines, [
    `gpu: ${smi.command} failed (exit status 3: GPU is lost); NVIDIA GPUs left out until it answers again`,
    `gpu: ${smi.command} failed (exit status 3: GPU is lost); NVIDIA GPUs left out until it answers again`,
  ]);

  await rm(join(smi.dir, "fail"));
  assert.deepEqual(await withAmd.read(), [...TWO_GPUS, ...AMD_GPUS], "not disabled: back on the next read");
  assert.deepEqual(await nvidiaOnly.read(), TWO_GPUS);
  assert.equal(await smi.runs(), 8);
  assert.equal(withAmd.probeState.nvidia, "present");

  await writeFile(join(smi.dir, "fail"), "");
  await withAmd.read();
  assert.equal(lines.length, 3, "a new outage is logged again");
});

test("the timeout timer is cleared when nvidia-smi exits, and nothing runs between reads", async (t) => {
  const smi = await fakeSmi(t, 'echo "GPU A, 1, 2, 3, 4"');
  const failing = await fakeSmi(t, "exit 2");
  const baseline = activeTimeouts();
  const gpu = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: smi.command, timeoutMs: 60_000, cacheMs: 30 });
  const other = new GpuCollector({ sysRoot: await scratchSys(t), nvidiaSmi: failing.command, timeoutMs: 60_000 });
  assert.equal(activeTimeouts(), baseline, "constructing sets no timer");
  await sleep(60);
  assert.equal(await smi.runs(), 0, "nothing probed before the first read");

  assert.equal((await gpu.read())?.length, 1);
  assert.equal(await other.read(), null);
  assert.equal(activeTimeouts(), baseline, "a 60 s kill timer was left behind");
  await sleep(120);
  assert.equal(await smi.runs(), 1, "no background refresh after the cache expired");
  assert.equal(await failing.runs(), 1);
});

test("disabled: null, nothing probed, no sysfs read", async (t) => {
  const smi = await fakeSmi(t, 'echo "GPU, 1, 1, 1, 1"');
  const gpu = new GpuCollector({ enabled: false, sysRoot: await scratchSys(t, "amd"), nvidiaSmi: smi.command });
  assert.equal(await gpu.read(), null);
  assert.equal(await gpu.read(), null);
  assert.equal(await smi.runs(), 0);
  assert.deepEqual(gpu.probeState, { nvidia: "unknown", amd: "unknown" });
});

// ---------------------------------------------------------------- AMD through sysfs

test("AMD: APU and dGPU from sysfs; connectors, render nodes and version skipped", async () => {
  assert.deepEqual(await readAmdGpus(join(FIXTURES, "amd")), AMD_GPUS);
});

test("AMD through GpuCollector: both cards, nvidia-smi absent", async (t) => {
  const gpu = new GpuCollector({ sysRoot: join(FIXTURES, "amd"), nvidiaSmi: join(await tempDir(t, "socktop-nosmi-"), "nvidia-smi") });
  assert.deepEqual(await gpu.read(), AMD_GPUS);
  assert.deepEqual(gpu.probeState, { nvidia: "absent", amd: "present" });
});

test("AMD values are re-read after cacheMs", async (t) => {
  const root = await scratchSys(t, "amd");
  let now = 0;
  const gpu = new GpuCollector({ sysRoot: root, nvidiaSmi: "/nonexistent/nvidia-smi", cacheMs: 1500, now: () => now });
  assert.equal((await gpu.read())?.[1]?.utilization, 37);
  await writeFile(join(root, "class/drm/card1/device/gpu_busy_percent"), "88\n");
  await writeFile(join(root, "class/drm/card1/device/hwmon/hwmon5/temp1_input"), "70000\n");
  now = 1000;
  assert.equal((await gpu.read())?.[1]?.utilization, 37);
  now = 1500;
  const [, dgpu] = (await gpu.read()) ?? [];
  assert.equal(dgpu?.utilization, 88);
  assert.equal(dgpu?.tempC, 70);
});

test("AMD dGPU in runtime suspend: reported idle without touching busy/hwmon; Intel iGPU skipped", async (t) => {
  const root = await scratchSys(t, "amd-suspended");
  // The fixture's busy (99) and temperature (88) files would show up if they were read.
  assert.deepEqual(await readAmdGpus(root), [
    { name: "amdgpu card1", vendor: "amd", utilization: 0, memTotal: 4278190080, memUsed: 13864960, tempC: null },
  ]);
  await writeFile(join(root, "class/drm/card1/device/power/runtime_status"), "active\n");
  assert.deepEqual(await readAmdGpus(root), [
    { name: "amdgpu card1", vendor: "amd", utilization: 99, memTotal: 4278190080, memUsed: 13864960, tempC: 88 },
  ]);
});

test("AMD dGPU whose firmware does not answer: busy and temperature null after one timeout, the other card and VRAM still read", async (t) => {
  const root = await scratchSys(t, "amd");
  const busy = join(root, "class/drm/card1/device/gpu_busy_percent");
  await rm(busy);
  makeFifos(busy);
  try {
    const t0 = performance.now();
    const gpus = await readAmdGpus(root, new SensorReader({ timeoutMs: 200 }));
    const took = performance.now() - t0;
    assert.deepEqual(gpus, [AMD_GPUS[0], { ...AMD_GPUS[1], utilization: null, tempC: null }]);
    assert.ok(took < 1500, `one timeout, not one per attribute (${took.toFixed(0)} ms)`);
  } finally {
    releaseFifos([busy]);
  }
});

test("no AMD card (Intel graphics only): null, and the negative is remembered", async (t) => {
  const root = await scratchSys(t, "intel-only");
  assert.deepEqual(await readAmdGpus(root), []);
  const gpu = new GpuCollector({ sysRoot: root, nvidiaSmi: "/nonexistent/nvidia-smi", cacheMs: 0 });
  assert.equal(await gpu.read(), null);
  cpSync(join(FIXTURES, "amd/class/drm/card1"), join(root, "class/drm/card1"), { recursive: true });
  assert.equal((await readAmdGpus(root)).length, 1, "a card is there now");
  assert.equal(await gpu.read(), null, "but the collector does not look again");
  assert.deepEqual(gpu.probeState, { nvidia: "absent", amd: "absent" });
});

test("NVIDIA present, no AMD card: sysfs is not scanned again on later reads", async (t) => {
  const root = await scratchSys(t, "intel-only");
  const smi = await fakeSmi(t, 'echo "GPU A, 1, 2, 3, 4"');
  const gpu = new GpuCollector({ sysRoot: root, nvidiaSmi: smi.command, cacheMs: 0 });
  assert.equal((await gpu.read())?.length, 1);
  cpSync(join(FIXTURES, "amd/class/drm/card1"), join(root, "class/drm/card1"), { recursive: true });
  assert.deepEqual((await gpu.read())?.map((g) => g.vendor), ["nvidia"]);
  assert.equal(await smi.runs(), 2, "NVIDIA is still read each time");
  assert.deepEqual(gpu.probeState, { nvidia: "present", amd: "absent" });
});

test("AMD: unreadable or garbage attributes become null fields, the card is still listed", async (t) => {
  const root = await scratchSys(t, "amd");
  const dev = join(root, "class/drm/card1/device");
  await rm(join(dev, "gpu_busy_percent"));
  await mkdir(join(dev, "gpu_busy_percent")); // EISDIR, like EBUSY/EPERM from a GPU powering up
  await writeFile(join(dev, "mem_info_vram_used"), "not a number\n");
  await rm(join(dev, "mem_info_vram_total"));
  await writeFile(join(dev, "hwmon/hwmon5/temp1_input"), "-273000\n");
  await writeFile(join(dev, "product_name"), "\n");
  await writeFile(join(dev, "vendor"), "0x1D17\n");
  const [, card1] = await readAmdGpus(root);
  assert.deepEqual(card1, { name: "amdgpu card1", vendor: "0x1d17", utilization: null, memTotal: null, memUsed: null, tempC: null });
  await rm(join(dev, "vendor"));
  assert.equal((await readAmdGpus(root))[1]?.vendor, "amd", "no vendor file: gpu_busy_percent is amdgpu's");
});

test("AMD with real sysfs symlinks; cards in numeric order (card2 before card10)", async (t) => {
  const root = await scratchSys(t);
  const pci = (bus: string): string => `devices/pci0000:00/0000:00:01.1/${bus}`;
  const files: Record<string, string> = {};
  for (const [card, bus, busy] of [["card10", "0000:0a:00.0", "10"], ["card2", "0000:03:00.0", "2"]] as const) {
    files[`${pci(bus)}/vendor`] = "0x1002\n";
    files[`${pci(bus)}/gpu_busy_percent`] = `${busy}\n`;
    files[`${pci(bus)}/hwmon/hwmon11/temp1_input`] = "not yet\n";
    files[`${pci(bus)}/hwmon/hwmon9/temp1_input`] = `${busy}000\n`;
    files[`${pci(bus)}/drm/${card}/dev`] = "226:0\n";
  }
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  await mkdir(join(root, "class/drm"), { recursive: true });
  for (const [card, bus] of [["card10", "0000:0a:00.0"], ["card2", "0000:03:00.0"]] as const) {
    await symlink(`../../../${bus}`, join(root, pci(bus), "drm", card, "device"));
    await symlink(`../../${pci(bus)}/drm/${card}`, join(root, "class/drm", card));
    await symlink(`../../${pci(bus)}/drm/${card}/${card}-DP-1`, join(root, "class/drm", `${card}-DP-1`));
  }
  const gpus = await readAmdGpus(root);
  assert.deepEqual(gpus.map((g) => [g.name, g.utilization, g.tempC]), [
    ["amdgpu card2", 2, 2],
    ["amdgpu card10", 10, 10],
  ]);
});

// ---------------------------------------------------------------- this machine

test("live: the GPUs of this machine (none here) and no crash either way", async () => {
  const onPath = (process.env.PATH ?? "").split(delimiter).some((d) => d !== "" && existsSync(join(d, "nvidia-smi")));
  let amdCards = 0;
  try {
    amdCards = readdirSync("/sys/class/drm").filter((c) => /^card\d+$/.test(c) && existsSync(`/sys/class/drm/${c}/device/gpu_busy_percent`)).length;
  } catch {
    // no DRM at all
  }
  const gpus = await new GpuCollector({ timeoutMs: 1500 }).read();
  if (!onPath && amdCards === 0) {
    assert.equal(gpus, null);
  } else {
    for (const g of gpus ?? []) {
      assert.equal(typeof g.name, "string");
      assert.ok(g.utilization === null || (g.utilization >= 0 && g.utilization <= 100), JSON.stringify(g));
    }
  }
});
