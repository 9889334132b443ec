/**
 * CPU and memory per control group (cgroup v2): which systemd service, user
 * session, container or pod is using the machine.
 *
 * The kernel already accounts every group: `cpu.stat`'s usage_usec (CPU time
 * of the group and its descendants) exists in every v2 group even without
 * the cpu controller, `memory.current` where the memory controller is
 * enabled, and `cgroup.procs` lists the group's own processes. This module
 * walks the hierarchy only when asked and turns two readings into CPU
 * percentages of the whole machine, as the process list does.
 *
 * Hierarchies: a unified (v2-only) /sys/fs/cgroup; a hybrid machine's
 * /sys/fs/cgroup/unified (CPU only: the memory controller is on v1 there);
 * a v1-only machine or none at all is "unavailable", with the reason.
 */
import { existsSync, readdirSync, type Dirent } from "node:fs";
import { parseProcStat } from "./cpu.js";
import { classifyCgroup, type CgroupIdentity } from "./cgroup-names.js";
import { CLOCK_TICKS_PER_SECOND, ReusableFileReader } from "./procfs.js";

/** Deepest level walked; systemd and Kubernetes stay well under ten. */
export const MAX_CGROUP_DEPTH = 32;
/** Groups reported at most; a reply lists each with its pids. */
export const MAX_CGROUPS = 4096;
/** Hand the event loop back after this many groups. */
const YIELD_EVERY = 128;

export type CgroupHierarchy =
  | { kind: "unified"; root: string }
  | { kind: "hybrid"; root: string }
  | { kind: "unavailable"; reason: string };

/** Where the v2 hierarchy is under `sysRoot`, or why there is none. */
export function detectHierarchy(sysRoot: string): CgroupHierarchy {
  const base = `${sysRoot}/fs/cgroup`;
  if (existsSync(`${base}/cgroup.controllers`)) return { kind: "unified", root: base };
  if (existsSync(`${base}/unified/cgroup.controllers`)) return { kind: "hybrid", root: `${base}/unified` };
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    entries = [];
  }
  if (entries.length === 0) {
    return { kind: "unavailable", reason: `no cgroup file system is mounted at ${base}: per-service CPU and memory need cgroup v2` };
  }
  if (entries.some((e) => /^(cpu|cpuacct|memory|cpu,cpuacct|pids|systemd)$/.test(e))) {
    return {
      kind: "unavailable",
      reason: `this machine has cgroup v1 only (${base} holds v1 controllers and no unified hierarchy): per-service CPU and memory need cgroup v2 (boot with systemd.unified_cgroup_hierarchy=1)`,
    };
  }
  return { kind: "unavailable", reason: `no cgroup v2 hierarchy at ${base} (no cgroup.controllers there)` };
}

export interface CpuStat {
  usageUsec: number;
  userUsec: number | null;
  systemUsec: number | null;
}

/** Parses `cpu.stat` ("usage_usec 123\nuser_usec 100\n…"); null without usage_usec. */
export function parseCpuStat(text: string): CpuStat | null {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key !== undefined && value !== undefined && /^[0-9]+$/.test(value)) values.set(key, Number(value));
  }
  const usageUsec = values.get("usage_usec");
  if (usageUsec === undefined) return null;
  return { usageUsec, userUsec: values.get("user_usec") ?? null, systemUsec: values.get("system_usec") ?? null };
}

/** Parses `memory.current` or `memory.max`: bytes; null for "max" (no limit) or anything else. */
export function parseMemoryValue(text: string): number | null {
  const t = text.trim();
  return /^[0-9]+$/.test(t) ? Number(t) : null;
}

/** Parses `cgroup.procs`: one pid per line. */
export function parseCgroupProcs(text: string): number[] {
  const pids: number[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (/^[0-9]+$/.test(t)) pids.push(Number(t));
  }
  return pids;
}

/** One group as read at one moment. */
export interface CgroupSample extends CgroupIdentity {
  /** Relative to the hierarchy root, starting with "/". */
  path: string;
  name: string;
  usageUsec: number;
  memBytes: number | null;
  memLimitBytes: number | null;
  pids: number[];
}

export interface CgroupReading {
  groups: CgroupSample[];
  /** Total jiffies of /proc/stat's cpu line when the walk started; null when unreadable. */
  totalJiffies: number | null;
  /** Groups left out because of {@link MAX_CGROUPS}. */
  truncated: boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Walks the hierarchy under `root` (root itself excluded: its figures are
 * the machine's, which fast metrics report). A group whose files vanish
 * while it is read was removed meanwhile: it is left out, with its subtree.
 */
export async function readCgroups(root: string, procRoot: string, reader = new ReusableFileReader(4096)): Promise<CgroupReading> {
  const read = (path: string): string | null => {
    try {
      return reader.read(path);
    } catch {
      return null;
    }
  };
  const procStat = read(`${procRoot}/stat`);
  let totalJiffies: number | null = null;
  if (procStat !== null) {
    try {
      totalJiffies = parseProcStat(procStat).total.total;
    } catch {
      totalJiffies = null;
    }
  }
  const groups: CgroupSample[] = [];
  let truncated = false;
  let sinceYield = 0;
  // Depth-first in name order, so parents precede their children.
  const stack: Array<{ rel: string; depth: number }> = [{ rel: "", depth: 0 }];
  while (stack.length > 0) {
    const { rel, depth } = stack.pop() as { rel: string; depth: number };
    let entries: Dirent[];
    try {
      entries = readdirSync(`${root}${rel}`, { withFileTypes: true });
    } catch {
      continue;
    }
    const children = entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
      .reverse();
    if (depth >= MAX_CGROUP_DEPTH) continue;
    for (const child of children) stack.push({ rel: `${rel}/${child}`, depth: depth + 1 });
    if (rel === "") continue;
    if (groups.length >= MAX_CGROUPS) {
      truncated = true;
      break;
    }
    const dir = `${root}${rel}`;
    const procs = read(`${dir}/cgroup.procs`);
    const cpu = procs === null ? null : read(`${dir}/cpu.stat`);
    const stat = cpu === null ? null : parseCpuStat(cpu);
    if (procs === null || stat === null) continue;
    const memCurrent = read(`${dir}/memory.current`);
    const memMax = memCurrent === null ? null : read(`${dir}/memory.max`);
    groups.push({
      path: rel,
      name: rel.slice(rel.lastIndexOf("/") + 1),
      ...classifyCgroup(rel),
      usageUsec: stat.usageUsec,
      memBytes: memCurrent === null ? null : parseMemoryValue(memCurrent),
      memLimitBytes: memMax === null ? null : parseMemoryValue(memMax),
      pids: parseCgroupProcs(procs),
    });
    if (++sinceYield === YIELD_EVERY) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  return { groups, totalJiffies, truncated };
}

/** One group in a cgroups reply. */
export interface CgroupUsage extends CgroupIdentity {
  path: string;
  name: string;
  /** Percent of the whole machine (all cores) since the previous reading, group and descendants; null when unknown. */
  cpu_usage: number | null;
  /** Cumulative CPU time of the group and its descendants, microseconds. */
  cpu_usec: number;
  /** memory.current (group and descendants); null without the memory controller. */
  mem_bytes: number | null;
  /** memory.max; null when unlimited or unknown. */
  mem_limit_bytes: number | null;
  /** The group's own processes (not its descendants'). */
  pids: number[];
}

const MICROS_PER_JIFFY = 1_000_000 / CLOCK_TICKS_PER_SECOND;

/**
 * CPU percentages between two readings. A group absent from the previous
 * reading was created after it (the walk sees every group), so all of its
 * CPU time falls inside the interval.
 */
export function cgroupUsage(previous: CgroupReading | null, current: CgroupReading): CgroupUsage[] {
  const before = new Map(previous?.groups.map((g) => [g.path, g.usageUsec]));
  const elapsedJiffies =
    previous?.totalJiffies != null && current.totalJiffies !== null ? current.totalJiffies - previous.totalJiffies : null;
  const capacityUsec = elapsedJiffies !== null && elapsedJiffies > 0 ? elapsedJiffies * MICROS_PER_JIFFY : null;
  return current.groups.map((g) => {
    let cpu: number | null = null;
    if (capacityUsec !== null && previous !== null && !(previous.truncated && !before.has(g.path))) {
      const used = g.usageUsec - (before.get(g.path) ?? 0);
      cpu = used <= 0 ? 0 : Math.min(100, Math.round((used / capacityUsec) * 100 * 100) / 100);
    }
    return {
      path: g.path,
      name: g.name,
      kind: g.kind,
      runtime: g.runtime,
      container_id: g.container_id,
      cpu_usage: cpu,
      cpu_usec: g.usageUsec,
      mem_bytes: g.memBytes,
      mem_limit_bytes: g.memLimitBytes,
      pids: g.pids,
    };
  });
}

export type CgroupsResult =
  | { available: true; hierarchy: "unified" | "hybrid"; groups: CgroupUsage[]; truncated: boolean }
  | { available: false; reason: string };

export interface CgroupCollectorOptions {
  sysRoot?: string;
  procRoot?: string;
  /** With no earlier reading, how long the first request waits between its two readings. */
  settleMs?: number;
}

export class CgroupCollector {
  private readonly sysRoot: string;
  private readonly procRoot: string;
  private readonly settleMs: number;
  private readonly reader = new ReusableFileReader(4096);
  private previous: CgroupReading | null = null;
  private previousRoot = "";

  constructor(options: CgroupCollectorOptions = {}) {
    this.sysRoot = options.sysRoot ?? "/sys";
    this.procRoot = options.procRoot ?? "/proc";
    this.settleMs = options.settleMs ?? 250;
  }

  /**
   * Every group with its CPU share since the previous call. Nothing is read
   * between calls (no timer); the very first call reads twice, `settleMs`
   * apart, so that its percentages are real.
   */
  async collect(): Promise<CgroupsResult> {
    // Detected on every call: cheap (one or two stat calls), and a machine
    // can switch layouts only across a reboot, which a fixture test can fake.
    const hierarchy = detectHierarchy(this.sysRoot);
    if (hierarchy.kind === "unavailable") {
      this.previous = null;
      return { available: false, reason: hierarchy.reason };
    }
    if (this.previous === null || this.previousRoot !== hierarchy.root) {
      this.previous = await readCgroups(hierarchy.root, this.procRoot, this.reader);
      this.previousRoot = hierarchy.root;
      await new Promise((resolve) => setTimeout(resolve, this.settleMs));
    }
    const current = await readCgroups(hierarchy.root, this.procRoot, this.reader);
    const groups = cgroupUsage(this.previous, current);
    this.previous = current;
    return { available: true, hierarchy: hierarchy.kind, groups, truncated: current.truncated };
  }
}
