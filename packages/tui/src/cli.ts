#!/usr/bin/env node
/**
 * socktop command line: arguments → profile/demo plan → full-screen UI.
 * Every failure the user can cause before the screen is taken over ends in
 * one line on stderr and a non-zero status, never a stack trace.
 */
// First: heap sizing before anything allocates (the agent's, for the same reason: see its v8-tuning.ts).
import "@socktop/agent/v8-tuning";
import { ArgError, helpText, parseArgs } from "./args.js";
import { DemoError } from "./demo.js";
import { ProfileError } from "./profiles.js";
import { run } from "./run.js";
import { TerminalError } from "./terminal.js";
import { defaultStatusIO, runStatus } from "./status.js";
import { VERSION } from "./version.js";

async function main(): Promise<number> {
  if (process.argv[2] === "status") return runStatus(process.argv.slice(3), defaultStatusIO());
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
