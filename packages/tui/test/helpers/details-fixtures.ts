/** Replies of the details and journal requests, for the details view's tests. */
import type { JournalEntry, JournalPriority, JournalReply, ProcessDetails, ProcessMetricsReply, ThreadInfo } from "@socktop/protocol";

/** 2024-05-17 13:37:42 local time, the render tests' clock. */
export const NOW = new Date(2024, 4, 17, 13, 37, 42).getTime();
export const PID = 4242;
/** Started 1h 2m 3s before NOW. */
export const START = Math.floor(NOW / 1000) - 3723;

export function thread(tid: number, name: string, userMs: number, sysMs: number, status = "Sleeping"): ThreadInfo {
  return { tid, name, cpu_time_user: userMs * 1000, cpu_time_system: sysMs * 1000, status };
}

export function threads(n = 12): ThreadInfo[] {
  const out = [thread(PID, "api-server", 61_230, 4_500, "Running")];
  for (let i = 1; i < n; i++) out.push(thread(PID + i, i < 5 ? `libuv-worker-${i}` : `node-${i}`, (i * 977) % 5000, (i * 131) % 700));
  return out;
}

export function child(pid: number, name: string, command: string, cpu = 0, memMiB = 1): ProcessDetails {
  return details({ pid, name, command, cpu_usage: cpu, mem_bytes: memMiB * 1024 * 1024, parent_pid: PID, child_processes: [], threads: [], thread_count: 1 });
}

export function details(overrides: Partial<ProcessDetails> = {}): ProcessDetails {
  return {
    pid: PID,
    name: "api-server",
    command: "node /srv/api/server.js --port 8080 --workers 4",
    cpu_usage: 3.5,
    mem_bytes: 256 * 1024 * 1024,
    virtual_mem_bytes: 1.2 * 1024 ** 3,
    shared_mem_bytes: 12 * 1024 * 1024,
    thread_count: 12,
    fd_count: 23,
    status: "Sleeping",
    parent_pid: 1,
    user_id: 1000,
    group_id: 1000,
    user_name: "alice",
    start_time: START,
    cpu_time_user: 65_730_000,
    cpu_time_system: 5_200_000,
    read_bytes: 10 * 1024 * 1024,
    write_bytes: 2 * 1024 * 1024,
    working_directory: "/srv/api",
    executable_path: "/usr/bin/node",
    ...overrides,
    // Built only when not overridden: a child is made by this very function.
    child_processes:
      overrides.child_processes ?? [child(4250, "sleep", "sleep 600", 0, 1), child(4251, "report-worker", "node /srv/api/report-worker.js --queue reports", 1.5, 48)],
    threads: overrides.threads ?? threads(),
  };
}

export function metricsReply(overrides: Partial<ProcessDetails> = {}): ProcessMetricsReply {
  return { process: details(overrides), cached_at: Math.floor(NOW / 1000) };
}

export function entry(priority: JournalPriority, message: string, secondsAgo: number): JournalEntry {
  return { timestamp: new Date(NOW - secondsAgo * 1000).toISOString(), priority, message, unit: "api.service", pid: PID, comm: "api-server" };
}

export function journal(entries?: JournalEntry[]): JournalReply {
  const list = entries ?? [
    entry("Error", "upstream timed out after 30s: GET /v1/reports", 5),
    entry("Warning", "slow query (1.9 s): SELECT * FROM reports", 12),
    entry("Notice", "reloaded configuration", 60),
    entry("Info", "listening on :8080", 3700),
    entry("Debug", "gc: 12 ms", 3710),
    entry("Critical", "worker 3 crashed", 3715),
    entry("Alert", "disk almost full", 3716),
    entry("Emergency", "cannot continue", 3717),
  ];
  return { entries: list, total_count: list.length, truncated: false, cached_at: Math.floor(NOW / 1000) };
}

/** An AgentError as the connector makes it (code AGENT_ERROR, the agent's own words). */
export function agentError(agentMessage: string, agentCode: string | null = null, pid = PID): Error {
  return Object.assign(new Error(`The agent could not answer${agentCode ? ` (${agentCode})` : ""}: ${agentMessage}`), {
    code: "AGENT_ERROR",
    agentMessage,
    agentCode,
    pid,
  });
}

export const NO_JOURNAL = "No systemd journal on this machine: journalctl found no journal files";
