/**
 * Process details and journal replies (`get_process_metrics:<pid>`,
 * `get_journal_entries:<pid>` and their JSON forms), in the shape the
 * original socktop clients parse. Fields the agent cannot read (another
 * user's process, a kernel thread) are null.
 */

export interface ThreadInfo {
  tid: number;
  name: string;
  /** Microseconds. */
  cpu_time_user: number;
  /** Microseconds. */
  cpu_time_system: number;
  /** One-letter state from /proc (R, S, D, Z, T, I, …), spelled out (e.g. "Sleeping"). */
  status: string;
}

export interface ProcessDetails {
  pid: number;
  name: string;
  /** argv joined by spaces; empty for kernel threads. */
  command: string;
  /** Percent of the whole machine, as in the process list. */
  cpu_usage: number;
  mem_bytes: number;
  virtual_mem_bytes: number;
  shared_mem_bytes: number | null;
  thread_count: number;
  fd_count: number | null;
  status: string;
  parent_pid: number | null;
  /** Real uid and gid from /proc/<pid>/status. */
  user_id: number | null;
  group_id: number | null;
  /** User name for user_id, when it resolves locally. */
  user_name?: string | null;
  /** Unix seconds. */
  start_time: number;
  /** Microseconds. */
  cpu_time_user: number;
  /** Microseconds. */
  cpu_time_system: number;
  /** rchar / wchar from /proc/<pid>/io. */
  read_bytes: number | null;
  write_bytes: number | null;
  working_directory: string | null;
  executable_path: string | null;
  child_processes: ProcessDetails[];
  threads: ThreadInfo[];
}

export interface ProcessMetricsReply {
  process: ProcessDetails;
  /** Unix seconds when the details were read. */
  cached_at: number;
}

export type JournalPriority =
  | "Emergency"
  | "Alert"
  | "Critical"
  | "Error"
  | "Warning"
  | "Notice"
  | "Info"
  | "Debug";

export interface JournalEntry {
  /** ISO 8601. */
  timestamp: string;
  priority: JournalPriority;
  message: string;
  unit?: string | null;
  pid?: number | null;
  comm?: string | null;
  uid?: number | null;
  gid?: number | null;
}

export interface JournalReply {
  /** Newest first. */
  entries: JournalEntry[];
  total_count: number;
  /** True when the agent's limit (100) was reached. */
  truncated: boolean;
  /** Unix seconds. */
  cached_at: number;
}
