/** The exposition (prometheus-exposition.ts) from plain data, and the exporter over fake caches: no server involved. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION, type DiskInfo } from "@socktop/protocol";
import { parseCommand } from "../src/config.js";
import { filesystemRows, renderExposition } from "../src/prometheus-exposition.js";
import { PrometheusExporter, negotiateFormat } from "../src/prometheus.js";
import { AGENT_VERSION } from "../src/version.js";
import { DISKS, data, fakeSources, parseExposition, scrapeText, snapshot } from "./helpers/prometheus.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const PROMTOOL = "/usr/bin/promtool";

function promtool(args: string[], stdin: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
    child.stdin?.end(stdin);
  });
}

/** The metric table of docs/prometheus.md: name → type and label names. */
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
