/**
 * V8 options for the fleet view, applied once the plan is a fleet (cli.ts).
 *
 * No TurboFan: the fleet's code runs ten times a second in small pieces (a
 * request and a reply per host, one frame), so its functions reach the
 * optimising compiler one after another for minutes, and are deoptimised and
 * compiled again: perf put the compiler at 17 % of the TUI's samples (its jobs
 * on V8's worker threads, a fifth of the process's ticks), and the compiler's
 * zones in the page faults. Sparkplug's baseline code is enough for this work.
 * Measured with bench/ab-tui.mjs --mode fleet (3 rounds of 45 s side by side,
 * medians): 104 -> 89 ticks, RSS max 60.5 -> 54.9 MB. Not for the single-host
 * view, whose 160x50 frames are loops worth optimising (61 -> 63 ticks there,
 * every round a little worse).
 */
import { setFlagsFromString } from "node:v8";
import { operatorChose } from "@socktop/agent/v8-tuning";

/** Turns TurboFan off unless the operator chose a compiler option; true when it did. */
export function tuneForFleet(): boolean {
  // Read each time a function is considered for optimisation, so setting it now takes effect.
  if (operatorChose("turbofan") || operatorChose("opt")) return false;
  setFlagsFromString("--no-turbofan");
  return true;
}
