/**
 * Encoding and decoding of the process list protobuf (`proto/processes.proto`),
 * written by hand for this one schema instead of through a reflection library.
 *
 * Why: @bufbuild/protobuf's runtime (descriptors booted from an embedded
 * FileDescriptorProto, the well-known types, reflection) cost every process
 * that imported this package ~11 MB of VmRSS and ~90 ms of start-up, and its
 * fromBinary() was a quarter of the TUI's CPU (an object per row through
 * reflection, a BigInt per uint64). The wire format of two flat messages is
 * small enough to write out; the protocol tests prove the bytes identical to
 * the library's encoding and the decoding equal to its fromBinary() on fuzzed
 * lists (the library stays a dev dependency for exactly that).
 *
 * Encoding: fields in declaration order, proto3 zero values omitted (floats:
 * +0 only), explicit-presence fields (5-11) written whenever present, floats
 * little-endian float32, strings as UTF-8 with lone surrogates replaced (as
 * TextEncoder does). Decoding: last value wins, unknown fields skipped by wire
 * type (groups included), uint32 truncated to 32 bits, strings checked as UTF-8.
 */
import type { ProcessEntry, ProcessListReply } from "./shapes/index.js";

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

/**
 * Ends a length-delimited field whose content was written at [start, end)
 * after a one-byte length placeholder at start - 1: a longer length moves the
 * content right. Returns the new end.
 */
function closeLength(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length <= 0x7f) {
    buf[start - 1] = length;
    return end;
  }
  const extra = varintSize(length) - 1;
  buf.copyWithin(start + extra, start, end);
  varint(buf, start - 1, length);
  return end + extra;
}

/** Writes tag + length + UTF-8 of text; returns the new offset. */
function writeString(buf: Uint8Array, o: number, tag: number, text: string): number {
  buf[o++] = tag;
  const start = o + 1;
  return closeLength(buf, start, start + writeUtf8(buf, start, text));
}

/**
 * Which fields a process list carries. "basic": the four fields every
 * client knows (protocol 1, byte-identical to what this agent always sent).
 * "rich": also ppid, uid, user, state, threads, start time and command, for
 * clients that speak protocol 2.
 */
export type ProcessListForm = "basic" | "rich";

/** Upper bound of the bytes one row takes (3 UTF-8 bytes per UTF-16 unit, 11 per varint, 3 per tag + length). */
function rowBound(p: ProcessEntry, rich: boolean): number {
  let n = 40 + 3 * p.name.length;
  if (rich) n += 70 + 3 * ((p.user?.length ?? 0) + (p.state?.length ?? 0) + (p.command?.length ?? 0));
  return n;
}

/**
 * Encodes a process list into a buffer reused by the next call: the returned
 * view is valid until then (for callers that compress or copy it at once).
 * `process_count` is `count`: the number of rows, or of all processes when
 * the rows are only the busiest of them.
 */
export function encodeProcessListInto(processes: readonly ProcessEntry[], form: ProcessListForm = "basic", count = processes.length): Uint8Array {
  const rich = form === "rich";
  let need = 6;
  for (const p of processes) need += rowBound(p, rich);
  if (scratch.length < need) {
    scratch = new Uint8Array(Math.max(need, scratch.length * 2));
    scratchView = new DataView(scratch.buffer);
  }
  const buf = scratch;
  let o = 0;
  if (count !== 0) {
    buf[o++] = 0x08; // field 1 process_count, varint
    o = varint(buf, o, count);
  }
  for (const p of processes) {
    buf[o++] = 0x12; // field 2 processes, length-delimited
    const start = ++o;
    const pid = p.pid >>> 0;
    if (pid !== 0) {
      buf[o++] = 0x08; // pid, varint
      o = varint(buf, o, pid);
    }
    if (p.name.length !== 0) o = writeString(buf, o, 0x12, p.name);
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
    if (rich) o = writeRichFields(buf, o, p);
    o = closeLength(buf, start, o);
  }
  return buf.subarray(0, o);
}

/** Fields 5-11 (explicit presence: a present 0 or "" is written). */
function writeRichFields(buf: Uint8Array, o: number, p: ProcessEntry): number {
  if (p.ppid !== undefined) {
    buf[o++] = 0x28;
    o = varint(buf, o, p.ppid >>> 0);
  }
  if (p.uid !== undefined) {
    buf[o++] = 0x30;
    o = varint(buf, o, p.uid >>> 0);
  }
  if (p.user !== undefined) o = writeString(buf, o, 0x3a, p.user);
  if (p.state !== undefined) o = writeString(buf, o, 0x42, p.state);
  if (p.threads !== undefined) {
    buf[o++] = 0x48;
    o = varint(buf, o, p.threads >>> 0);
  }
  if (p.start_time !== undefined) {
    buf[o++] = 0x50;
    o = varint(buf, o, Math.max(0, Math.trunc(p.start_time)));
  }
  if (p.command !== undefined) o = writeString(buf, o, 0x5a, p.command);
  return o;
}

/** Encodes a process list into bytes of its own (`count` as for encodeProcessListInto). */
export function encodeProcessList(processes: readonly ProcessEntry[], form: ProcessListForm = "basic", count = processes.length): Uint8Array {
  return encodeProcessListInto(processes, form, count).slice();
}

/**
 * Busiest first: the higher CPU share, then the more memory (on an idle
 * machine the biggest process is still worth naming), then the lower pid (so
 * that the agent's `top` and a client picking from a whole list agree).
 */
export function compareBusiest(a: ProcessEntry, b: ProcessEntry): number {
  if (a.cpu_usage !== b.cpu_usage) return a.cpu_usage > b.cpu_usage ? -1 : 1;
  if (a.mem_bytes !== b.mem_bytes) return a.mem_bytes > b.mem_bytes ? -1 : 1;
  return a.pid - b.pid;
}

/** The `n` busiest processes (compareBusiest), busiest first: what a processes request with `top` gets. */
export function topProcesses(processes: readonly ProcessEntry[], n: number): ProcessEntry[] {
  // A few of many (the fleet asks for one): keep them in order while scanning, without sorting the whole list.
  if (n * 8 < processes.length) {
    const best: ProcessEntry[] = [];
    for (const p of processes) {
      if (best.length === n && compareBusiest(p, best[n - 1]!) >= 0) continue;
      let i = best.length === n ? n - 1 : best.length;
      while (i > 0 && compareBusiest(p, best[i - 1]!) < 0) {
        best[i] = best[i - 1]!;
        i--;
      }
      best[i] = p;
    }
    return best;
  }
  return [...processes].sort(compareBusiest).slice(0, n);
}

// ---------------------------------------------------------------- decoding

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A cursor over protobuf bytes; every read checks the end and throws on truncated or malformed input. */
class Reader {
  pos = 0;
  /** The low 32 bits of the last varint read, exact (the Number may be rounded above 2^53). */
  low = 0;
  readonly end: number;
  private readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.end = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** A varint of up to 10 bytes as a Number (exact up to 2^53, rounded above, as Number(BigInt) rounds). */
  varint(): number {
    const buf = this.buf;
    let lo = 0;
    let shift = 0;
    let b: number;
    // The first four bytes fit 28 bits of a 32-bit int.
    do {
      if (this.pos >= this.end) throw new Error("premature end of a varint");
      b = buf[this.pos++] as number;
      lo |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return (this.low = lo >>> 0);
    } while (shift < 28);
    // Byte 5 carries bits 28-34: the low four to the low word, the rest to the high word.
    if (this.pos >= this.end) throw new Error("premature end of a varint");
    b = buf[this.pos++] as number;
    lo = this.low = (lo | ((b & 0x0f) << 28)) >>> 0;
    let hi = (b & 0x70) >>> 4;
    if ((b & 0x80) === 0) return hi * 4294967296 + lo;
    shift = 3;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new Error("premature end of a varint");
      b = buf[this.pos++] as number;
      hi = (hi | ((b & 0x7f) << shift)) >>> 0;
      shift += 7;
      if ((b & 0x80) === 0) return hi * 4294967296 + lo;
    }
    throw new Error("invalid varint: over 10 bytes");
  }

  /** The low 32 bits of a varint, unsigned (as a uint32 field reads a longer one). */
  uint32(): number {
    this.varint();
    return this.low;
  }

  /** End offset of a length-delimited field that starts here, checked against `limit`. */
  delimited(limit: number): number {
    const n = this.varint();
    if (n > limit - this.pos) throw new Error(`premature end: a field of ${n} bytes with ${limit - this.pos} left`);
    return this.pos + n;
  }

  string(limit: number): string {
    const end = this.delimited(limit);
    const start = this.pos;
    this.pos = end;
    const buf = this.buf;
    // Names, users and states are short ASCII: build those without TextDecoder's call overhead.
    if (end - start <= 64) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        if ((buf[i] as number) > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
    }
    return strictUtf8.decode(buf.subarray(start, end));
  }

  float(limit: number): number {
    if (limit - this.pos < 4) throw new Error("premature end of a float");
    const value = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** A tag (field number << 3 | wire type); refuses field 0 and wire types 6 and 7. */
  tag(): number {
    const start = this.pos;
    const tag = this.uint32();
    const read = this.pos - start;
    if (read > 5 || (read === 5 && (this.buf[this.pos - 1] as number) > 0x0f)) throw new Error("illegal tag: varint overflows uint32");
    if (tag >>> 3 === 0 || (tag & 7) > 5) throw new Error(`illegal tag: field no ${tag >>> 3} wire type ${tag & 7}`);
    return tag;
  }

  /** Skips a field of an unknown number by its wire type (nested groups up to a depth). */
  skip(tag: number, limit: number, depth = 0): void {
    const wire = tag & 7;
    if (wire === 0) this.varint();
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (limit - this.pos < n) throw new Error("premature end of a fixed-size field");
      this.pos += n;
    } else if (wire === 2) this.pos = this.delimited(limit);
    else if (wire === 3) {
      if (depth >= 100) throw new Error("maximum recursion depth reached");
      for (;;) {
        if (this.pos >= limit) throw new Error("premature end of a group");
        const inner = this.tag();
        if ((inner & 7) === 4) {
          if (inner >>> 3 !== tag >>> 3) throw new Error("invalid end group tag");
          return;
        }
        this.skip(inner, limit, depth + 1);
      }
    } else throw new Error(`unexpected end group tag of field ${tag >>> 3}`);
  }
}

function wrongWire(tag: number): Error {
  return new Error(`process list: field ${tag >>> 3} has wire type ${tag & 7}`);
}

/** One Process message occupying [r.pos, end). */
function decodeProcess(r: Reader, end: number): ProcessEntry {
  const entry: ProcessEntry = { pid: 0, name: "", cpu_usage: 0, mem_bytes: 0 };
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x08) entry.pid = r.uint32();
    else if (tag === 0x12) entry.name = r.string(end);
    else if (tag === 0x1d) entry.cpu_usage = r.float(end);
    else if (tag === 0x20) entry.mem_bytes = r.varint();
    else if (tag === 0x28) entry.ppid = r.uint32();
    else if (tag === 0x30) entry.uid = r.uint32();
    else if (tag === 0x3a) entry.user = r.string(end);
    else if (tag === 0x42) entry.state = r.string(end);
    else if (tag === 0x48) entry.threads = r.uint32();
    else if (tag === 0x50) entry.start_time = r.varint();
    else if (tag === 0x5a) entry.command = r.string(end);
    else if (tag >>> 3 <= 11) throw wrongWire(tag);
    else r.skip(tag, end);
  }
  // A varint may run past the row's end into the next one: that is a malformed row.
  if (r.pos !== end) throw new Error("process list: a row overruns its length");
  return entry;
}

/** Decodes a (gunzipped) process list. Throws on bytes that are not a valid ProcessList. */
export function decodeProcessList(bytes: Uint8Array): ProcessListReply {
  const r = new Reader(bytes);
  let count = 0;
  const processes: ProcessEntry[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === 0x08) count = r.uint32();
    else if (tag === 0x12) processes.push(decodeProcess(r, r.delimited(r.end)));
    else if (tag >>> 3 <= 2) throw wrongWire(tag);
    else r.skip(tag, r.end);
  }
  return { process_count: count, processes };
}
