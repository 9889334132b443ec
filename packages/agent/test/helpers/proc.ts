/** Live-/proc test material: pids in the states the error paths are about. */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { PF_KTHREAD, parseStatFlags } from "../../src/collectors/process-details.js";

/** The pid of a process that has just exited (reused only after the pid space wraps). */
export function vanishedPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

/** A kernel thread's pid (PF_KTHREAD set), or undefined when none is visible in this pid namespace. */
export function kernelThreadPid(): number | undefined {
  return readdirSync("/proc")
    .filter((n) => /^[0-9]+$/.test(n))
    .map(Number)
    .find((pid) => {
      try {
        return ((parseStatFlags(readFileSync(`/proc/${pid}/stat`, "latin1")) ?? 0) & PF_KTHREAD) !== 0;
      } catch {
        return false;
      }
    });
}
