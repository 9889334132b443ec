/**
 * A cgroup the test creates on the live machine, with a process put in it:
 * the real thing where the v2 hierarchy is (unified, or the hybrid's
 * /sys/fs/cgroup/unified) and we may create groups (root); elsewhere the
 * tests skip with the reason this gives. Used by the agent's collector test
 * and the TUI's cgroups view end to end.
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { detectHierarchy } from "../../src/collectors/cgroups.js";

/** Why a live cgroup cannot be made here, or false when it can. */
export function liveCgroupSkip(): string | false {
  const hierarchy = detectHierarchy("/sys");
  if (hierarchy.kind === "unavailable") return `no cgroup v2 here: ${hierarchy.reason}`;
  if (process.getuid?.() !== 0) return "creating a cgroup needs root";
  const probe = `${hierarchy.root}/socktop-probe-${process.pid}`;
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (error) {
    return `cannot create a cgroup under ${hierarchy.root}: ${(error as Error).message}`;
  }
  return false;
}

export interface LiveCgroup {
  /** Relative to the hierarchy's root, as the agent reports it ("/socktop-test-123"). */
  path: string;
  dir: string;
  /** Moves a process into the group. */
  add(pid: number): void;
  /** Removes the group (after its processes exited). */
  remove(): Promise<void>;
}

/** Creates `name` at the top of the live v2 hierarchy (call only when liveCgroupSkip() is false). */
export function createLiveCgroup(name: string): LiveCgroup {
  const hierarchy = detectHierarchy("/sys");
  if (hierarchy.kind === "unavailable") throw new Error(hierarchy.reason);
  const dir = `${hierarchy.root}/${name}`;
  mkdirSync(dir);
  return {
    path: `/${name}`,
    dir,
    add: (pid) => writeFileSync(`${dir}/cgroup.procs`, `${pid}\n`),
    async remove() {
      // The kernel releases an emptied group a moment after its last process exits.
      for (let i = 0; i < 50 && existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
  };
}
