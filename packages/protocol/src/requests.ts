/**
 * Requests: the two dialects a client may speak on `/ws`, parsed into one typed form.
 *
 * - "json" (the JSON dialect): the agent README's `{"type":"metrics"}` frames (plus `process_metrics`,
 *   `journal_entries`, `hello`, `load`, `disk_io`, `cgroups` and `signal`), optionally with a protocol-2 `id`;
 *   `{"type":"processes"}` optionally with `top` (only the N busiest processes).
 * - "legacy" (the legacy dialect): the original socktop clients' plain-text commands
 *   (`get_metrics`, `get_disks`, `get_processes`, `get_process_metrics:<pid>`,
 *   `get_journal_entries:<pid>`), plus `get_load`, `get_disk_io` and
 *   `get_cgroups` in the same style. Signals have no plain-text form.
 */
import type { SignalName } from "./shapes/index.js";
import { ALLOWED_SIGNALS } from "./system.js";
import type { ErrorCode, RequestId } from "./shapes/index.js";

export type Dialect = "json" | "legacy";

export type RequestKind =
  | "metrics"
  | "disks"
  | "processes"
  | "process_metrics"
  | "journal_entries"
  | "hello"
  | "load"
  | "disk_io"
  | "cgroups"
  | "signal";

/** Requests without arguments. */
type SimpleKind = "metrics" | "disks" | "hello" | "load" | "disk_io" | "cgroups";

interface RequestBase {
  dialect: Dialect;
  /** Protocol-2 request id, echoed in the reply envelope. JSON dialect only. */
  id?: RequestId;
}

export type Request =
  | (RequestBase & { kind: SimpleKind })
  /** `top`: only the N busiest processes (JSON only; agents that state `processes_top`). */
  | (RequestBase & { kind: "processes"; top?: number })
  | (RequestBase & { kind: "process_metrics" | "journal_entries"; pid: number })
  | (RequestBase & { kind: "signal"; pid: number; signal: SignalName });

/** Why a frame is not a request, with what to echo back in the error reply. */
export interface InvalidRequest {
  kind: "invalid";
  code: ErrorCode;
  error: string;
  /** What the client asked for, as far as it could be read (command word, `type`, or the frame's start). */
  request: string | null;
  dialect: Dialect | null;
  pid?: number | null;
  id?: RequestId;
}

export type ParsedRequest = Request | InvalidRequest;

/** The largest pid the kernel can hand out is below 2^22; anything above u32 is not a pid at all. */
export const MAX_PID = 0xffff_ffff;
/** Longest request id echoed back. */
export const MAX_REQUEST_ID_LENGTH = 64;
/** Largest `top` of a processes request (more than any machine's process list is long in practice). */
export const MAX_TOP_PROCESSES = 65_535;
/** How much of an unreadable frame is quoted back in the error reply. */
const QUOTE_LIMIT = 64;

const LEGACY_SIMPLE: Record<string, Exclude<SimpleKind, "hello"> | "processes"> = {
  get_metrics: "metrics",
  get_disks: "disks",
  get_processes: "processes",
  // Not known to the original clients; commands in the same dialect for scripts (websocat).
  get_load: "load",
  get_disk_io: "disk_io",
  get_cgroups: "cgroups",
};

const LEGACY_WITH_PID: Record<string, "process_metrics" | "journal_entries"> = {
  get_process_metrics: "process_metrics",
  get_journal_entries: "journal_entries",
};

const JSON_KINDS = new Set<string>([
  "metrics",
  "disks",
  "processes",
  "process_metrics",
  "journal_entries",
  "hello",
  "load",
  "disk_io",
  "cgroups",
  "signal",
]);

/** The legacy command word for a request kind (what the original clients send). Signals have none: JSON only. */
export const LEGACY_COMMAND: Record<Exclude<Request["kind"], "hello" | "signal">, string> = {
  metrics: "get_metrics",
  disks: "get_disks",
  processes: "get_processes",
  process_metrics: "get_process_metrics",
  journal_entries: "get_journal_entries",
  load: "get_load",
  disk_io: "get_disk_io",
  cgroups: "get_cgroups",
};

/** The word a reply or log line names a request by: its legacy command, or its JSON type. */
export function requestName(request: Pick<Request, "kind" | "dialect">): string {
  if (request.dialect === "legacy" && request.kind !== "hello" && request.kind !== "signal") return LEGACY_COMMAND[request.kind];
  return request.kind;
}

/** Reads a signal name as a client may write it: "TERM" or "SIGTERM", any case. */
export function parseSignalName(value: unknown): SignalName | null {
  if (typeof value !== "string") return null;
  const upper = value.toUpperCase();
  const name = upper.startsWith("SIG") ? upper.slice(3) : upper;
  return (ALLOWED_SIGNALS as readonly string[]).includes(name) ? (name as SignalName) : null;
}

function quote(text: string): string {
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

/** Parses a pid as written by a client: a decimal integer in 1..2^32-1. */
export function parsePid(value: unknown): number | null {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 1 && value <= MAX_PID ? value : null;
  }
  if (typeof value === "string" && /^[0-9]{1,10}$/.test(value)) {
    const pid = Number(value);
    return pid >= 1 && pid <= MAX_PID ? pid : null;
  }
  return null;
}

function parseLegacy(text: string): ParsedRequest {
  const simple = LEGACY_SIMPLE[text];
  if (simple !== undefined) return { kind: simple, dialect: "legacy" };
  const colon = text.indexOf(":");
  const command = colon >= 0 ? text.slice(0, colon) : text;
  const withPid = LEGACY_WITH_PID[command];
  if (withPid === undefined) {
    return {
      kind: "invalid",
      code: "UNKNOWN_REQUEST",
      error: `Unknown request '${quote(text)}': expected a JSON request such as {"type":"metrics"} or one of get_metrics, get_disks, get_processes, get_process_metrics:<pid>, get_journal_entries:<pid>, get_load, get_disk_io, get_cgroups`,
      request: quote(text),
      dialect: "legacy",
    };
  }
  const argument = colon >= 0 ? text.slice(colon + 1).trim() : "";
  const pid = parsePid(argument);
  if (pid === null) {
    return {
      kind: "invalid",
      code: "INVALID_PID",
      error: `Invalid pid '${quote(argument)}': expected ${command}:<pid> with a pid from 1 to ${MAX_PID}`,
      request: command,
      dialect: "legacy",
      pid: null,
    };
  }
  return { kind: withPid, dialect: "legacy", pid };
}

function parseRequestId(value: unknown): RequestId | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && value.length <= MAX_REQUEST_ID_LENGTH) return value;
  return null;
}

function parseJson(text: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      kind: "invalid",
      code: "MALFORMED_REQUEST",
      error: `Malformed JSON request: expected an object such as {"type":"metrics"}`,
      request: quote(text),
      dialect: "json",
    };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return {
      kind: "invalid",
      code: "MALFORMED_REQUEST",
      error: `A request must be a JSON object with a "type" field, not ${value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`}`,
      request: quote(text),
      dialect: "json",
    };
  }
  const fields = value as Record<string, unknown>;
  const id = parseRequestId(fields.id);
  if (id === null) {
    return {
      kind: "invalid",
      code: "MALFORMED_REQUEST",
      error: `"id" must be an integer or a string of at most ${MAX_REQUEST_ID_LENGTH} characters`,
      request: typeof fields.type === "string" ? quote(fields.type) : null,
      dialect: "json",
    };
  }
  const withId = <T extends object>(r: T): T & { id?: RequestId } => (id === undefined ? r : { ...r, id });
  const type = fields.type;
  if (typeof type !== "string") {
    return withId({
      kind: "invalid",
      code: "MALFORMED_REQUEST",
      error: `A request needs a string "type" field: one of ${[...JSON_KINDS].join(", ")}`,
      request: null,
      dialect: "json",
    } as const);
  }
  if (!JSON_KINDS.has(type)) {
    return withId({
      kind: "invalid",
      code: "UNKNOWN_REQUEST",
      error: `Unknown request type '${quote(type)}': expected one of ${[...JSON_KINDS].join(", ")}`,
      request: quote(type),
      dialect: "json",
    } as const);
  }
  if (type === "process_metrics" || type === "journal_entries") {
    const pid = parsePid(fields.pid);
    if (pid === null) {
      return withId({
        kind: "invalid",
        code: "INVALID_PID",
        error:
          fields.pid === undefined || fields.pid === null
            ? `"${type}" needs a "pid" field: an integer from 1 to ${MAX_PID}`
            : `Invalid pid ${quote(JSON.stringify(fields.pid) ?? String(fields.pid))}: "pid" must be an integer from 1 to ${MAX_PID}`,
        request: type,
        dialect: "json",
        pid: null,
      } as const);
    }
    return withId({ kind: type, dialect: "json", pid } as const);
  }
  if (type === "signal") {
    const pid = parsePid(fields.pid);
    if (pid === null) {
      return withId({
        kind: "invalid",
        code: "INVALID_PID",
        error: `"signal" needs a "pid" field: an integer from 1 to ${MAX_PID}`,
        request: type,
        dialect: "json",
        pid: null,
      } as const);
    }
    const signal = parseSignalName(fields.signal);
    if (signal === null) {
      return withId({
        kind: "invalid",
        code: "MALFORMED_REQUEST",
        error: `"signal" needs a "signal" field: one of ${ALLOWED_SIGNALS.join(", ")}`,
        request: type,
        dialect: "json",
        pid,
      } as const);
    }
    return withId({ kind: "signal", dialect: "json", pid, signal } as const);
  }
  if (type === "processes" && fields.top !== undefined && fields.top !== null) {
    const top = fields.top;
    if (typeof top !== "number" || !Number.isInteger(top) || top < 1 || top > MAX_TOP_PROCESSES) {
      return withId({
        kind: "invalid",
        code: "MALFORMED_REQUEST",
        error: `"top" must be an integer from 1 to ${MAX_TOP_PROCESSES}, not ${quote(JSON.stringify(top) ?? String(top))}`,
        request: type,
        dialect: "json",
      } as const);
    }
    return withId({ kind: "processes", dialect: "json", top } as const);
  }
  return withId({ kind: type as SimpleKind | "processes", dialect: "json" } as const);
}

/** Request bytes as text (invalid sequences become U+FFFD: the JSON parse then says what is wrong). */
const utf8 = new TextDecoder();

/**
 * Reads one WebSocket frame as a request. Never throws: anything that is not a
 * request comes back as an `InvalidRequest` carrying the error to reply with.
 */
export function parseRequest(frame: string | Uint8Array, isBinary = false): ParsedRequest {
  if (!isBinary && typeof frame === "string") {
    const frequent = (frequentRequests ??= parsedFrequentRequests()).get(frame);
    if (frequent !== undefined) return frequent;
  }
  if (isBinary) {
    return {
      kind: "invalid",
      code: "MALFORMED_REQUEST",
      error: "Binary frames are not requests: send requests as text frames",
      request: null,
      dialect: null,
    };
  }
  const text = (typeof frame === "string" ? frame : utf8.decode(frame)).trim();
  if (text.length === 0) {
    return {
      kind: "invalid",
      code: "MALFORMED_REQUEST",
      error: `Empty request: send {"type":"metrics"}, {"type":"disks"} or {"type":"processes"}`,
      request: null,
      dialect: null,
    };
  }
  return parseText(text);
}

/** A trimmed, non-empty frame in whichever dialect it is written. */
function parseText(text: string): ParsedRequest {
  return text.startsWith("{") || text.startsWith("[") || text.startsWith('"') ? parseJson(text) : parseLegacy(text);
}

/** The frame a client sends for a request in a dialect. */
export function encodeRequest(request: Request): string {
  if (request.dialect === "legacy") {
    if (request.kind === "hello" || request.kind === "signal") throw new RangeError(`${request.kind} has no legacy command`);
    if ("top" in request && request.top !== undefined) throw new RangeError("processes with top has no legacy command");
    const command = LEGACY_COMMAND[request.kind];
    return "pid" in request ? `${command}:${request.pid}` : command;
  }
  const body: Record<string, unknown> = { type: request.kind };
  if ("pid" in request) body.pid = request.pid;
  if ("signal" in request) body.signal = request.signal;
  if ("top" in request && request.top !== undefined) body.top = request.top;
  if (request.id !== undefined) body.id = request.id;
  return JSON.stringify(body);
}

/**
 * The frames a watching client sends again and again, each parsed once: every
 * argument-free request without an id, in both dialects, exactly as
 * encodeRequest writes it (`{"type":"metrics"}`, `get_metrics`, …). A watcher
 * sends one twice a second; the agent answers it with the same frozen request
 * instead of JSON.parse and the checks each time. Built lazily from
 * encodeRequest and the ordinary parse, so it cannot disagree with either.
 */
let frequentRequests: ReadonlyMap<string, Request> | undefined;

function parsedFrequentRequests(): ReadonlyMap<string, Request> {
  const frames = new Map<string, Request>();
  for (const kind of [...Object.values(LEGACY_SIMPLE), "hello"] as const) {
    for (const dialect of ["json", "legacy"] as const) {
      if (dialect === "legacy" && kind === "hello") continue;
      const frame = encodeRequest({ kind, dialect });
      const parsed = parseText(frame);
      if (parsed.kind === "invalid") throw new Error(`encodeRequest wrote a frame its parser refuses: ${frame}`);
      frames.set(frame, Object.freeze(parsed));
    }
  }
  return frames;
}
