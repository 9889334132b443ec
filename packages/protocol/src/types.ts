/**
 * Reply shapes on the wire. Field names are the wire names (snake_case) so
 * that a JSON.parse of a reply is already the typed value.
 */

/** One network interface's cumulative byte counters. */
export interface NetworkInterface {
  name: string;
  received: number;
  transmitted: number;
}

/** A GPU as the seed documents it (`{"type":"metrics"}` replies). */
export interface SeedGpu {
  name: string;
  usage: number | null;
  memory_total: number | null;
  memory_used: number | null;
  temp_c: number | null;
}

/** A GPU under the field names the original socktop client reads (`get_metrics` replies). */
export interface LegacyGpu {
  name: string;
  vendor: string | null;
  utilization_gpu_pct: number | null;
  mem_used_bytes: number | null;
  mem_total_bytes: number | null;
  temp_c: number | null;
}

/** The fields every fast-metrics reply shares, in every dialect. */
export interface MetricsCore {
  cpu_total: number;
  cpu_per_core: number[];
  /** Memory and swap in bytes; null when the agent could not read them (its memory collector failed). */
  mem_total: number | null;
  mem_used: number | null;
  swap_total: number | null;
  swap_used: number | null;
  hostname: string;
  cpu_temp_c: number | null;
  networks: NetworkInterface[];
}

/** Reply to `{"type":"metrics"}`: exactly the seed's fields. */
export interface SeedMetricsReply extends MetricsCore {
  gpus: SeedGpu[] | null;
}

/**
 * Fast metrics as a protocol-2 client receives them (the `data` of a metrics
 * envelope), and as the connector hands them to programs whatever the agent
 * sent: the seed's fields plus the process count.
 */
export interface Metrics extends SeedMetricsReply {
  process_count: number | null;
}

/** A process row inside a legacy metrics reply (`top_processes`, always empty from this agent). */
export interface LegacyTopProcess {
  pid: number;
  name: string;
  cpu_usage: number;
  mem_bytes: number;
}

/** Reply to `get_metrics`: every key the original socktop client requires. */
export interface LegacyMetricsReply extends MetricsCore {
  // The original client requires numbers here: an unreadable meminfo is sent as 0.
  mem_total: number;
  mem_used: number;
  swap_total: number;
  swap_used: number;
  disks: DiskInfo[];
  top_processes: LegacyTopProcess[];
  gpus: LegacyGpu[] | null;
  process_count: number | null;
}

/** One filesystem or whole disk. `name` is the device name, e.g. `nvme0n1p2`. */
export interface DiskInfo {
  name: string;
  total: number;
  available: number;
  /** NVMe "Composite" temperature in °C, when the disk has such a sensor. */
  temperature: number | null;
  is_partition: boolean;
}

/** Reply to `{"type":"disks"}` and `get_disks`. */
export type DisksReply = DiskInfo[];

/** One row of the process list. `cpu_usage` is percent of the whole machine (0..100). */
export interface ProcessEntry {
  pid: number;
  name: string;
  cpu_usage: number;
  mem_bytes: number;
}

/** The decoded protobuf process list. */
export interface ProcessListReply {
  process_count: number;
  processes: ProcessEntry[];
}

/** The error object a request that cannot be served gets (protocol 1). */
export interface ErrorReply {
  error: string;
  request: string | null;
  /** Present on process-details and journal errors, as in the original agent. */
  pid?: number | null;
}

/** Stable codes carried by protocol-2 error frames. */
export type ErrorCode =
  | "MALFORMED_REQUEST"
  | "UNKNOWN_REQUEST"
  | "INVALID_PID"
  | "NOT_FOUND"
  | "UNAVAILABLE"
  | "INTERNAL";

/** A protocol-2 error frame. */
export interface ErrorFrame extends ErrorReply {
  type: "error";
  code: ErrorCode;
  id?: RequestId;
}

export type RequestId = string | number;

/** Reply to `{"type":"hello"}`, and the first frame pushed under the socktop.v2 subprotocol or `?socktop_hello=1`. */
export interface HelloReply {
  type: "hello";
  agent: "socktop_agent";
  agent_version: string;
  protocol_version: number;
  min_protocol_version: number;
  capabilities: string[];
}

/** A protocol-2 reply envelope, used when the request carried an `id`. */
export interface ReplyEnvelope<T = unknown> {
  id: RequestId;
  type: string;
  data: T;
}
