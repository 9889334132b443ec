/**
 * Running a helper command (journalctl, nvidia-smi) with a deadline and an
 * output cap: the one bounded child-process runner of the agent.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** What execvp searches when PATH is unset (glibc's default). */
const DEFAULT_PATH = "/bin:/usr/bin";

/**
 * Whether spawning `command` could find a file to run: a path is checked as
 * it is, a bare name in every directory of PATH (an empty entry is the
 * current directory, as for execvp). False only when no such file exists: a
 * file that is there but cannot be run still goes to spawn, whose error says so.
 */
export function commandOnPath(command: string, path: string | undefined = process.env["PATH"]): boolean {
  if (command.includes("/")) return existsSync(command);
  return (path ?? DEFAULT_PATH).split(delimiter).some((dir) => existsSync(join(dir === "" ? "." : dir, command)));
}

/** What a command wrote on stderr is kept up to this size (for its first line). */
const MAX_STDERR_BYTES = 16 * 1024;

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  overflow: boolean;
  spawnError: NodeJS.ErrnoException | null;
}

/**
 * Runs a command with a deadline. Its process group is SIGKILLed at the
 * deadline or when stdout exceeds `maxOutputBytes`, and the promise settles
 * right then, whatever the killed processes do with their pipes.
 */
export function runBounded(command: string, args: readonly string[], timeoutMs: number, maxOutputBytes: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let overflow = false;
    let settled = false;

    let child: ReturnType<typeof spawn>;
    try {
      // detached: a new session and process group, so the whole group can be killed.
      child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    } catch (error) {
      resolve({ stdout: "", stderr: "", code: null, signal: null, timedOut, overflow, spawnError: error as NodeJS.ErrnoException });
      return;
    }

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError: NodeJS.ErrnoException | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code,
        signal,
        timedOut,
        overflow,
        spawnError,
      });
    };
    const abandon = (): void => {
      killGroup();
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(null, "SIGKILL", null);
    };

    const timer = setTimeout(() => {
      timedOut = true;
      abandon();
    }, timeoutMs);

    child.stdout?.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOutputBytes) {
        overflow = true;
        abandon();
      } else {
        out.push(chunk);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (errBytes < MAX_STDERR_BYTES) err.push(chunk.subarray(0, MAX_STDERR_BYTES - errBytes));
      errBytes += chunk.length;
    });
    child.on("error", (error: NodeJS.ErrnoException) => finish(null, null, error));
    child.on("close", (code, signal) => finish(code, signal, null));
  });
}

/** The first non-blank line of a command's complaint, at most 200 characters. */
export function firstLine(text: string): string {
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed !== "") return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
  }
  return "";
}
