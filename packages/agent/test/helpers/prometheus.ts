/** Prometheus test material: scrape data fixtures, fake caches, a parser for the exposition formats, and an HTTP client. */
import assert from "node:assert/strict";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { DiskInfo, ProcessEntry } from "@socktop/protocol";
import type { Collected } from "../../src/collected.js";
import { CollectorRegistry } from "../../src/collectors/collector.js";
import type { AgentConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { renderExposition, type ScrapeData } from "../../src/prometheus-exposition.js";
import type { ScrapeSources } from "../../src/prometheus.js";
import type { MetricsSnapshot } from "../../src/sources.js";

// ---------------------------------------------------------------- fixtures

export function snapshot(overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
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

export const DISKS: DiskInfo[] = [
  // An unmounted whole disk: a summary row (sums of its partitions) with the disk's temperature.
  { name: "nvme0n1", total: 300, available: 100, temperature: 41, is_partition: false },
  { name: "nvme0n1p1", total: 100, available: 50, temperature: null, is_partition: true },
  { name: "nvme0n1p2", total: 200, available: 50, temperature: null, is_partition: true },
  { name: 'dm "crypt"\n1', total: 50, available: 5, temperature: null, is_partition: false },
];

export const PROCESSES: ProcessEntry[] = [
  { pid: 1, name: "init", cpu_usage: 0.5, mem_bytes: 4096 },
  { pid: 42, name: 'we"ird\nname\\', cpu_usage: 30, mem_bytes: 1024 },
  { pid: 7, name: "busy", cpu_usage: 30, mem_bytes: 2048 },
  { pid: 9, name: "idle", cpu_usage: 0, mem_bytes: 1 },
];

export function data(overrides: Partial<ScrapeData> = {}): ScrapeData {
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
export function fakeSources(fail: Partial<Record<"metrics" | "disks" | "processes", boolean>> = {}) {
  const reads = { metrics: 0, disks: 0, processes: 0 };
  const registry = new CollectorRegistry({ log: silentLogger });
  const source = <T>(key: keyof typeof reads, value: T) => ({
    get: (): Collected<T> => {
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

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

/** Parses the text format and OpenMetrics, keeping the escaping rules honest by decoding them. */
export function parseExposition(text: string): Map<string, Family> {
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

export async function scrapeText(d: ScrapeData, top = 5): Promise<Map<string, Family>> {
  return parseExposition((await renderExposition(d, top, "text")).body);
}

// ---------------------------------------------------------------- HTTP without keep-alive or client timers

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function get(url: string, options: { headers?: Record<string, string>; method?: string; ca?: string } = {}): Promise<Reply> {
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

export function prometheusConfig(prometheus: Partial<AgentConfig["prometheus"]> = {}): Partial<AgentConfig> {
  return { prometheus: { enabled: true, port: null, topProcesses: 0, ...prometheus } };
}
