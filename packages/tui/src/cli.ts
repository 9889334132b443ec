#!/usr/bin/env node
/**
 * socktop command line: arguments → profile/demo plan → full-screen UI.
 * Every failure the user can cause before the screen is taken over ends in
 * one line on stderr and a non-zero status, never a stack trace.
 */
// First: heap sizing before anything allocates (the agent's, for the same reason: see its v8-tuning.ts).
// The rest is imported dynamically: static imports would all be loaded before
// this module runs; and `socktop status` and the full-screen UI load only their own code.
import { operatorChose } from "@socktop/agent/v8-tuning";
import { setFlagsFromString } from "node:v8";
import { tuneCompiler } from "./v8-compiler.js";

// V8's memory reducer sees the TUI as idle (it allocates little between
// frames) and, some seconds after start-up, runs up to three full GCs in a
// row to shrink the heap. Measured on the TUI's data path (--trace-gc): the
// first took the heap from 11.0 to 7.8 MB, the next two 8.3 -> 7.9 and
// 8.1 -> 7.9 MB, each at 35-50 ms of CPU with its incremental marking. One is
// enough: the TUI at 160x50 over 50 s, two rounds, 49 -> 44 and 44 -> 41
// ticks, VmRSS 56.6 -> 57.9 and 57.9 -> 57.4 MB.
// Read when the reducer plans its next GC, so setting it here takes effect.
// An operator's own memory-reducer option (command line or NODE_OPTIONS) wins.
if (!operatorChose("memory-reducer")) setFlagsFromString("--memory-reducer-single-gc");
// TurboFan for the first minute only (see v8-compiler.ts).
tuneCompiler();

async function main(): Promise<number> {
  if (process.argv[2] === "status") {
    const { defaultStatusIO, runStatus } = await import("./status.js");
    return runStatus(process.argv.slice(3), defaultStatusIO());
  }
  const [{ ArgError, helpText, parseArgs }, { ProfileError }, { run }, { TerminalError }, { VERSION }] = await Promise.all([
    import("./args.js"),
    import("./profiles.js"),
    import("./run.js"),
    import("./terminal.js"),
    import("./version.js"),
  ]);
  let command;
  try {
    command = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ArgError) {
      process.stderr.write(`socktop: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(helpText());
    return 0;
  }
  if (command.kind === "version") {
    process.stdout.write(`socktop ${VERSION}\n`);
    return 0;
  }
  try {
    return await run(command.options);
  } catch (error) {
    if (error instanceof ArgError) {
      process.stderr.write(`socktop: ${error.message}\n`);
      return 2;
    }
    // The demo's module is loaded only when the demo runs (or failed to start).
    const { DemoError } = await import("./demo.js");
    if (error instanceof ProfileError || error instanceof DemoError || error instanceof TerminalError) {
      process.stderr.write(`socktop: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

main().then(
  (code) => {
    // run() exits by itself once the UI is up; this is for everything before.
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`socktop: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
