/**
 * One host in a few numbers (CPU, memory, fullest disk, busiest process, GPU,
 * temperature) and its connection state in one word. Shared by the fleet view
 * and `socktop status`, so both say the same thing about the same host.
 */
import { compareBusiest, type DiskInfo, type Metrics, type ProcessEntry } from "@socktop/protocol";

export interface Busiest {
  pid: number;
  name: string;
  cpu_pct: number;
}

export interface FullestDisk {
  name: string;
  pct: number;
}

export function clampPct(v: number): number {
  return Number.isFinite(v) ? Math.max(0, Math.min(100, v)) : 0;
}

export function memPct(m: Metrics): number | null {
  // Memory the agent could not read comes as null.
  return m.mem_total != null && m.mem_used != null && m.mem_total > 0 ? clampPct((m.mem_used / m.mem_total) * 100) : null;
}

/** The disk nearest to full (whole disks and partitions alike). */
export function fullestDisk(disks: readonly DiskInfo[] | null): FullestDisk | null {
  let best: FullestDisk | null = null;
  for (const d of disks ?? []) {
    if (!(d.total > 0)) continue;
    const pct = clampPct(((d.total - d.available) / d.total) * 100);
    if (!best || pct > best.pct) best = { name: d.name, pct };
  }
  return best;
}

/** Highest CPU, then most memory (compareBusiest, as the agent picks a `top` list). */
export function busiestProcess(list: readonly ProcessEntry[] | null): Busiest | null {
  let best: ProcessEntry | null = null;
  for (const p of list ?? []) if (!best || compareBusiest(p, best) < 0) best = p;
  return best ? { pid: best.pid, name: best.name, cpu_pct: clampPct(best.cpu_usage) } : null;
}

/** The busiest GPU's utilisation, null without GPUs. */
export function gpuPct(m: Metrics): number | null {
  let best: number | null = null;
  for (const g of m.gpus ?? []) if (g.usage != null && (best === null || g.usage > best)) best = g.usage;
  return best === null ? null : clampPct(best);
}

/** CPU temperature, else the hottest GPU. */
export function temperature(m: Metrics): number | null {
  if (m.cpu_temp_c != null) return m.cpu_temp_c;
  let best: number | null = null;
  for (const g of m.gpus ?? []) if (g.temp_c != null && (best === null || g.temp_c > best)) best = g.temp_c;
  return best;
}

/** A host's state in one word (the fleet's state column, `status` output, JSON `state`). */
export type HostState = "up" | "connecting" | "stale" | "refused" | "auth failed" | "TLS mismatch" | "TLS error" | "timeout" | "unreachable" | "down";

/** The word for a connector error (code, and the socket error under it). */
export function stateOfError(error: unknown): HostState {
  const code = (error as { code?: unknown } | null)?.code;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const message = error instanceof Error ? error.message : "";
  switch (code) {
    case "AUTH_FAILED":
      return "auth failed";
    case "CERTIFICATE_ERROR":
      return "TLS mismatch";
    case "TLS_ERROR":
      return "TLS error";
    case "TIMEOUT":
      return "timeout";
    case "CONNECTION_FAILED":
      if (cause?.code === "ECONNREFUSED" || /refused/i.test(message)) return "refused";
      return "unreachable";
    default:
      return "down";
  }
}
