/**
 * Preloaded (`node --import`) into the agent that `socktop --demo` starts.
 * socktop stops its agent on every exit it sees, but not when it is killed
 * outright (SIGKILL, OOM killer): then the pipe socktop holds on our stdin
 * closes, and this stops the agent the same way Ctrl-C would.
 */
process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"));
process.stdin.on("error", () => process.kill(process.pid, "SIGTERM"));
process.stdin.resume();

export {};
