/**
 * Sending signals to processes on a client's request: opt-in
 * (--allow-signals), limited to a few signals, never to pid 1, the agent
 * itself or a kernel thread, and logged one line per request.
 *
 * The policy is pure ({@link signalPolicy}); {@link SignalSender} adds the
 * /proc lookup, the kill() and the log line. The kernel has the last word on
 * permission: an agent that is not root can only signal its own user's
 * processes, and EPERM comes back as a typed PERMISSION_DENIED error.
 */
import type { ErrorCode, SignalName } from "@socktop/protocol";
import { PF_KTHREAD, parseStatFlags, parseStatusIds } from "./collectors/process-details.js";
import { parsePidStat } from "./collectors/process-stat.js";
import { readTextSync } from "./collectors/procfs.js";
import type { Logger } from "./log.js";

/** What the policy needs to know about the target. */
export interface SignalTarget {
  pid: number;
  /** null when /proc has no such process. */
  name: string | null;
  kernelThread: boolean;
  /** True when the pid is a thread of another process (kill() would signal that whole process). */
  isThread: boolean;
}

export type SignalDecision = { allowed: true } | { allowed: false; code: ErrorCode; message: string };

/** Whether a signal may be sent; everything but the kernel's own permission check. */
export function signalPolicy(target: SignalTarget, signal: SignalName, selfPid: number): SignalDecision {
  const { pid } = target;
  if (pid === 1) return { allowed: false, code: "FORBIDDEN", message: `Refusing to send SIG${signal} to pid 1 (init): that would bring the machine down` };
  if (pid === selfPid) return { allowed: false, code: "FORBIDDEN", message: `Refusing to send SIG${signal} to pid ${pid}: that is the agent itself` };
  if (target.name === null || target.isThread) return { allowed: false, code: "NOT_FOUND", message: `Process ${pid} not found` };
  if (target.kernelThread) {
    return { allowed: false, code: "FORBIDDEN", message: `Refusing to send SIG${signal} to pid ${pid} (${target.name}): it is a kernel thread` };
  }
  return { allowed: true };
}

/** Reads what the policy needs from /proc/<pid>/stat and status. */
export function readSignalTarget(pid: number, procRoot = "/proc"): SignalTarget {
  const statText = readTextSync(`${procRoot}/${pid}/stat`);
  const stat = statText === null ? null : parsePidStat(statText);
  if (stat === null || statText === null) return { pid, name: null, kernelThread: false, isThread: false };
  const flags = parseStatFlags(statText);
  const status = readTextSync(`${procRoot}/${pid}/status`);
  const tgid = status === null ? null : parseStatusIds(status).tgid;
  return {
    pid,
    name: stat.comm,
    // kthreadd (pid 2) and its children; PF_KTHREAD is the kernel's own mark.
    kernelThread: (flags !== null && (flags & PF_KTHREAD) !== 0) || pid === 2 || stat.ppid === 2,
    isThread: tgid !== null && tgid !== pid,
  };
}

export type SignalResult =
  | { ok: true; pid: number; name: string; signal: SignalName }
  | { ok: false; code: ErrorCode; message: string };

export interface SignalSenderOptions {
  log: Logger;
  procRoot?: string;
  /** The agent's own pid (tests may pretend to be another). */
  selfPid?: number;
  /** kill(2); injectable only so that a test can observe calls without side effects elsewhere. */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
}

/** Log-safe: process names are chosen by whoever started the process. */
function safe(text: string): string {
  return JSON.stringify(text);
}

export class SignalSender {
  private readonly procRoot: string;
  private readonly selfPid: number;
  private readonly kill: (pid: number, signal: NodeJS.Signals) => void;

  constructor(private readonly options: SignalSenderOptions) {
    this.procRoot = options.procRoot ?? "/proc";
    this.selfPid = options.selfPid ?? process.pid;
    this.kill = options.kill ?? ((pid, signal) => process.kill(pid, signal));
  }

  /** Checks, sends and logs one line (remote address, pid, name, signal, result). Never throws. */
  send(pid: number, signal: SignalName, remote: string): SignalResult {
    const target = readSignalTarget(pid, this.procRoot);
    const decision = signalPolicy(target, signal, this.selfPid);
    let result: SignalResult;
    if (!decision.allowed) {
      result = { ok: false, code: decision.code, message: decision.message };
    } else {
      try {
        this.kill(pid, `SIG${signal}` as NodeJS.Signals);
        result = { ok: true, pid, name: target.name as string, signal };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ESRCH") result = { ok: false, code: "NOT_FOUND", message: `Process ${pid} not found` };
        else if (code === "EPERM") {
          result = {
            ok: false,
            code: "PERMISSION_DENIED",
            message: `Not permitted to send SIG${signal} to pid ${pid} (${target.name}): the agent runs as uid ${process.getuid?.() ?? "?"} and may only signal its own processes`,
          };
        } else result = { ok: false, code: "INTERNAL", message: `Could not send SIG${signal} to pid ${pid}: ${code ?? String(error)}` };
      }
    }
    const outcome = result.ok ? "sent" : `refused ${result.code}`;
    this.options.log.info(`signal: from ${remote} pid ${pid} name ${safe(target.name ?? "?")} SIG${signal}: ${outcome}`);
    return result;
  }
}
