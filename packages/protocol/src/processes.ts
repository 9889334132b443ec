/** Encoding and decoding of the process list protobuf (`proto/processes.proto`). */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ProcessListSchema, ProcessSchema, type Process } from "./gen/processes_pb.js";
import type { ProcessEntry, ProcessListReply } from "./shapes/index.js";

/**
 * The process list is the one large message the agent encodes on every fresh
 * request, so it has a hand-written writer into one reused buffer instead of
 * @bufbuild's create() + toBinary() (bench: an object and a BigInt per row
 * and a growing chunk list made encoding cost more than the scan itself).
 * The output is byte-identical to the library's (proven by the protocol
 * tests against toBinary on fuzzed lists): fields in declaration order,
 * proto3 zero values omitted (for floats +0 only), little-endian float32, strings as
 * UTF-8 with lone surrogates replaced, as TextEncoder does.
 */
let scratch = new Uint8Array(64 * 1024);
let scratchView = new DataView(scratch.buffer);
const utf8 = new TextEncoder();

function varint(buf: Uint8Array, offset: number, value: number): number {
  // value is a non-negative integer ≤ 2^53: no BigInt, no 32-bit shifts above 2^31.
  while (value > 0x7f) {
    buf[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buf[offset++] = value;
  return offset;
}

/** Bytes a varint of value takes. */
function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Writes text as UTF-8 at offset (room for 3 bytes per UTF-16 unit is there); returns the byte count. */
function writeUtf8(buf: Uint8Array, offset: number, text: string): number {
  // Process names are short and almost always ASCII: copy those directly.
  const length = text.length;
  let i = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) break;
    buf[offset + i] = c;
  }
  if (i === length) return length;
  return i + utf8.encodeInto(text.slice(i), buf.subarray(offset + i)).written;
}

/** Moves buf[start, end) right by `by` bytes to make room for a longer length prefix. */
function shiftRight(buf: Uint8Array, start: number, end: number, by: number): void {
  buf.copyWithin(start + by, start, end);
}

/**
 * Encodes a process list into a buffer reused by the next call: the returned
 * view is valid until then (for callers that compress or copy it at once).
 * `process_count` is the number of rows.
 */
export function encodeProcessListInto(processes: readonly ProcessEntry[]): Uint8Array {
  // Worst case per row: 2 (tag + 1-byte length, grown below when needed) +
  // 6 (pid) + 1 + 5 + 3 × name length (UTF-16 unit → ≤ 3 UTF-8 bytes) + 5 (float) + 11 (uint64).
  let need = 6;
  for (const p of processes) need += 40 + 3 * p.name.length;
  if (scratch.length < need) {
    scratch = new Uint8Array(Math.max(need, scratch.length * 2));
    scratchView = new DataView(scratch.buffer);
  }
  const buf = scratch;
  let o = 0;
  if (processes.length !== 0) {
    buf[o++] = 0x08; // field 1 process_count, varint
    o = varint(buf, o, processes.length);
  }
  for (const p of processes) {
    buf[o++] = 0x12; // field 2 processes, length-delimited
    const lengthAt = o++;
    const start = o;
    const pid = p.pid >>> 0;
    if (pid !== 0) {
      buf[o++] = 0x08; // pid, varint
      o = varint(buf, o, pid);
    }
    if (p.name.length !== 0) {
      buf[o++] = 0x12; // name, length-delimited
      const nameLengthAt = o++;
      const n = writeUtf8(buf, o, p.name);
      if (n > 0x7f) {
        const extra = varintSize(n) - 1;
        shiftRight(buf, o, o + n, extra);
        varint(buf, nameLengthAt, n);
        o += extra;
      } else {
        buf[nameLengthAt] = n;
      }
      o += n;
    }
    const cpu = p.cpu_usage;
    // The library omits +0 only: -0 has its sign bit set, so it is written.
    if (cpu !== 0 || 1 / cpu < 0) {
      buf[o++] = 0x1d; // cpu_usage, fixed32
      scratchView.setFloat32(o, cpu, true);
      o += 4;
    }
    const mem = Math.trunc(p.mem_bytes);
    if (mem > 0) {
      buf[o++] = 0x20; // mem_bytes, varint
      o = varint(buf, o, mem);
    }
    const length = o - start;
    if (length > 0x7f) {
      const extra = varintSize(length) - 1;
      shiftRight(buf, start, o, extra);
      varint(buf, lengthAt, length);
      o += extra;
    } else {
      buf[lengthAt] = length;
    }
  }
  return buf.subarray(0, o);
}

/**
 * Which fields a process list carries. "basic": the four fields every
 * client knows (protocol 1, byte-identical to what this agent always sent).
 * "rich": also ppid, uid, user, state, threads, start time and command, for
 * clients that speak protocol 2.
 */
export type ProcessListForm = "basic" | "rich";

function row(p: ProcessEntry, form: ProcessListForm): Process {
  const base = {
    pid: p.pid,
    name: p.name,
    cpuUsage: p.cpu_usage,
    memBytes: BigInt(Math.max(0, Math.trunc(p.mem_bytes))),
  };
  if (form === "basic") return create(ProcessSchema, base);
  // Explicit-presence fields: only what the row has is written.
  return create(ProcessSchema, {
    ...base,
    ...(p.ppid !== undefined ? { ppid: p.ppid } : {}),
    ...(p.uid !== undefined ? { uid: p.uid } : {}),
    ...(p.user !== undefined ? { user: p.user } : {}),
    ...(p.state !== undefined ? { state: p.state } : {}),
    ...(p.threads !== undefined ? { threads: p.threads } : {}),
    ...(p.start_time !== undefined ? { startTime: BigInt(Math.max(0, Math.trunc(p.start_time))) } : {}),
    ...(p.command !== undefined ? { command: p.command } : {}),
  });
}

/** Encodes a process list. `process_count` is the number of rows. */
export function encodeProcessList(processes: readonly ProcessEntry[], form: ProcessListForm = "basic"): Uint8Array {
  if (form === "basic") return encodeProcessListInto(processes).slice();
  const message = create(ProcessListSchema, {
    processCount: processes.length,
    processes: processes.map((p) => row(p, form)),
  });
  return toBinary(ProcessListSchema, message);
}

/** Decodes a (gunzipped) process list. Throws on bytes that are not a valid ProcessList. */
export function decodeProcessList(bytes: Uint8Array): ProcessListReply {
  const message = fromBinary(ProcessListSchema, bytes);
  return {
    process_count: message.processCount,
    processes: message.processes.map((p) => {
      const entry: ProcessEntry = {
        pid: p.pid,
        name: p.name,
        cpu_usage: p.cpuUsage,
        mem_bytes: Number(p.memBytes),
      };
      if (p.ppid !== undefined) entry.ppid = p.ppid;
      if (p.uid !== undefined) entry.uid = p.uid;
      if (p.user !== undefined) entry.user = p.user;
      if (p.state !== undefined) entry.state = p.state;
      if (p.threads !== undefined) entry.threads = p.threads;
      if (p.startTime !== undefined) entry.start_time = Number(p.startTime);
      if (p.command !== undefined) entry.command = p.command;
      return entry;
    }),
  };
}
