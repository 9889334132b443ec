/**
 * Process details and journal replies (`get_process_metrics:<pid>`,
 * `get_journal_entries:<pid>` and their JSON forms), in the shape the
 * original socktop clients parse. Fields the agent cannot read (another
 * user's process, a kernel thread) are null.
 */
import { Type, type Static } from "@sinclair/typebox";
import { NullableBytes, strict } from "./common.js";

const micros = () => Type.Integer({ minimum: 0, description: "Microseconds." });
const nullableMicros = () =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "Microseconds; null where the platform does not give it." });
const nullableId = () => Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);
const nullableString = () => Type.Union([Type.String(), Type.Null()]);

export const ThreadInfoShape = strict({
  tid: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  cpu_time_user: micros(),
  cpu_time_system: micros(),
  status: Type.String({ description: 'State from /proc spelled out (e.g. "Sleeping").' }),
});
export type ThreadInfo = Static<typeof ThreadInfoShape>;

export const ProcessDetailsShape = Type.Recursive(
  (Self) =>
    strict({
      pid: Type.Integer({ minimum: 1 }),
      name: Type.String(),
      command: Type.String({ description: "argv joined by spaces; empty for kernel threads." }),
      cpu_usage: Type.Number({ minimum: 0, maximum: 100, description: "Percent of the whole machine, as in the process list." }),
      mem_bytes: Type.Integer({ minimum: 0 }),
      virtual_mem_bytes: Type.Integer({ minimum: 0 }),
      shared_mem_bytes: NullableBytes(),
      thread_count: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
        description: "null where the platform does not give it (the portable backend).",
      }),
      fd_count: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      status: Type.String(),
      parent_pid: nullableId(),
      user_id: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "Real uid from /proc/<pid>/status." }),
      group_id: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "Real gid from /proc/<pid>/status." }),
      user_name: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "User name for user_id, when it resolves locally." })),
      start_time: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
        description: "Unix seconds; null where the platform does not give it.",
      }),
      cpu_time_user: nullableMicros(),
      cpu_time_system: nullableMicros(),
      read_bytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "rchar from /proc/<pid>/io." }),
      write_bytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "wchar from /proc/<pid>/io." }),
      working_directory: nullableString(),
      executable_path: nullableString(),
      child_processes: Type.Array(Self),
      threads: Type.Array(ThreadInfoShape),
    }),
  { $id: "ProcessDetails" },
);
export type ProcessDetails = Static<typeof ProcessDetailsShape>;

export const ProcessMetricsReplyShape = strict(
  {
    process: ProcessDetailsShape,
    cached_at: Type.Integer({ minimum: 0, description: "Unix seconds when the details were read." }),
  },
  { title: 'Process details: reply to {"type":"process_metrics","pid":N} and get_process_metrics:<pid>' },
);
export type ProcessMetricsReply = Static<typeof ProcessMetricsReplyShape>;

export const JournalPriorityShape = Type.Union([
  Type.Literal("Emergency"),
  Type.Literal("Alert"),
  Type.Literal("Critical"),
  Type.Literal("Error"),
  Type.Literal("Warning"),
  Type.Literal("Notice"),
  Type.Literal("Info"),
  Type.Literal("Debug"),
]);
export type JournalPriority = Static<typeof JournalPriorityShape>;

/** ISO 8601 / RFC 3339 date-time, as journalctl's timestamps are rendered. */
const ISO_DATE_TIME = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$";

export const JournalEntryShape = strict({
  timestamp: Type.String({ pattern: ISO_DATE_TIME, description: "ISO 8601." }),
  priority: JournalPriorityShape,
  message: Type.String(),
  unit: Type.Optional(nullableString()),
  pid: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  comm: Type.Optional(nullableString()),
  uid: Type.Optional(nullableId()),
  gid: Type.Optional(nullableId()),
});
export type JournalEntry = Static<typeof JournalEntryShape>;

export const JournalReplyShape = strict(
  {
    entries: Type.Array(JournalEntryShape, { description: "Newest first." }),
    total_count: Type.Integer({ minimum: 0 }),
    truncated: Type.Boolean({ description: "True when the agent's limit (100) was reached." }),
    cached_at: Type.Integer({ minimum: 0, description: "Unix seconds." }),
  },
  { title: 'Journal: reply to {"type":"journal_entries","pid":N} and get_journal_entries:<pid>' },
);
export type JournalReply = Static<typeof JournalReplyShape>;
