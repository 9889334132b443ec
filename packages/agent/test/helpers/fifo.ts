/**
 * Sensors that never answer, for tests: a FIFO with no writer is a real file
 * whose open() blocks (in a libuv threadpool thread) until someone opens it
 * for writing, just as a hwmon read blocks while its device does not answer.
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, writeSync } from "node:fs";

/** Makes a FIFO at each path (mkfifo(1), coreutils: Node has no mkfifo()). */
export function makeFifos(...paths: string[]): void {
  execFileSync("mkfifo", paths);
}

/**
 * Lets every read blocked on these FIFOs finish with `text`, so that no
 * threadpool thread stays blocked after the test (a pending fs request
 * would also keep the test process alive). A FIFO nobody is reading is
 * skipped: a non-blocking open for writing fails with ENXIO then.
 */
export function releaseFifos(paths: readonly string[], text = "42000\n"): void {
  for (const path of paths) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      continue;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }
}

/** Polls `condition` every 10 ms until it holds, failing after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
