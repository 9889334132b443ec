/**
 * Fast-metrics reply shapes. Field names are the wire names (snake_case) so
 * that a JSON.parse of a reply is already the typed value.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Bytes, NullableBytes, NullableNumber, Percent, strict } from "./common.js";

/** One network interface's cumulative byte counters. */
export const NetworkInterfaceShape = strict({
  name: Type.String({ description: "Interface name from /proc/net/dev." }),
  received: Type.Integer({ minimum: 0, description: "Bytes received since boot (cumulative)." }),
  transmitted: Type.Integer({ minimum: 0, description: "Bytes sent since boot (cumulative)." }),
});
export type NetworkInterface = Static<typeof NetworkInterfaceShape>;

/** A GPU as the seed documents it (`{"type":"metrics"}` replies). */
export const SeedGpuShape = strict({
  name: Type.String(),
  usage: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()], { description: "Utilisation, percent." }),
  memory_total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "Bytes." }),
  memory_used: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "Bytes." }),
  temp_c: Type.Union([Type.Number(), Type.Null()], { description: "°C." }),
});
export type SeedGpu = Static<typeof SeedGpuShape>;

/** A GPU under the field names the original socktop client reads (`get_metrics` replies). */
export const LegacyGpuShape = strict({
  name: Type.String(),
  vendor: Type.Union([Type.String(), Type.Null()]),
  utilization_gpu_pct: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()]),
  mem_used_bytes: NullableBytes(),
  mem_total_bytes: NullableBytes(),
  temp_c: NullableNumber(),
});
export type LegacyGpu = Static<typeof LegacyGpuShape>;

/** The fields every fast-metrics reply shares, in every dialect. */
const metricsCore = {
  cpu_total: Percent("Busy share of all CPUs since the previous collection."),
  cpu_per_core: Type.Array(Percent()),
  mem_total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "Bytes; null when the agent could not read memory (its memory collector failed)." }),
  mem_used: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "Bytes: MemTotal − MemAvailable." }),
  swap_total: NullableBytes(),
  swap_used: NullableBytes(),
  hostname: Type.String(),
  cpu_temp_c: Type.Union([Type.Number(), Type.Null()], { description: "CPU package temperature, °C; null without a sensor." }),
  networks: Type.Array(NetworkInterfaceShape),
};
export const MetricsCoreShape = strict(metricsCore);
export type MetricsCore = Static<typeof MetricsCoreShape>;

const seedGpus = Type.Union([Type.Array(SeedGpuShape), Type.Null()], { description: "null when there is no GPU." });
const processCount = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);

/** Reply to `{"type":"metrics"}`: exactly the seed's fields. */
export const SeedMetricsReplyShape = strict(
  { ...metricsCore, gpus: seedGpus },
  { title: 'Fast metrics (seed): reply to {"type":"metrics"}', description: "A text frame with exactly the fields the agent README documents." },
);
export type SeedMetricsReply = Static<typeof SeedMetricsReplyShape>;

/**
 * Fast metrics as a protocol-2 client receives them (the `data` of a metrics
 * envelope), and as the connector hands them to programs whatever the agent
 * sent: the seed's fields plus the process count.
 */
export const MetricsShape = strict(
  { ...metricsCore, gpus: seedGpus, process_count: processCount },
  {
    title: "Fast metrics (protocol 2): the data of a metrics envelope",
    description: "The seed's fields plus process_count. Also what @socktop/connector's metrics() returns, whatever the agent and protocol.",
  },
);
export type Metrics = Static<typeof MetricsShape>;

/** A process row inside a legacy metrics reply (`top_processes`, always empty from this agent). */
export const LegacyTopProcessShape = strict({
  pid: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  cpu_usage: Type.Number(),
  mem_bytes: Bytes(),
});
export type LegacyTopProcess = Static<typeof LegacyTopProcessShape>;

/** One filesystem or whole disk. `name` is the device name, e.g. `nvme0n1p2`. */
export const DiskInfoShape = strict({
  name: Type.String({ description: "Kernel device name, e.g. nvme0n1p2." }),
  total: Bytes("Bytes."),
  available: Bytes("Bytes an unprivileged user can still write."),
  /** NVMe "Composite" temperature in °C, when the disk has such a sensor. */
  temperature: Type.Union([Type.Number(), Type.Null()], { description: "NVMe Composite sensor, °C." }),
  is_partition: Type.Boolean(),
});
export type DiskInfo = Static<typeof DiskInfoShape>;

/** Reply to `{"type":"disks"}` and `get_disks`. */
export const DisksReplyShape = Type.Array(DiskInfoShape, {
  title: 'Disks: reply to {"type":"disks"} and get_disks',
  description: "Whole disks followed by their partitions; each device once.",
});
export type DisksReply = Static<typeof DisksReplyShape>;

/** Reply to `get_metrics`: every key the original socktop client requires. */
export const LegacyMetricsReplyShape = strict(
  {
    ...metricsCore,
    // The original client requires numbers here: an unreadable meminfo is sent as 0.
    mem_total: Bytes("Bytes."),
    mem_used: Bytes("Bytes: MemTotal − MemAvailable."),
    swap_total: Bytes(),
    swap_used: Bytes(),
    disks: Type.Array(DiskInfoShape, { maxItems: 0 }),
    top_processes: Type.Array(LegacyTopProcessShape, { maxItems: 0 }),
    gpus: Type.Union([Type.Array(LegacyGpuShape), Type.Null()], { description: "null when there is no GPU." }),
    process_count: processCount,
  },
  {
    title: "Fast metrics (legacy): reply to get_metrics",
    description:
      "Text JSON, or gzip-compressed JSON in a binary frame when longer than 768 bytes. Every key the original socktop client requires; GPU fields under the names it reads. disks and top_processes are always empty.",
  },
);
export type LegacyMetricsReply = Static<typeof LegacyMetricsReplyShape>;
