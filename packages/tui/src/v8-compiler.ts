/**
 * V8's optimising compiler off for the TUI, set at start-up (cli.ts).
 *
 * The TUI's code runs a few times a second in small pieces (requests, replies,
 * one frame), so its functions reach TurboFan one after another for minutes.
 * Its jobs run on V8's worker threads, and their zones stay resident in those
 * threads' malloc arenas: on a quiet machine the single view's RSS went
 * 58.6 -> 63.7 MB over its first 5 min, the growth in anonymous memory
 * outside V8's heap (which stayed at ~9.5 MB committed). Sparkplug's baseline
 * code is enough for this work. Measured with a copy of bench/ab-tui.mjs,
 * the same build with and without `--no-turbofan`, side by side, 3 rounds of
 * 180 s, medians (2026-12-02):
 *   - single view (160x50): RSS max 61.5 -> 53.1 MB; CPU 193 -> 204 ticks
 *     (+6 %: its frame loops run a little slower unoptimised).
 *   - fleet view (10 hosts, earlier, 3 rounds of 45 s): RSS max 60.5 ->
 *     54.9 MB, CPU 104 -> 89 ticks (its functions were also deoptimised and
 *     compiled again: the compiler was 17 % of its perf samples).
 * Keeping TurboFan but compiling on the main thread
 * (`--no-concurrent-recompilation`) saved less memory (61.5 -> 57.8 MB) at
 * 8 % less CPU, but V8 reads that option only when it starts: it would need
 * a launcher passing it to node, where this one is read each time a function
 * is considered for optimisation, so setting it from inside takes effect.
 */
import { setFlagsFromString } from "node:v8";
import { operatorChose } from "@socktop/agent/v8-tuning";

/** Turns TurboFan off unless the operator chose a compiler option; true when it did. */
export function tuneCompiler(): boolean {
  if (operatorChose("turbofan") || operatorChose("opt")) return false;
  setFlagsFromString("--no-turbofan");
  return true;
}
