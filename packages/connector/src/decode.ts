/**
 * From reply frames to typed values: gzip, JSON, protobuf, error objects,
 * protocol-2 envelopes, and normalisation of the shapes different agents send
 * into the one shape programs get.
 */
import {
  decodeProcessList,
  isGzip,
  type DiskInfo,
  type HelloReply,
  type JournalReply,
  type Metrics,
  type NetworkInterface,
  type ProcessListReply,
  type ProcessMetricsReply,
  type RequestId,
  type SeedGpu,
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

/** A shape mismatch: the caller turns it into a ProtocolError naming the request. */
class ShapeError extends Error {}

function num(o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ShapeError(`"${key}" is not a number`);
  return v;
}

function optNum(o: Obj, key: string): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ShapeError(`"${key}" is not a number or null`);
  return v;
}

function str(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new ShapeError(`"${key}" is not a string`);
  return v;
}

function arr(o: Obj, key: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new ShapeError(`"${key}" is not an array`);
  return v;
}

function obj(value: unknown, what: string): Obj {
  if (!isObject(value)) throw new ShapeError(`${what} is not an object`);
  return value;
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

function normaliseGpu(value: unknown, index: number): SeedGpu {
  const g = obj(value, `gpus[${index}]`);
  return {
    name: typeof g.name === "string" ? g.name : `gpu${index}`,
    usage: firstNumber(g, GPU_USAGE),
    memory_total: firstNumber(g, GPU_MEM_TOTAL),
    memory_used: firstNumber(g, GPU_MEM_USED),
    temp_c: firstNumber(g, GPU_TEMP),
  };
}

function normaliseNetwork(value: unknown, index: number): NetworkInterface {
  const n = obj(value, `networks[${index}]`);
  return { name: str(n, "name"), received: num(n, "received"), transmitted: num(n, "transmitted") };
}

/**
 * Metrics in the seed's field names plus the process count, from any of:
 * a protocol-2 metrics envelope's data, a seed `{"type":"metrics"}` reply,
 * this agent's `get_metrics` reply, or the original agent's.
 */
export function normaliseMetrics(value: unknown): Metrics {
  const m = obj(value, "the reply");
  const perCore = arr(m, "cpu_per_core");
  for (const [i, v] of perCore.entries()) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ShapeError(`cpu_per_core[${i}] is not a number`);
  }
  const gpus = m.gpus === undefined || m.gpus === null ? null : arr(m, "gpus").map(normaliseGpu);
  return {
    cpu_total: num(m, "cpu_total"),
    cpu_per_core: perCore as number[],
    mem_total: optNum(m, "mem_total"),
    mem_used: optNum(m, "mem_used"),
    swap_total: optNum(m, "swap_total"),
    swap_used: optNum(m, "swap_used"),
    hostname: str(m, "hostname"),
    cpu_temp_c: optNum(m, "cpu_temp_c"),
    networks: arr(m, "networks").map(normaliseNetwork),
    // One way to say "no GPU", whichever the agent used.
    gpus: gpus === null || gpus.length === 0 ? null : gpus,
    process_count: optNum(m, "process_count"),
  };
}

/** Disks; agents older than the temperature/partition fields get `null` and `false` for them. */
export function normaliseDisks(value: unknown): DiskInfo[] {
  if (!Array.isArray(value)) throw new ShapeError("the reply is not an array of disks");
  return value.map((item, i) => {
    const d = obj(item, `disks[${i}]`);
    const isPartition = d.is_partition;
    if (isPartition !== undefined && isPartition !== null && typeof isPartition !== "boolean") {
      throw new ShapeError(`disks[${i}].is_partition is not a boolean`);
    }
    return {
      name: str(d, "name"),
      total: num(d, "total"),
      available: num(d, "available"),
      temperature: optNum(d, "temperature"),
      is_partition: isPartition === true,
    };
  });
}

export function checkProcessMetrics(value: unknown): ProcessMetricsReply {
  const r = obj(value, "the reply");
  const p = obj(r.process, '"process"');
  num(p, "pid");
  str(p, "name");
  num(r, "cached_at");
  return r as unknown as ProcessMetricsReply;
}

export function checkJournal(value: unknown): JournalReply {
  const r = obj(value, "the reply");
  const entries = arr(r, "entries");
  for (const [i, e] of entries.entries()) {
    const entry = obj(e, `entries[${i}]`);
    str(entry, "message");
  }
  num(r, "total_count");
  if (typeof r.truncated !== "boolean") throw new ShapeError('"truncated" is not a boolean');
  return r as unknown as JournalReply;
}

export function checkHello(value: unknown): HelloReply {
  const h = obj(value, "the hello");
  if (h.type !== "hello") throw new ShapeError('"type" is not "hello"');
  str(h, "agent_version");
  const protocol = num(h, "protocol_version");
  const min = num(h, "min_protocol_version");
  if (!Number.isInteger(protocol) || !Number.isInteger(min) || min > protocol || min < 0) {
    throw new ShapeError("protocol_version / min_protocol_version are not a valid range");
  }
  const caps = arr(h, "capabilities");
  if (!caps.every((c) => typeof c === "string")) throw new ShapeError('"capabilities" is not a list of strings');
  return h as unknown as HelloReply;
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
  if (!isObject(value) || !("id" in value) || !("data" in value) || typeof value.type !== "string") return null;
  const id = value.id;
  if (typeof id !== "number" && typeof id !== "string") return null;
  return { id, type: value.type, data: value.data };
}

/** Runs a shape check, turning a mismatch into a ProtocolError about `what`. */
export function shaped<T>(what: string, check: () => T, hint = ""): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ShapeError) {
      throw new ProtocolError(`The agent's reply to ${what} is not a ${what} reply: ${error.message}.${hint}`, { cause: error });
    }
    throw error;
  }
}
