/** The terminal layer on Node's own TTY support, with stand-in streams: raw mode, sequences, Esc timing, resize, restore. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { ESCAPE_TIMEOUT_MS } from "../src/input.js";
import { checkTerminalSize, ENTER_SEQUENCE, openTerminal, TerminalError, type MouseInput } from "../src/terminal.js";

class FakeStdin extends PassThrough {
  raw: boolean[] = [];
  setRawMode(on: boolean): this {
    this.raw.push(on);
    return this;
  }
}

class FakeStdout extends EventEmitter {
  columns = 100;
  rows = 30;
  written = "";
  constructor(readonly fd: number) {
    super();
  }
  write(data: string): boolean {
    this.written += data;
    return true;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("enter: raw mode, alternate screen and SGR mouse; keys, clicks and a lone Esc arrive; restore undoes it all", async () => {
  const devNull = openSync("/dev/null", "w");
  try {
    const stdin = new FakeStdin();
    const stdout = new FakeStdout(devNull);
    const term = await openTerminal({ stdin: stdin as never, stdout: stdout as never });
    assert.equal(term.width, 100);
    assert.equal(term.height, 30);
    const keys: string[] = [];
    const mice: MouseInput[] = [];
    const sizes: string[] = [];
    term.onKey((name) => keys.push(name));
    term.onMouse((m) => mice.push(m));
    term.onResize((w, h) => sizes.push(`${w}x${h}`));
    term.enter();
    assert.deepEqual(stdin.raw, [true]);
    assert.ok(stdout.written.startsWith(ENTER_SEQUENCE));
    assert.ok(ENTER_SEQUENCE.includes("\x1b[?1002h") && ENTER_SEQUENCE.includes("\x1b[?1006h"));

    stdin.write("j\x1b[6~");
    stdin.write("\x1b[<0;3;");
    stdin.write("4M");
    await sleep(5);
    assert.deepEqual(keys, ["j", "PAGE_DOWN"]);
    assert.deepEqual(mice, [{ kind: "press", button: "left", x: 2, y: 3 }]);

    stdin.write("\x1b");
    await sleep(5);
    assert.deepEqual(keys, ["j", "PAGE_DOWN"], "a lone Esc waits for what may follow");
    await sleep(ESCAPE_TIMEOUT_MS + 20);
    assert.deepEqual(keys, ["j", "PAGE_DOWN", "ESCAPE"]);

    stdout.columns = 120;
    stdout.emit("resize");
    assert.deepEqual(sizes, ["120x30"]);

    term.restore();
    term.restore();
    assert.deepEqual(stdin.raw, [true, false], "raw mode off, once");
    stdin.write("q");
    await sleep(5);
    assert.deepEqual(keys, ["j", "PAGE_DOWN", "ESCAPE"], "nothing is read after restore");
    term.write("late frame");
    assert.ok(!stdout.written.includes("late frame"), "nothing is drawn after restore");
  } finally {
    closeSync(devNull);
  }
});

test("checkTerminalSize: 0×0 and NaN refused with the size needed; small but real sizes allowed", () => {
  assert.throws(() => checkTerminalSize(0, 0), (e: unknown) => e instanceof TerminalError && /size of 0×0; socktop needs at least 40×12/.test(e.message));
  assert.throws(() => checkTerminalSize(Number.NaN, 24), /size of 0×24/);
  assert.doesNotThrow(() => checkTerminalSize(20, 5));
});
