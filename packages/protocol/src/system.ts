/**
 * Values that go with the protocol-2 machine replies (their shapes are in
 * shapes/system.ts): the signals a client may ask for, and the cgroup
 * drill-down.
 */
import type { CgroupInfo, SignalName } from "./shapes/index.js";

/** Longest command line sent in a process row (the shape's maxLength); the details request has the whole one. */
export const MAX_COMMAND_LENGTH = 256;

/** The signals a client may ask the agent to send (when it allows signals at all). */
export const ALLOWED_SIGNALS: readonly SignalName[] = ["TERM", "INT", "HUP", "KILL", "STOP", "CONT"];

/**
 * Every group at or under `path` in a cgroups reply, and their pids: the
 * drill-down from a service or container to its processes.
 */
export function cgroupSubtree(groups: readonly CgroupInfo[], path: string): { groups: CgroupInfo[]; pids: number[] } {
  const prefix = path.endsWith("/") ? path : `${path}/`;
  const under = groups.filter((g) => g.path === path || g.path.startsWith(prefix));
  return { groups: under, pids: under.flatMap((g) => g.pids) };
}
