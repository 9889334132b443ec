/**
 * A stand-in for the original Rust socktop_agent, as far as a client can
 * tell: no version headers, no subprotocol, only the legacy plain-text
 * commands, JSON longer than 768 bytes gzipped into binary frames, the
 * process list as protobuf (gzipped when long), `{error, request, pid}` for
 * unknown pids, and silence on anything else.
 */
import { gzipSync, constants } from "node:zlib";
import { WebSocketServer, type WebSocket } from "ws";
import { encodeProcessList, GZIP_THRESHOLD_BYTES } from "@socktop/protocol";
import type { AgentInfo } from "../../src/index.js";
import { startWsServer } from "./ws-server.js";

export interface OriginalAgent {
  url: string;
  port: number;
  /** Every text frame received, in order, across all connections. */
  received: string[];
  /** Upgrade requests seen: the subprotocols offered and the URL. */
  upgrades: Array<{ protocols: string | undefined; url: string }>;
  /** Wall-clock times (ms) at which each connection opened. */
  connectedAt: number[];
  clients: Set<WebSocket>;
  close(): Promise<void>;
}

export interface OriginalAgentOptions {
  /** When set, a wrong ?token= gets upgraded and closed at once, as the original does. */
  token?: string;
  /** Delay every reply by this many ms (stands for a slow network or agent). */
  replyDelayMs?: number;
  /** Replace a command's reply: return a reply, null to stay silent, or undefined for the usual reply. */
  override?: (command: string) => { data: string | Buffer; binary: boolean } | undefined | null;
  port?: number;
}

/** What the connector makes of the original agent: it states nothing, so protocol 1 and the legacy commands. */
export const ORIGINAL_AGENT_INFO: AgentInfo = {
  agentVersion: null,
  protocolVersion: 1,
  agentProtocolVersion: 1,
  agentMinProtocolVersion: null,
  capabilities: [],
  legacy: true,
  source: "none",
};

/** The original agent's metrics JSON: every key its client requires, GPU fields under its own names. */
export function originalMetrics(networks = 40): Record<string, unknown> {
  return {
    cpu_total: 12.5,
    cpu_per_core: [10, 15],
    mem_total: 16_000_000_000,
    mem_used: 8_000_000_000,
    swap_total: 0,
    swap_used: 0,
    hostname: "original-host",
    cpu_temp_c: 48.5,
    disks: [],
    networks: Array.from({ length: networks }, (_, i) => ({ name: `eth${i}`, received: 1000 + i, transmitted: 2000 + i })),
    top_processes: [],
    gpus: [{ name: "NVIDIA T4", utilization_gpu_pct: 56.5, mem_used_bytes: 1_073_741_824, mem_total_bytes: 8_589_934_592 }],
    process_count: 3,
  };
}

export const ORIGINAL_PROCESSES = Array.from({ length: 60 }, (_, i) => ({
  pid: 100 + i,
  name: `proc-${i}`,
  cpu_usage: i % 7,
  mem_bytes: 1_000_000 * (i + 1),
}));

/** JSON as the original sends it: text, or gzip (fast level) in a binary frame when longer than 768 bytes. */
export function originalJson(value: unknown): { data: string | Buffer; binary: boolean } {
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text) <= GZIP_THRESHOLD_BYTES) return { data: text, binary: false };
  return { data: gzipSync(text, { level: constants.Z_BEST_SPEED }), binary: true };
}

function reply(command: string): { data: string | Buffer; binary: boolean } | undefined {
  if (command === "get_metrics") return originalJson(originalMetrics());
  if (command === "get_disks") {
    // An older original: no temperature / is_partition fields.
    return originalJson([
      { name: "sda1", total: 1000, available: 400 },
      { name: "nvme0n1p2", total: 5000, available: 2500 },
    ]);
  }
  if (command === "get_processes") {
    const bytes = Buffer.from(encodeProcessList(ORIGINAL_PROCESSES));
    return { data: bytes.length > GZIP_THRESHOLD_BYTES ? gzipSync(bytes, { level: constants.Z_BEST_SPEED }) : bytes, binary: true };
  }
  const details = /^get_process_metrics:(\d+)$/.exec(command);
  if (details) {
    const pid = Number(details[1]);
    if (pid !== 4242) return originalJson({ error: `Process ${pid} not found`, request: "get_process_metrics", pid });
    const process = {
      pid, name: "nginx", command: "nginx: worker process", cpu_usage: 1.5, mem_bytes: 10485760, virtual_mem_bytes: 104857600,
      shared_mem_bytes: 4194304, thread_count: 1, fd_count: 12, status: "Sleeping", parent_pid: 4200, user_id: 33, group_id: 33,
      start_time: 1764050000, cpu_time_user: 1200000, cpu_time_system: 300000, read_bytes: 123456, write_bytes: 654321,
      working_directory: "/", executable_path: "/usr/sbin/nginx", child_processes: [],
      threads: [{ tid: pid, name: "nginx", cpu_time_user: 1200000, cpu_time_system: 300000, status: "Sleeping" }],
    };
    return originalJson({ process, cached_at: 1764060000 });
  }
  const journal = /^get_journal_entries:(\d+)$/.exec(command);
  if (journal) {
    const pid = Number(journal[1]);
    if (pid !== 4242) return originalJson({ error: `Process ${pid} not found`, request: "get_journal_entries", pid });
    return originalJson({
      entries: [{ timestamp: "2026-11-25T06:00:00.000Z", priority: "Warning", message: "disk almost full", unit: "backup.service", pid, comm: "backup", uid: 0, gid: 0 }],
      total_count: 1,
      truncated: false,
      cached_at: 1764060000,
    });
  }
  return undefined; // the original ignores anything else
}

export async function startOriginalAgent(options: OriginalAgentOptions = {}): Promise<OriginalAgent> {
  // The original selects no subprotocol whatever the client offers.
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => false, perMessageDeflate: false });
  const received: string[] = [];
  const connectedAt: number[] = [];
  // Replies held back by replyDelayMs; dropped on close so that nothing outlives the test.
  const delays = new Set<ReturnType<typeof setTimeout>>();
  const server = await startWsServer(
    wss,
    (ws, req) => {
      connectedAt.push(Date.now());
      const token = new URL(req.url ?? "/", "http://x").searchParams.get("token");
      if (options.token !== undefined && token !== options.token) {
        ws.close();
        return;
      }
      let tail = Promise.resolve();
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        const command = data.toString().trim();
        received.push(command);
        const custom = options.override?.(command);
        const answer = custom === null ? undefined : custom ?? reply(command);
        if (answer === undefined) return;
        const delay = options.replyDelayMs ?? 0;
        tail = tail.then(async () => {
          if (delay > 0) {
            await new Promise<void>((r) => {
              const timer = setTimeout(() => {
                delays.delete(timer);
                r();
              }, delay);
              delays.add(timer);
            });
          }
          if (ws.readyState === ws.OPEN) ws.send(answer.data, { binary: answer.binary });
        });
      });
    },
    options.port,
  );
  return {
    ...server,
    received,
    connectedAt,
    close: async () => {
      for (const timer of delays) clearTimeout(timer);
      delays.clear();
      await server.close();
    },
  };
}
