/**
 * From reply frames to typed values: gzip, JSON, protobuf, error objects,
 * protocol-2 envelopes, and normalisation of the shapes different agents send
 * into the one shape programs get.
 */
import {
  ShapeMismatchError,
  checkReply,
  decodeProcessList,
  isGzip,
  isReply,
  type CgroupsReply,
  type DiskIoReply,
  type LoadReply,
  type SignalReply,
  type DiskInfo,
  type HelloReply,
  type JournalReply,
  type Metrics,
  type ProcessListReply,
  type ProcessMetricsReply,
  type RequestId,
} from "@socktop/protocol";
import { AgentError, DecodeError, ProtocolError, describe } from "./errors.js";
import type { Frame } from "./transport.js";

/** A reply's content once the bytes are read. */
export type Payload = { kind: "json"; value: unknown; binary: boolean } | { kind: "protobuf"; bytes: Uint8Array };

/** Replies larger than this after gunzip are refused: no legitimate reply is near it. */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const b of bytes) {
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const quoted = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    throw new DecodeError(`The agent's reply to ${what} is not valid JSON (${JSON.stringify(quoted)}): is the URL really a socktop agent?`, { cause });
  }
}

/**
 * Reads a frame: text is JSON; binary is gunzipped when it starts with the gzip
 * magic, then it is JSON when it starts with `{` or `[` (the legacy dialect
 * gzips long JSON replies) and otherwise a protobuf process list.
 */
export async function readFrame(
  frame: Frame,
  what: string,
  gunzip: (bytes: Uint8Array, maxBytes: number) => Promise<Uint8Array>,
): Promise<Payload> {
  if (typeof frame === "string") return { kind: "json", value: parseJson(frame, what), binary: false };
  let bytes = frame;
  if (isGzip(bytes)) {
    try {
      bytes = await gunzip(bytes, MAX_REPLY_BYTES);
    } catch (cause) {
      throw new DecodeError(`The agent's reply to ${what} is gzip data that does not decompress (${describe(cause)})`, { cause });
    }
  }
  const first = firstNonSpace(bytes);
  if (first === 0x7b || first === 0x5b) {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (cause) {
      throw new DecodeError(`The agent's reply to ${what} is binary JSON that is not UTF-8`, { cause });
    }
    return { kind: "json", value: parseJson(text, what), binary: true };
  }
  return { kind: "protobuf", bytes };
}

// ---------------------------------------------------------------- shape checks

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first of several alternative field names that holds a number. */
function firstNumber(o: Obj, keys: readonly string[]): number | null {
  for (const key of keys) {
    const v = o[key];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

// The original client reads GPU fields under any of these names; agents differ in which they send.
const GPU_USAGE = ["usage", "utilization", "utilization_gpu_pct", "gpu_util_pct", "gpu_utilization"] as const;
const GPU_MEM_USED = ["memory_used", "mem_used", "mem_used_bytes", "vram_used_bytes"] as const;
const GPU_MEM_TOTAL = ["memory_total", "mem_total", "mem_total_bytes", "vram_total_bytes"] as const;
const GPU_TEMP = ["temp_c", "temp", "temperature_c"] as const;

function normaliseGpu(value: unknown, index: number): unknown {
  // Not an object: left as it is, for the shape check to name.
  if (!isObject(value)) return value;
  return {
    name: typeof value.name === "string" ? value.name : `gpu${index}`,
    usage: firstNumber(value, GPU_USAGE),
    memory_total: firstNumber(value, GPU_MEM_TOTAL),
    memory_used: firstNumber(value, GPU_MEM_USED),
    temp_c: firstNumber(value, GPU_TEMP),
  };
}

/**
 * Metrics in the seed's field names plus the process count, from any of:
 * a protocol-2 metrics envelope's data, a seed `{"type":"metrics"}` reply,
 * this agent's `get_metrics` reply, or the original agent's. The dialects'
 * differences are mapped here; the result is then checked completely
 * against the one Metrics shape ("metrics-v2"), so nothing unchecked is
 * handed out as typed.
 */
export function normaliseMetrics(value: unknown): Promise<Metrics> {
  if (!isObject(value)) return checkReply("metrics-v2", value);
  const gpus = Array.isArray(value.gpus) ? value.gpus.map(normaliseGpu) : value.gpus;
  return checkReply("metrics-v2", {
    cpu_total: value.cpu_total,
    cpu_per_core: value.cpu_per_core,
    mem_total: value.mem_total,
    mem_used: value.mem_used,
    swap_total: value.swap_total,
    swap_used: value.swap_used,
    hostname: value.hostname,
    cpu_temp_c: value.cpu_temp_c ?? null,
    networks: value.networks,
    // One way to say "no GPU", whichever the agent used.
    gpus: gpus === undefined || (Array.isArray(gpus) && gpus.length === 0) ? null : gpus,
    // The original agent may leave it out.
    process_count: value.process_count ?? null,
  });
}

/** Disks; agents older than the temperature/partition fields get `null` and `false` for them. */
export function normaliseDisks(value: unknown): Promise<DiskInfo[]> {
  if (!Array.isArray(value)) return checkReply("disks", value);
  return checkReply(
    "disks",
    value.map((d: unknown) =>
      isObject(d) && (d.temperature === undefined || d.is_partition === undefined || d.is_partition === null)
        ? { ...d, temperature: d.temperature ?? null, is_partition: d.is_partition ?? false }
        : d,
    ),
  );
}

export function checkProcessMetrics(value: unknown): Promise<ProcessMetricsReply> {
  return checkReply("process-metrics", value);
}

export function checkJournal(value: unknown): Promise<JournalReply> {
  return checkReply("journal", value);
}

export function checkLoad(value: unknown): Promise<LoadReply> {
  return checkReply("load", value);
}

export function checkDiskIo(value: unknown): Promise<DiskIoReply> {
  return checkReply("disk-io", value);
}

export function checkCgroups(value: unknown): Promise<CgroupsReply> {
  return checkReply("cgroups", value);
}

export function checkSignal(value: unknown): Promise<SignalReply> {
  return checkReply("signal", value);
}

export async function checkHello(value: unknown): Promise<HelloReply> {
  const hello = await checkReply("hello", value);
  if (hello.min_protocol_version > hello.protocol_version) {
    throw new ShapeMismatchError("hello", "/min_protocol_version", "is above protocol_version: not a valid range");
  }
  return hello;
}

/** A decoded process list, checked like every other reply (pid ≥ 1, CPU share within 0..100). */
export function checkProcesses(list: ProcessListReply): Promise<ProcessListReply> {
  return checkReply("processes", list);
}

export function decodeProcesses(bytes: Uint8Array): ProcessListReply {
  try {
    return decodeProcessList(bytes);
  } catch (cause) {
    throw new DecodeError(`The agent's process list is not a valid protobuf ProcessList (${describe(cause)})`, { cause });
  }
}

// ---------------------------------------------------------------- errors and envelopes

/** `{"error": "..."}` (protocol 1) or `{"type":"error", ...}` (protocol 2). */
export function agentErrorOf(value: unknown, what: string): AgentError | null {
  if (!isObject(value) || typeof value.error !== "string") return null;
  if (value.type !== undefined && value.type !== "error") return null;
  const code = typeof value.code === "string" ? value.code : null;
  const pid = typeof value.pid === "number" ? value.pid : null;
  const request = typeof value.request === "string" ? value.request : null;
  return new AgentError(`The agent could not answer ${what}${code ? ` (${code})` : ""}: ${value.error}`, {
    agentMessage: value.error,
    agentCode: code,
    request,
    pid,
  });
}

export interface Envelope {
  id: RequestId;
  type: string;
  data: unknown;
}

export function envelopeOf(value: unknown): Envelope | null {
  if (!isReply("envelope", value)) return null;
  return { id: value.id, type: value.type, data: value.data };
}

/** Runs a shape check, turning a mismatch into a ProtocolError about `what`. */
export async function shaped<T>(what: string, check: () => Promise<T>, hint = ""): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof ShapeMismatchError) {
      throw new ProtocolError(`The agent's reply to ${what} is not a ${what} reply: ${error.message}.${hint}`, { cause: error });
    }
    throw error;
  }
}
