/**
 * V8's optimising compiler for the TUI: on for its first minute, off after
 * (set at start-up by cli.ts).
 *
 * A frame is thousands of calls into a few small functions (cell writes, the
 * frame diff, sparklines), and TurboFan makes them ~7x cheaper: on a frame of
 * the single view (160x50, full graphs, bench-style data), 0.24 ms against
 * 1.7-2.5 ms in baseline code. Those functions are hot within the first
 * seconds of data. The rest of the TUI's code runs a few times a second in
 * small pieces (requests, replies), so it reaches TurboFan one function after
 * another for minutes; each compile runs on V8's worker threads and leaves its
 * zone resident in that thread's malloc arena. With TurboFan on for good the
 * single view's RSS went 57.7 -> 63.4 MB over 7 min; off from the start it
 * stays at ~53 MB but every frame runs in baseline code. Side by side, one
 * round of 420 s, minute by minute (2026-12-03, bench/ab-tui.mjs):
 *   - off from the start: 1.175 % of a core, RSS 51.7-52.9 MB;
 *   - on for the first 60 s, then off: 1.048 % (-11 %), RSS 57.2-58.2 MB,
 *     flat from the first minute on;
 *   - on for good (an earlier round): 1.029 %, RSS rising to 63.4 MB.
 * Keeping TurboFan but compiling on the main thread
 * (`--no-concurrent-recompilation`) is read only when V8 starts and would
 * need a launcher passing it to node; `--turbofan` is read each time a
 * function is considered for optimisation, so switching it off from inside
 * takes effect. Code optimised by then stays optimised until V8 throws it
 * away (a deoptimisation), after which that function runs in baseline code.
 */
import { setFlagsFromString } from "node:v8";
import { operatorChose } from "@socktop/agent/v8-tuning";

/** How long TurboFan stays on after start-up. */
export const TURBOFAN_WARM_UP_MS = 60_000;

/**
 * Schedules TurboFan's end `warmUpMs` from now and returns true; returns
 * false, changing nothing, when the operator chose a compiler option. The
 * timer does not keep the process alive.
 */
export function tuneCompiler(warmUpMs = TURBOFAN_WARM_UP_MS): boolean {
  if (operatorChose("turbofan") || operatorChose("opt")) return false;
  setTimeout(() => setFlagsFromString("--no-turbofan"), warmUpMs).unref();
  return true;
}
