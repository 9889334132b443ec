/**
 * NVIDIA GPUs through `nvidia-smi`, run as a child process: asynchronously,
 * so a slow driver never blocks the event loop, and under a hard timeout,
 * because nvidia-smi is known to hang when the driver is wedged.
 */
import { execFile } from "node:child_process";
import type { GpuReading } from "./gpu.js";

export const NVIDIA_SMI_ARGS: readonly string[] = [
  "--query-gpu=name,utilization.gpu,memory.total,memory.used,temperature.gpu",
  "--format=csv,noheader,nounits",
];

const MIB = 1024 * 1024;
/** nvidia-smi prints about 60 bytes per GPU; anything near this is not its CSV. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * One numeric CSV field: a number, null for nvidia-smi's bracketed
 * placeholders ("[N/A]", "[Not Supported]", "[Unknown Error]"), or undefined
 * when the field is neither, meaning the line is not one of ours.
 */
function csvNumber(field: string): number | null | undefined {
  const trimmed = field.trim();
  if (trimmed.startsWith("[") && trimmed.endsWith("]")) return null;
  if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/**
 * Parses the output of `nvidia-smi --query-gpu=name,utilization.gpu,memory.total,memory.used,temperature.gpu
 * --format=csv,noheader,nounits`: one GPU per line, memory in MiB (returned in bytes).
 * Lines that are not such CSV (warnings, "Unable to determine the device handle…") are skipped.
 */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const gpus: GpuReading[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(",");
    if (fields.length < 5) continue;
    // The four numeric fields are the last ones, so a comma inside a name survives.
    const numbers = fields.slice(-4).map(csvNumber);
    if (numbers.some((n) => n === undefined)) continue;
    const [utilization, total, used, temp] = numbers as Array<number | null>;
    const name = fields.slice(0, -4).join(",").trim();
    gpus.push({
      name: name === "" || (name.startsWith("[") && name.endsWith("]")) ? `nvidia-${gpus.length}` : name,
      vendor: "nvidia",
      utilization: utilization ?? null,
      memTotal: total == null ? null : total * MIB,
      memUsed: used == null ? null : used * MIB,
      tempC: temp ?? null,
    });
  }
  return gpus;
}

export type NvidiaSmiOutcome =
  /** It answered; `gpus` may be empty. */
  | { kind: "ok"; gpus: GpuReading[] }
  /** No such command: no NVIDIA tooling on this machine. */
  | { kind: "missing" }
  /** Killed after the timeout. */
  | { kind: "timeout" }
  /** It ran (or could not be started) and failed; `reason` is its first line of complaint. */
  | { kind: "failed"; reason: string };

function firstLine(text: string): string {
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed !== "") return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
  }
  return "";
}

/**
 * Runs nvidia-smi once. Never rejects. The timeout timer is execFile's own:
 * it sends SIGKILL (a wedged nvidia-smi ignores SIGTERM), stops waiting for
 * the output pipes at once (a grandchild could hold them open), and is
 * cleared as soon as the child exits.
 */
export function runNvidiaSmi(command: string, timeoutMs: number): Promise<NvidiaSmiOutcome> {
  return new Promise((resolve) => {
    try {
      execFile(
        command,
        NVIDIA_SMI_ARGS,
        {
          timeout: Math.max(1, timeoutMs),
          killSignal: "SIGKILL",
          maxBuffer: MAX_OUTPUT_BYTES,
          encoding: "utf8",
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          if (error === null) {
            resolve({ kind: "ok", gpus: parseNvidiaSmiCsv(stdout) });
            return;
          }
          const code = error.code;
          if (code === "ENOENT" || code === "ENOTDIR") {
            resolve({ kind: "missing" });
          } else if (code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
            resolve({ kind: "failed", reason: "output larger than 1 MiB" });
          } else if (error.killed === true) {
            // Only execFile's own kill sets `killed`, and the buffer case is handled above.
            resolve({ kind: "timeout" });
          } else {
            // A GPU that fell off the bus makes nvidia-smi exit non-zero while
            // still printing the healthy ones: keep those.
            const gpus = parseNvidiaSmiCsv(stdout);
            if (gpus.length > 0) {
              resolve({ kind: "ok", gpus });
              return;
            }
            const status =
              typeof code === "number"
                ? `exit status ${code}`
                : error.signal
                  ? `killed by ${error.signal}`
                  : firstLine(error.message);
            const said = firstLine(stderr) || firstLine(stdout);
            resolve({ kind: "failed", reason: said === "" ? status : `${status}: ${said}` });
          }
        },
      );
    } catch (error) {
      // execFile throws synchronously only for invalid arguments (e.g. a NUL in the command).
      resolve({ kind: "failed", reason: error instanceof Error ? error.message : String(error) });
    }
  });
}
