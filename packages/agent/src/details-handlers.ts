/**
 * The process-details and journal requests, as handlers to plug into
 * RequestHandler:
 *
 *   new RequestHandler({ sources, log, ...createDetailsHandlers({ procRoot, log }) })
 *
 * Both are read only when asked and cached per pid (details 250 ms, journal
 * 1 s), failures included: a client polling a pid that has no journal costs
 * one journalctl run per second, not one per request.
 */
import { LEGACY_COMMAND, type ErrorCode, type JournalReply, type ProcessMetricsReply, type Request } from "@socktop/protocol";
import type { DetailsReader, JournalSource } from "./backend-choice.js";
import { KeyedTtlCache } from "./cache.js";
import { JournalReader, type JournalResult } from "./collectors/journal.js";
import { ProcessDetailsCollector, type DetailsResult } from "./collectors/process-details.js";
import type { RequestHandlerOptions, Session } from "./handler.js";
import type { Logger } from "./log.js";
import { ReplyMemo, envelope, errorReply, legacyJson, textJson, type EncodedReply } from "./replies.js";

export const DETAILS_CAPABILITIES: readonly string[] = ["process_metrics", "journal_entries"];
export const DEFAULT_DETAILS_TTL_MS = 250;
export const DEFAULT_JOURNAL_TTL_MS = 1000;
/** Cached pids per request kind. A details reply of a process with many threads can be large. */
const MAX_CACHED_PIDS = 64;

export interface DetailsHandlersOptions {
  log: Logger;
  procRoot?: string;
  /** journalctl by name (looked up on PATH) or path. */
  journalctl?: string;
  /** How long journalctl may run before it is killed. */
  timeoutMs?: number;
  detailsTtlMs?: number;
  journalTtlMs?: number;
  passwdPath?: string;
  /** Where journal files are looked for when journalctl returns nothing. */
  journalDirs?: readonly string[];
  pageSize?: number;
  /** Reads details instead of /proc (the portable backend). */
  detailsReader?: DetailsReader;
  /** Reads the journal instead of journalctl (platforms without systemd). */
  journalSource?: JournalSource;
}

type PidRequest = Request & { kind: "process_metrics" | "journal_entries"; pid: number };

export interface DetailsHandlers {
  capabilities: readonly string[];
  extraHandlers: NonNullable<RequestHandlerOptions["extraHandlers"]>;
  /** The readers behind the handlers (tests, self-metrics). */
  details: DetailsReader;
  journal: JournalSource;
}

export function createDetailsHandlers(options: DetailsHandlersOptions): DetailsHandlers {
  const procRoot = options.procRoot ?? "/proc";
  const details: DetailsReader = options.detailsReader ?? new ProcessDetailsCollector({
    procRoot,
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.passwdPath !== undefined ? { passwdPath: options.passwdPath } : {}),
  });
  const journal: JournalSource = options.journalSource ?? new JournalReader({
    procRoot,
    ...(options.journalctl !== undefined ? { command: options.journalctl } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.journalDirs !== undefined ? { journalDirs: options.journalDirs } : {}),
  });
  const detailsCache = new KeyedTtlCache<number, DetailsResult>(
    options.detailsTtlMs ?? DEFAULT_DETAILS_TTL_MS,
    (pid) => details.read(pid),
    MAX_CACHED_PIDS,
  );
  const journalCache = new KeyedTtlCache<number, JournalResult>(
    options.journalTtlMs ?? DEFAULT_JOURNAL_TTL_MS,
    (pid) => journal.read(pid),
    MAX_CACHED_PIDS,
  );
  // Within one TTL window every client of a pid gets the same encoded bytes (gzip once).
  const memo = new ReplyMemo<object>();
  // An agent on a machine without a journal would otherwise log on every request.
  const logged = new Set<string>();

  const encode = (request: PidRequest, value: ProcessMetricsReply | JournalReply): EncodedReply => {
    if (request.dialect === "legacy") return memo.get(value, "legacy", legacyJson);
    const text = memo.get(value, "json", textJson);
    return request.id === undefined ? text : envelope(request.id, request.kind, text.data as string);
  };
  const fail = (request: PidRequest, session: Session, code: ErrorCode, message: string): EncodedReply =>
    errorReply(
      {
        code,
        error: message,
        request: request.dialect === "legacy" ? LEGACY_COMMAND[request.kind] : request.kind,
        pid: request.pid,
        ...(request.id !== undefined ? { id: request.id } : {}),
      },
      session.protocol,
    );

  return {
    capabilities: DETAILS_CAPABILITIES,
    details,
    journal,
    extraHandlers: {
      process_metrics: async (request, session) => {
        const result = await detailsCache.get(request.pid);
        if (result.kind === "ok") return encode(request as PidRequest, result.reply);
        return fail(request as PidRequest, session, "NOT_FOUND", result.message);
      },
      journal_entries: async (request, session) => {
        const result = await journalCache.get(request.pid);
        if (result.kind === "ok") return encode(request as PidRequest, result.reply);
        if (result.code === "UNAVAILABLE") {
          const kind = result.message.replace(/[0-9]+/g, "N");
          if (!logged.has(kind) && logged.size < 32) {
            logged.add(kind);
            options.log.warn(`get_journal_entries: ${result.message}`);
          }
        }
        return fail(request as PidRequest, session, result.code, result.message);
      },
    },
  };
}
