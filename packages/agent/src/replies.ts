/**
 * Turning snapshots into bytes on the wire, in the shape each dialect's
 * clients parse. Encodings of a snapshot are memoised on the snapshot object:
 * within one TTL window every client gets the same bytes, encoded once.
 */
import { gzipSync, constants as zlibConstants } from "node:zlib";
import {
  GZIP_THRESHOLD_BYTES,
  encodeProcessListInto,
  type ErrorCode,
  type ErrorFrame,
  type ErrorReply,
  type LegacyGpu,
  type LegacyMetricsReply,
  type Metrics,
  type MetricsCore,
  type ProcessEntry,
  type ProcessListForm,
  type RequestId,
  type SeedGpu,
  type SeedMetricsReply,
} from "@socktop/protocol";
import type { GpuReading } from "./collectors/gpu.js";
import type { MetricsSnapshot } from "./sources.js";

/** One reply frame: text, or binary (protobuf and/or gzip). */
export interface EncodedReply {
  data: string | Buffer;
  binary: boolean;
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

function seedGpu(gpu: GpuReading): SeedGpu {
  return {
    name: gpu.name,
    usage: gpu.utilization,
    memory_total: gpu.memTotal,
    memory_used: gpu.memUsed,
    temp_c: gpu.tempC,
  };
}

function legacyGpu(gpu: GpuReading): LegacyGpu {
  return {
    name: gpu.name,
    vendor: gpu.vendor,
    utilization_gpu_pct: gpu.utilization,
    mem_used_bytes: gpu.memUsed,
    mem_total_bytes: gpu.memTotal,
    temp_c: gpu.tempC,
  };
}

function metricsCore(s: MetricsSnapshot): MetricsCore {
  return {
    // cpu_total is a number in every dialect: 0 (with cpu_per_core empty) says the CPU collector failed.
    cpu_total: s.cpuTotal === null ? 0 : round(s.cpuTotal, 2),
    cpu_per_core: s.cpuPerCore.map((v) => round(v, 2)),
    mem_total: s.memTotal,
    mem_used: s.memUsed,
    swap_total: s.swapTotal,
    swap_used: s.swapUsed,
    hostname: s.hostname,
    cpu_temp_c: s.cpuTempC,
    networks: s.networks,
  };
}

/*
 * The replies below add their fields to metricsCore's object (Object.assign)
 * rather than spreading it into a new one. With 200 clients (2026-12-03,
 * --trace-gc-nvp and V8's sampling heap profiler) the spread's copies were a
 * third of what scavenges promoted to old space, where they stay until a full
 * collection: bytes promoted per scavenge went 9.7 KiB → 5.2 KiB without it.
 */

/** The seed's `{"type":"metrics"}` reply: exactly its documented fields. */
export function toSeedMetrics(s: MetricsSnapshot): SeedMetricsReply {
  return Object.assign(metricsCore(s), { gpus: s.gpus === null || s.gpus.length === 0 ? null : s.gpus.map(seedGpu) });
}

/** Protocol 2's metrics data: the seed fields plus the process count. */
export function toMetricsV2(s: MetricsSnapshot): Metrics {
  return Object.assign(toSeedMetrics(s), { process_count: s.processCount });
}

/** The original client's `get_metrics` reply: every key it requires, GPU fields under names it reads. */
export function toLegacyMetrics(s: MetricsSnapshot): LegacyMetricsReply {
  return Object.assign(metricsCore(s), {
    // The original client requires numbers (serde u64): 0 rather than null when memory failed.
    mem_total: s.memTotal ?? 0,
    mem_used: s.memUsed ?? 0,
    swap_total: s.swapTotal ?? 0,
    swap_used: s.swapUsed ?? 0,
    // Disks and processes have their own requests; the original sends these empty too.
    disks: [],
    top_processes: [],
    gpus: s.gpus === null || s.gpus.length === 0 ? null : s.gpus.map(legacyGpu),
    process_count: s.processCount,
  });
}

/**
 * Bytes of their own, exactly as long as the reply. A memoised reply lives for
 * its TTL window, long enough to be promoted to V8's old generation, where
 * its memory stays until the next mark-compact, which a busy agent reaches
 * only every few minutes. A view into a larger block would keep all of that
 * block: zlib's 16 KiB output chunk behind a ~1 KiB gzip reply, or the 8 KiB
 * slab Buffer.from shares among small buffers. In the bench's 200-client
 * soak the malloc heap grew by 3.1-5.3 MiB with such views (until it levelled
 * off after ~12 min) and by 0.3 MiB with replies of their own.
 */
function ownBytes(content: Uint8Array | string): Buffer {
  if (typeof content === "string") {
    // Encoded straight into its own block, not into the shared slab and then copied.
    const own = Buffer.allocUnsafeSlow(Buffer.byteLength(content));
    own.write(content);
    return own;
  }
  const own = Buffer.allocUnsafeSlow(content.length);
  own.set(content);
  return own;
}

function gzip(bytes: Buffer | Uint8Array): Buffer {
  return ownBytes(gzipSync(bytes, { level: zlibConstants.Z_BEST_SPEED }));
}

/** Text JSON. */
export function textJson(value: unknown): EncodedReply {
  return { data: JSON.stringify(value), binary: false };
}

/**
 * The same reply with its text encoded to bytes, for a memoised reply that
 * many clients are sent: ws encodes a string to UTF-8 again at every send
 * (Buffer.byteLength, then a copy into the socket write), a Buffer goes out
 * as it is. Text frames stay text frames (`binary` unchanged).
 */
export function asBytes(reply: EncodedReply): EncodedReply {
  return typeof reply.data === "string" ? { data: ownBytes(reply.data), binary: reply.binary } : reply;
}

/** JSON as the original clients take it: text, or gzip-binary when longer than the threshold. */
export function legacyJson(value: unknown): EncodedReply {
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text) <= GZIP_THRESHOLD_BYTES) return { data: text, binary: false };
  return { data: gzip(Buffer.from(text)), binary: true };
}

/** The process list as protobuf, gzip when larger than the threshold. */
export function processListReply(processes: readonly ProcessEntry[], form: ProcessListForm = "basic", count = processes.length): EncodedReply {
  // Encoded into the protocol's reused buffer, which the next encoding
  // overwrites: gzip reads it now, and the small case is copied.
  const bytes = encodeProcessListInto(processes, form, count);
  const data = bytes.length > GZIP_THRESHOLD_BYTES ? gzip(bytes) : ownBytes(bytes);
  return { data, binary: true };
}

/** A protocol-2 envelope around an already-encoded JSON value. */
export function envelope(id: RequestId, type: string, dataJson: string): EncodedReply {
  return { data: `{"id":${JSON.stringify(id)},"type":${JSON.stringify(type)},"data":${dataJson}}`, binary: false };
}

export interface ErrorDetails {
  code: ErrorCode;
  error: string;
  request: string | null;
  pid?: number | null;
  id?: RequestId;
}

/**
 * An error reply. Protocol 1 gets the original's `{error, request[, pid]}`;
 * protocol 2 gets a typed frame that is a superset of it.
 */
export function errorReply(details: ErrorDetails, protocol: number): EncodedReply {
  const base: ErrorReply = { error: details.error, request: details.request };
  if (details.pid !== undefined) base.pid = details.pid;
  if (protocol < 2) return textJson(base);
  const frame: ErrorFrame = { type: "error", code: details.code, ...base };
  if (details.id !== undefined) frame.id = details.id;
  return textJson(frame);
}

/** Memoises encodings per snapshot object (snapshots are replaced, never mutated). */
export class ReplyMemo<S extends object> {
  private readonly memo = new WeakMap<S, Map<string, EncodedReply>>();

  get(snapshot: S, key: string, encode: (snapshot: S) => EncodedReply): EncodedReply {
    const byKey = this.encodings(snapshot);
    let reply = byKey.get(key);
    if (reply === undefined) {
      reply = encode(snapshot);
      byKey.set(key, reply);
    }
    return reply;
  }

  /**
   * A whole reply that every client asking within the snapshot's TTL window is
   * sent as it is. Text goes out as text to the first client (ws writes a
   * string straight into the socket) and becomes bytes of its own (asBytes)
   * when a second client asks for it: one watcher pays no copy, many pay one
   * UTF-8 encoding instead of one per send.
   */
  shared(snapshot: S, key: string, encode: (snapshot: S) => EncodedReply): EncodedReply {
    const byKey = this.encodings(snapshot);
    const reply = byKey.get(key);
    if (reply === undefined) {
      const fresh = encode(snapshot);
      byKey.set(key, fresh);
      return fresh;
    }
    if (typeof reply.data !== "string") return reply;
    const bytes = asBytes(reply);
    byKey.set(key, bytes);
    return bytes;
  }

  private encodings(snapshot: S): Map<string, EncodedReply> {
    let byKey = this.memo.get(snapshot);
    if (byKey === undefined) {
      byKey = new Map();
      this.memo.set(snapshot, byKey);
    }
    return byKey;
  }
}

