/**
 * NVIDIA GPUs through `nvidia-smi`, run as a child process: asynchronously,
 * so a slow driver never blocks the event loop, and under a hard timeout,
 * because nvidia-smi is known to hang when the driver is wedged.
 */
import type { GpuReading } from "./gpu.js";
import { commandOnPath, firstLine, runBounded } from "./run-bounded.js";

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


/**
 * Runs nvidia-smi once. Never rejects. At the deadline its process group is
 * SIGKILLed (a wedged nvidia-smi ignores SIGTERM) and the result comes at
 * once, even if a grandchild holds the output pipes open.
 */
export async function runNvidiaSmi(command: string, timeoutMs: number): Promise<NvidiaSmiOutcome> {
  // Most machines have no nvidia-smi: told without forking the agent to find out.
  if (!commandOnPath(command)) return { kind: "missing" };
  const result = await runBounded(command, NVIDIA_SMI_ARGS, Math.max(1, timeoutMs), MAX_OUTPUT_BYTES);
  const code = result.spawnError?.code;
  if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
  if (result.spawnError !== null) return { kind: "failed", reason: firstLine(result.spawnError.message) };
  if (result.overflow) return { kind: "failed", reason: "output larger than 1 MiB" };
  // Only the runner's own deadline counts as a timeout: an OOM kill is a failure.
  if (result.timedOut) return { kind: "timeout" };
  // A GPU that fell off the bus makes nvidia-smi exit non-zero while still
  // printing the healthy ones: keep those.
  const gpus = parseNvidiaSmiCsv(result.stdout);
  if (result.code === 0 || gpus.length > 0) return { kind: "ok", gpus };
  const status = result.code !== null ? `exit status ${result.code}` : `killed by ${result.signal ?? "a signal"}`;
  const said = firstLine(result.stderr) || firstLine(result.stdout);
  return { kind: "failed", reason: said === "" ? status : `${status}: ${said}` };
}
