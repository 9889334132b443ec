/** The Prometheus exposition: families, escaping, formats, and GET /metrics on a live agent. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { PROTOCOL_VERSION, type DiskInfo, type ProcessEntry } from "@socktop/protocol";
import { parseCommand, type AgentConfig } from "../src/config.js";
import {
  PrometheusExporter,
  filesystemRows,
  negotiateFormat,
  prometheusEnabled,
  renderExposition,
  type ScrapeData,
  type ScrapeSources,
} from "../src/prometheus.js";
import type { MetricsSnapshot } from "../src/sources.js";
import { CollectorRegistry } from "../src/collectors/collector.js";
import { silentLogger } from "../src/log.js";
import { AGENT_VERSION } from "../src/version.js";
import { TestClient, startTestAgent, wsUrl } from "./helpers/agent.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const PROMTOOL = "/usr/bin/promtool";

// ---------------------------------------------------------------- fixtures

function snapshot(overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    cpuTotal: 12.5,
    cpuPerCore: [10, 15],
    memTotal: 8_000_000_000,
    memUsed: 2_000_000_000,
    swapTotal: 1_000_000_000,
    swapUsed: 0,
    hostname: "box",
    cpuTempC: 45.5,
    networks: [
      { name: "lo", received: 10, transmitted: 10 },
      { name: 'eth"0\\x', received: 123, transmitted: 456 },
      { name: "we\nird", received: 7, transmitted: 8 },
    ],
    gpus: [{ name: "Radeon RX 7600", vendor: "amd", utilization: 50, memUsed: 1_000_000, memTotal: 8_000_000, tempC: 60 }],
    processCount: 321,
    ...overrides,
  } as MetricsSnapshot;
}

const DISKS: DiskInfo[] = [
  // An unmounted whole disk: a summary row (sums of its partitions) with the disk's temperature.
  { name: "nvme0n1", total: 300, available: 100, temperature: 41, is_partition: false },
  { name: "nvme0n1p1", total: 100, available: 50, temperature: null, is_partition: true },
  { name: "nvme0n1p2", total: 200, available: 50, temperature: null, is_partition: true },
  { name: 'dm "crypt"\n1', total: 50, available: 5, temperature: null, is_partition: false },
];

const PROCESSES: ProcessEntry[] = [
  { pid: 1, name: "init", cpu_usage: 0.5, mem_bytes: 4096 },
  { pid: 42, name: 'we"ird\nname\\', cpu_usage: 30, mem_bytes: 1024 },
  { pid: 7, name: "busy", cpu_usage: 30, mem_bytes: 2048 },
  { pid: 9, name: "idle", cpu_usage: 0, mem_bytes: 1 },
];

function data(overrides: Partial<ScrapeData> = {}): ScrapeData {
  return {
    metrics: snapshot(),
    disks: DISKS,
    processes: PROCESSES,
    load: { load_1: 0.5, load_5: 1.25, load_15: 2, runnable: 3, tasks: 700, uptime_seconds: 1000, boot_time: 1_764_000_000 },
    diskIo: [
      { name: "sda", is_partition: false, read_bytes_per_sec: 1, write_bytes_per_sec: 2, reads_per_sec: 3, writes_per_sec: 4, busy_percent: 5, read_bytes: 4096, write_bytes: 8192, reads: 10, writes: 20 },
    ],
    cgroups: {
      available: true,
      hierarchy: "unified",
      truncated: false,
      cached_at: 1_764_000_000,
      groups: [
        { path: "/system.slice/nginx.service", name: "nginx.service", kind: "service", runtime: null, container_id: null, cpu_usage: 5, cpu_usec: 2_500_000, mem_bytes: 1_000_000, mem_limit_bytes: null, pids: [10] },
        { path: "/init.scope", name: "init.scope", kind: "scope", runtime: null, container_id: null, cpu_usage: 0, cpu_usec: 1, mem_bytes: null, mem_limit_bytes: null, pids: [1] },
      ],
    },
    collectors: [
      { name: "memory", success: true, durationSeconds: 0.0001 },
      { name: "disks", success: true, durationSeconds: 0.002 },
    ],
    self: { cpuSeconds: 1.25, residentBytes: 50_000_000, startTimeSeconds: 1_700_000_000 },
    ...overrides,
  };
}

/** Fake caches that count reads. */
function fakeSources(fail: Partial<Record<"metrics" | "disks" | "processes", boolean>> = {}) {
  const reads = { metrics: 0, disks: 0, processes: 0 };
  const registry = new CollectorRegistry({ log: silentLogger });
  const source = <T>(key: keyof typeof reads, value: T) => ({
    get: (): Promise<T> => {
      reads[key]++;
      return registry.require({
        name: key,
        collect: async () => {
          if (fail[key]) throw new Error(`${key} unavailable`);
          return value;
        },
      });
    },
  });
  const sources: ScrapeSources = {
    metrics: source("metrics", snapshot()),
    disks: source("disks", DISKS),
    processes: source("processes", PROCESSES),
    collectorStatuses: () => registry.statuses(),
  };
  return { sources, reads };
}

// ---------------------------------------------------------------- a parser for the text formats

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

/** Parses the text format and OpenMetrics, keeping the escaping rules honest by decoding them. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const line of text.split("\n")) {
    if (line === "" || line === "# EOF") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === "HELP") family(name).help = unescape(rest);
      else family(name).type = rest;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `unparsable line: ${JSON.stringify(line)}`);
    const [, name, labelText = "", value] = sample as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let consumed = 0;
    for (const m of labelText.matchAll(labelPattern)) {
      labels[m[1] as string] = unescape(m[2] as string);
      consumed += m[0].length;
    }
    assert.equal(consumed, labelText.length, `label set not fully parsed: ${labelText}`);
    // OpenMetrics puts counter samples (name_total) under the family without the suffix.
    const owner = families.has(name) ? name : name.replace(/_total$/, "");
    family(owner).samples.push({ name, labels, value: Number(value) });
  }
  return families;
}

async function scrapeText(d: ScrapeData, top = 5): Promise<Map<string, Family>> {
  return parseExposition((await renderExposition(d, top, "text")).body);
}

// ---------------------------------------------------------------- HTTP without keep-alive or client timers

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, options: { headers?: Record<string, string>; method?: string; ca?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith("https:");
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: options.method ?? "GET",
        headers: { Connection: "close", ...options.headers },
        agent: false,
        ...(secure ? { ca: options.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function prometheusConfig(prometheus: Partial<AgentConfig["prometheus"]> = {}): Partial<AgentConfig> {
  return { prometheus: { enabled: true, port: null, topProcesses: 0, ...prometheus } };
}

function promtool(args: string[], stdin: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
    child.stdin?.end(stdin);
  });
}

// ---------------------------------------------------------------- the exposition

/** The metric table of docs/prometheus.md: name → type and label names. */
function documentedFamilies(): Map<string, { type: string; labels: string[] }> {
  const doc = readFileSync(`${repo}docs/prometheus.md`, "utf8");
  const rows = new Map<string, { type: string; labels: string[] }>();
  for (const m of doc.matchAll(/^\| `(socktop_[a-z0-9_]+)` \| (\w+) \|([^|]*)\|/gm)) {
    const labels = [...(m[3] as string).matchAll(/`([a-z_]+)`/g)].map((l) => l[1] as string);
    rows.set(m[1] as string, { type: m[2] as string, labels });
  }
  return rows;
}

test("every family has HELP, TYPE, a socktop_ name with its unit, and matches the table in docs/prometheus.md", async () => {
  const families = await scrapeText(data());
  const documented = documentedFamilies();
  assert.deepEqual([...families.keys()].sort(), [...documented.keys()].sort(), "a full scrape emits exactly the documented families");
  for (const [name, family] of families) {
    assert.match(name, /^socktop_[a-z0-9_]+$/);
    assert.ok(family.help && family.help.length > 10, `${name} has HELP`);
    const doc = documented.get(name)!;
    assert.equal(family.type, doc.type, `${name} type`);
    if (family.type === "counter") assert.match(name, /_total$/, `${name}: counters end in _total`);
    else assert.doesNotMatch(name, /_total$/, `${name}: only counters end in _total`);
    assert.match(name, /_(bytes|ratio|celsius|seconds|info|success)(_total)?$|_completed_total$|^socktop_(processes|load1|load5|load15)$/, `${name} names its unit`);
    assert.ok(family.samples.length > 0, `${name} has samples`);
    for (const s of family.samples) {
      assert.deepEqual(Object.keys(s.labels).sort(), [...doc.labels].sort(), `${name} labels`);
      assert.ok(!("hostname" in s.labels) && !("instance" in s.labels), "the host is Prometheus' instance label");
      assert.ok(Number.isFinite(s.value), `${name} value`);
    }
  }
});

test("values are converted to base units: ratios 0..1, bytes, celsius", async () => {
  const f = await scrapeText(data());
  const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
    f.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(value("socktop_cpu_usage_ratio"), 0.125);
  assert.equal(value("socktop_cpu_core_usage_ratio", { cpu: "1" }), 0.15);
  assert.equal(value("socktop_memory_used_bytes"), 2_000_000_000);
  assert.equal(value("socktop_swap_total_bytes"), 1_000_000_000);
  assert.equal(value("socktop_cpu_temperature_celsius"), 45.5);
  assert.equal(value("socktop_gpu_utilization_ratio", { gpu: "0", name: "Radeon RX 7600" }), 0.5);
  assert.equal(value("socktop_gpu_memory_total_bytes", { gpu: "0" }), 8_000_000);
  assert.equal(value("socktop_gpu_temperature_celsius", { gpu: "0" }), 60);
  assert.equal(value("socktop_processes"), 321);
  assert.equal(value("socktop_process_cpu_usage_ratio", { pid: "7" }), 0.3);
  assert.equal(value("socktop_process_resident_memory_bytes", { pid: "7" }), 2048);
  assert.equal(value("socktop_network_transmit_bytes_total", { device: "lo" }), 10);
  assert.equal(value("socktop_agent_process_cpu_seconds_total"), 1.25);
  assert.equal(value("socktop_load5"), 1.25);
  assert.equal(value("socktop_boot_time_seconds"), 1_764_000_000);
  assert.equal(value("socktop_disk_written_bytes_total", { device: "sda" }), 8192);
  assert.equal(value("socktop_disk_reads_completed_total", { device: "sda" }), 10);
  assert.equal(value("socktop_cgroup_cpu_usage_seconds_total", { cgroup: "/system.slice/nginx.service", kind: "service" }), 2.5);
  assert.equal(value("socktop_cgroup_memory_bytes", { cgroup: "/system.slice/nginx.service" }), 1_000_000);
  assert.equal(f.get("socktop_cgroup_memory_bytes")?.samples.length, 1, "a group without memory figures has no memory series");
});

test("cgroup v1 machines and agents without the new sources: no cgroup, load or disk I/O series, nothing fails", async () => {
  const f = await scrapeText(data({ cgroups: { available: false, reason: "v1", groups: [], cached_at: 0 }, load: null, diskIo: null }));
  for (const name of ["socktop_cgroup_cpu_usage_seconds_total", "socktop_load1", "socktop_disk_read_bytes_total"]) assert.equal(f.has(name), false, name);
  assert.ok(f.has("socktop_cpu_usage_ratio"));
});

test("odd interface, device and process names are escaped, and parse back to themselves", async () => {
  const { body } = await renderExposition(data(), 5, "text");
  const lines = body.split("\n");
  assert.ok(lines.includes('socktop_network_receive_bytes_total{device="eth\\"0\\\\x"} 123'), "quote and backslash");
  assert.ok(lines.includes('socktop_network_receive_bytes_total{device="we\\nird"} 7'), "newline");
  assert.ok(lines.includes('socktop_filesystem_size_bytes{device="dm \\"crypt\\"\\n1"} 50'));
  assert.ok(lines.includes('socktop_process_cpu_usage_ratio{pid="42",name="we\\"ird\\nname\\\\"} 0.3'));
  for (const format of ["text", "openmetrics"] as const) {
    const f = parseExposition((await renderExposition(data(), 5, format)).body);
    const devices = f.get("socktop_network_receive_bytes_total") ?? f.get("socktop_network_receive_bytes");
    assert.deepEqual(devices?.samples.map((s) => s.labels.device), ["lo", 'eth"0\\x', "we\nird"], format);
    assert.ok(f.get("socktop_process_resident_memory_bytes")?.samples.some((s) => s.labels.name === 'we"ird\nname\\'), format);
  }
});

test("OpenMetrics: its content type, counter families without _total, samples with it, and # EOF", async () => {
  const { body, contentType } = await renderExposition(data(), 0, "openmetrics");
  assert.equal(contentType, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  assert.ok(body.endsWith("\n# EOF\n"));
  assert.match(body, /^# TYPE socktop_network_receive_bytes counter$/m);
  assert.match(body, /^socktop_network_receive_bytes_total\{device="lo"\} 10$/m);
  assert.match(body, /^# TYPE socktop_agent_build_info gauge$/m);
  assert.doesNotMatch(body, /\n\n/, "OpenMetrics has no blank lines");
  const text = await renderExposition(data(), 0, "text");
  assert.equal(text.contentType, "text/plain; version=0.0.4; charset=utf-8");
  assert.match(text.body, /^# TYPE socktop_network_receive_bytes_total counter$/m);
});

test("promtool accepts the text exposition without lint complaints", { skip: !existsSync(PROMTOOL) && `${PROMTOOL} not installed` }, async () => {
  const { body } = await renderExposition(data(), 5, "text");
  const result = await promtool(["check", "metrics"], body);
  assert.equal(result.code, 0, result.output);
  assert.equal(result.output.trim(), "", result.output);
});

test("socktop_agent_build_info carries the agent and protocol versions", async () => {
  const f = await scrapeText(data());
  assert.deepEqual(f.get("socktop_agent_build_info")?.samples, [
    { name: "socktop_agent_build_info", labels: { version: AGENT_VERSION, protocol_version: String(PROTOCOL_VERSION) }, value: 1 },
  ]);
});

test("values the host does not have are left out, not reported as 0", async () => {
  const f = await scrapeText(data({ metrics: snapshot({ cpuTempC: null, gpus: null, processCount: null }) }));
  for (const name of ["socktop_cpu_temperature_celsius", "socktop_gpu_utilization_ratio", "socktop_gpu_memory_used_bytes", "socktop_processes"]) {
    assert.equal(f.has(name), false, name);
  }
  const partial = await scrapeText(
    data({ metrics: snapshot({ gpus: [{ name: "gpu", vendor: "intel", utilization: null, memUsed: 5, memTotal: null, tempC: null }] }) }),
  );
  assert.equal(partial.has("socktop_gpu_utilization_ratio"), false);
  assert.deepEqual(partial.get("socktop_gpu_memory_used_bytes")?.samples.map((s) => s.value), [5]);
});

test("disks: summary rows of unmounted whole disks are not filesystems; their temperature is kept", async () => {
  assert.deepEqual(
    filesystemRows(DISKS).map((d) => d.name),
    ["nvme0n1p1", "nvme0n1p2", 'dm "crypt"\n1'],
  );
  // A whole disk mounted itself (no partitions) is a filesystem.
  const whole: DiskInfo[] = [{ name: "sdb", total: 10, available: 5, temperature: null, is_partition: false }];
  assert.deepEqual(filesystemRows(whole).map((d) => d.name), ["sdb"]);
  const f = await scrapeText(data());
  assert.deepEqual(f.get("socktop_disk_temperature_celsius")?.samples, [
    { name: "socktop_disk_temperature_celsius", labels: { device: "nvme0n1" }, value: 41 },
  ]);
});

test("per-process series are off by default; with N they are the N busiest, and only then are processes read", async () => {
  const command = parseCommand([], {});
  assert.ok(command.kind === "run");
  assert.equal(command.config.prometheus.topProcesses, 0);

  const off = fakeSources();
  const exporterOff = new PrometheusExporter({ sources: off.sources, topProcesses: 0 });
  const bodyOff = (await exporterOff.scrape()).body;
  assert.doesNotMatch(bodyOff, /socktop_process_/);
  assert.doesNotMatch(bodyOff, /collector="processes"/);
  assert.deepEqual(off.reads, { metrics: 1, disks: 1, processes: 0 }, "a scrape reads each cache once, processes not at all");

  const on = fakeSources();
  const f = parseExposition((await new PrometheusExporter({ sources: on.sources, topProcesses: 2 }).scrape()).body);
  assert.deepEqual(on.reads, { metrics: 1, disks: 1, processes: 1 });
  // Ties on CPU are broken by memory: "busy" (2048 B) before pid 42 (1024 B).
  assert.deepEqual(
    f.get("socktop_process_cpu_usage_ratio")?.samples.map((s) => s.labels),
    [{ pid: "7", name: "busy" }, { pid: "42", name: 'we"ird\nname\\' }],
  );
  assert.equal(f.get("socktop_process_resident_memory_bytes")?.samples.length, 2);
});

test("a source that fails leaves its families out and reports collector_success 0; the rest is served", async () => {
  const { sources } = fakeSources({ disks: true, processes: true });
  const f = parseExposition((await new PrometheusExporter({ sources, topProcesses: 3 }).scrape()).body);
  const success = Object.fromEntries(f.get("socktop_collector_success")!.samples.map((s) => [s.labels.collector, s.value]));
  const durations = f.get("socktop_collector_duration_seconds")!.samples;
  assert.deepEqual(durations.map((s) => s.labels.collector).sort(), ["disks", "metrics", "processes"]);
  for (const d of durations) assert.ok(d.value >= 0 && d.value < 1, `${d.labels.collector} took ${d.value} s`);
  assert.deepEqual(success, { metrics: 1, disks: 0, processes: 0 });
  assert.equal(f.has("socktop_filesystem_size_bytes"), false);
  assert.equal(f.has("socktop_process_cpu_usage_ratio"), false);
  assert.ok(f.has("socktop_cpu_usage_ratio"));
});

test("content negotiation: OpenMetrics when preferred (as Prometheus asks), text otherwise", () => {
  const prometheus242 =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  assert.equal(negotiateFormat(prometheus242), "openmetrics");
  assert.equal(negotiateFormat("application/openmetrics-text"), "openmetrics");
  assert.equal(negotiateFormat(undefined), "text");
  assert.equal(negotiateFormat("*/*"), "text");
  assert.equal(negotiateFormat("text/plain;version=0.0.4"), "text");
  assert.equal(negotiateFormat("application/openmetrics-text;q=0"), "text");
  assert.equal(negotiateFormat("text/plain, application/openmetrics-text;q=0.5"), "text");
  assert.equal(negotiateFormat("application/openmetrics-text;version=2.0.0"), "text", "an unknown version is not served");
});

// ---------------------------------------------------------------- GET /metrics on a live agent

test("GET /metrics on the agent's port: text, OpenMetrics, gzip, HEAD, 405; 404 when not enabled", async () => {
  const agent = await startTestAgent(prometheusConfig());
  const off = await startTestAgent();
  try {
    assert.equal(agent.prometheus?.address.port, agent.address.port);
    assert.equal(agent.prometheus?.url, `http://127.0.0.1:${agent.address.port}/metrics`);
    const base = `http://127.0.0.1:${agent.address.port}/metrics`;
    const text = await get(base);
    assert.equal(text.status, 200);
    assert.equal(text.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    const f = parseExposition(text.body.toString("utf8"));
    for (const name of ["socktop_cpu_usage_ratio", "socktop_memory_total_bytes", "socktop_network_receive_bytes_total", "socktop_agent_build_info"]) {
      assert.ok(f.has(name), name);
    }
    assert.ok(f.get("socktop_memory_total_bytes")!.samples[0]!.value > 0);

    const om = await get(base, { headers: { Accept: "application/openmetrics-text; version=1.0.0" } });
    assert.equal(om.headers["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert.ok(om.body.toString().endsWith("# EOF\n"));

    const zipped = await get(base, { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(zipped.headers["content-encoding"], "gzip");
    assert.match(gunzipSync(zipped.body).toString(), /^# HELP socktop_/);

    const head = await get(base, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const post = await get(base, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");

    assert.equal(off.prometheus, null);
    assert.equal((await get(`http://127.0.0.1:${off.address.port}/metrics`)).status, 404);
    assert.equal((await get(`http://127.0.0.1:${agent.address.port}/healthz`)).status, 200, "other routes unaffected");
  } finally {
    await Promise.all([agent.close(), off.close()]);
  }
});

test("the token rules of /ws apply: 401 without it, 200 with a Bearer header or ?token=", async () => {
  const agent = await startTestAgent({ ...prometheusConfig(), token: "s3cret" });
  try {
    const base = `http://127.0.0.1:${agent.address.port}/metrics`;
    const refused = await get(base);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers["www-authenticate"], 'Bearer realm="socktop_agent"');
    assert.doesNotMatch(refused.body.toString(), /socktop_/);
    assert.equal((await get(base, { headers: { Authorization: "Bearer wrong" } })).status, 401);
    assert.equal((await get(base, { headers: { Authorization: "Bearer s3cret" } })).status, 200);
    assert.equal((await get(`${base}?token=s3cret`)).status, 200);
    await assert.rejects(TestClient.connect(wsUrl(agent)), /HTTP 401/, "the same function guards /ws");
  } finally {
    await agent.close();
  }
});

test("a scrape costs what a request costs: it shares the TTL caches with WebSocket clients", async () => {
  const agent = await startTestAgent({ ...prometheusConfig(), metricsTtlMs: 60_000, disksTtlMs: 60_000 });
  const client = await TestClient.connect(wsUrl(agent));
  try {
    const before = { ...agent.sources.counts };
    await get(`http://127.0.0.1:${agent.address.port}/metrics`);
    await get(`http://127.0.0.1:${agent.address.port}/metrics`);
    await client.request('{"type":"metrics"}');
    await client.request('{"type":"disks"}');
    assert.deepEqual(
      {
        metrics: agent.sources.counts.metrics - before.metrics,
        disks: agent.sources.counts.disks - before.disks,
        processes: agent.sources.counts.processes - before.processes,
      },
      { metrics: 1, disks: 1, processes: 0 },
    );
  } finally {
    await client.close();
    await agent.close();
  }
});

test("--prometheus-port: /metrics on its own port only, over TLS with the token when the agent has them; close() closes it", async () => {
  const { createSelfSignedCertificate } = await import("../src/tls/self-signed.js");
  const tls = await createSelfSignedCertificate({ commonName: "localhost", dns: ["localhost"], ips: ["127.0.0.1"] });
  const agent = await startTestAgent({ ...prometheusConfig({ port: 0, topProcesses: 3 }), token: "s3cret" }, { tls });
  const port = agent.prometheus!.address.port;
  assert.notEqual(port, agent.address.port);
  assert.equal(agent.prometheus!.url, `https://127.0.0.1:${port}/metrics`);
  try {
    const base = `https://127.0.0.1:${port}`;
    assert.equal((await get(`${base}/metrics`, { ca: tls.cert })).status, 401);
    const ok = await get(`${base}/metrics`, { ca: tls.cert, headers: { Authorization: "Bearer s3cret" } });
    assert.equal(ok.status, 200);
    assert.equal(parseExposition(ok.body.toString()).get("socktop_process_cpu_usage_ratio")?.samples.length, 3);
    assert.equal((await get(`${base}/healthz`, { ca: tls.cert })).status, 404, "only /metrics there");
    assert.equal((await get(`https://127.0.0.1:${agent.address.port}/metrics?token=s3cret`, { ca: tls.cert })).status, 404, "not on the main port");
    await assert.rejects(get(`http://127.0.0.1:${port}/metrics`), "no plain HTTP on a TLS agent");
  } finally {
    await agent.close();
  }
  await assert.rejects(get(`https://127.0.0.1:${port}/metrics`, { ca: tls.cert }), /ECONNREFUSED/);
});

test("a --prometheus-port already in use fails the start with a message naming it, and frees the main port", async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const taken = (blocker.address() as { port: number }).port;
  const listeners = (): number => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;
  const before = listeners();
  try {
    await assert.rejects(startTestAgent(prometheusConfig({ port: taken })), (error: Error & { syscall?: string }) => {
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${taken} for --prometheus-port: the port is already in use`));
      assert.equal(error.syscall, undefined, "not mistaken for the main --port by the CLI");
      return true;
    });
    await new Promise((r) => setTimeout(r, 50)); // a handle that failed to listen is released asynchronously
    assert.equal(listeners(), before, "the agent's own listener was closed again");
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test("an agent with Prometheus enabled keeps no timers, before and after a scrape, on either port", async () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const baseline = timers();
  const same = await startTestAgent(prometheusConfig());
  const separate = await startTestAgent(prometheusConfig({ port: 0 }));
  try {
    assert.equal(timers(), baseline, "listening adds no timer");
    await get(`http://127.0.0.1:${same.address.port}/metrics`);
    await get(`http://127.0.0.1:${separate.prometheus!.address.port}/metrics`);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(timers(), baseline, "nothing keeps running after a scrape");
  } finally {
    await Promise.all([same.close(), separate.close()]);
  }
});

test("every command line in docs/prometheus.md's Enabling section turns /metrics on as described", () => {
  const doc = readFileSync(`${repo}docs/prometheus.md`, "utf8");
  const section = doc.slice(doc.indexOf("\n## Enabling\n"), doc.indexOf("\n## Metrics\n"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const lines = block.trim().split("\n");
  assert.equal(lines.length, 4);
  const configs = lines.map((line) => {
    const words = line.split(/\s+/);
    const env: Record<string, string> = {};
    while (words[0]?.includes("=")) {
      const [k, v] = words.shift()!.split("=") as [string, string];
      env[k] = v;
    }
    assert.equal(words.shift(), "socktop_agent", line);
    const command = parseCommand(words, env);
    assert.ok(command.kind === "run", line);
    const { prometheus } = command.config;
    return { enabled: prometheusEnabled(prometheus), port: prometheus.port, topProcesses: prometheus.topProcesses };
  });
  assert.deepEqual(configs, [
    { enabled: true, port: null, topProcesses: 0 },
    { enabled: true, port: null, topProcesses: 0 },
    { enabled: true, port: 9101, topProcesses: 0 },
    { enabled: true, port: 9101, topProcesses: 10 },
  ]);
});

test("docs/grafana-dashboard.json: an instance variable, the TUI's panels, and only metrics the agent exports", async () => {
  const dashboard = JSON.parse(readFileSync(`${repo}docs/grafana-dashboard.json`, "utf8")) as {
    templating: { list: Array<{ name: string; type: string; query: unknown }> };
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };
  const instance = dashboard.templating.list.find((v) => v.name === "instance");
  assert.ok(instance);
  assert.match(JSON.stringify(instance.query), /label_values\(socktop_agent_build_info, instance\)/);
  const titles = dashboard.panels.map((p) => p.title);
  for (const panel of ["CPU", "Per-core CPU", "Memory and swap", "Network", "Disks", "GPU", "Top processes", "Temperatures", "Processes"]) {
    assert.ok(titles.includes(panel), panel);
  }
  const exported = new Set((await scrapeText(data())).keys());
  for (const panel of dashboard.panels) {
    assert.ok(panel.targets.length > 0, panel.title);
    for (const { expr } of panel.targets) {
      assert.match(expr, /instance=~"\$instance"/, `${panel.title}: filtered by the instance variable`);
      for (const [metric] of expr.matchAll(/socktop_[a-z_]+/g)) assert.ok(exported.has(metric), `${panel.title}: ${metric}`);
    }
  }
  const network = dashboard.panels.find((p) => p.title === "Network")!;
  assert.ok(network.targets.every((t) => /^rate\(socktop_network_\w+_bytes_total\{.*\}\[\$__rate_interval\]\)$/.test(t.expr)));
});
