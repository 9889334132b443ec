/**
 * The terminal, with Node's own TTY support: size and 'resize' from stdout,
 * raw mode from stdin, keys and SGR mouse reports decoded by input.ts.
 * Frames themselves are written as plain strings by the diff writer.
 *
 * (socktop ≤ 0.1 used terminal-kit for this; loading it and creating its
 * terminal cost some 24 MB of RSS and most of socktop's start-up time for four
 * jobs Node does itself: see packages/tui/scripts/terminal-cost.mjs.)
 *
 * Restoring is synchronous and idempotent on purpose: it runs from signal
 * handlers, 'exit' and uncaught-exception handlers, where nothing
 * asynchronous gets to run any more.
 */
import { writeSync } from "node:fs";
import type { ReadStream, WriteStream } from "node:tty";
import { ESCAPE_TIMEOUT_MS, InputDecoder, type InputEvent } from "./input.js";
import { MIN_HEIGHT, MIN_WIDTH } from "./layout.js";

/** The terminal cannot be used (no size); the CLI prints the message and exits 1. */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
}

/**
 * A terminal that reports no size (0×0: under `script`, some `docker exec -t`)
 * cannot show anything and would never send a resize that fixes it. A small
 * but real size is fine: the UI says what it needs until the window grows.
 */
export function checkTerminalSize(width: number, height: number): void {
  if (width > 0 && height > 0) return;
  const size = `${Number.isFinite(width) ? width : 0}×${Number.isFinite(height) ? height : 0}`;
  throw new TerminalError(
    `the terminal reports a size of ${size}; socktop needs at least ${MIN_WIDTH}×${MIN_HEIGHT} (columns×rows): set it with e.g. \`stty cols 80 rows 24\``,
  );
}

export interface MouseInput {
  kind: "press" | "release" | "drag" | "wheel-up" | "wheel-down";
  button: "left" | "middle" | "right" | null;
  /** 0-based cell coordinates. */
  x: number;
  y: number;
}

export interface TerminalIO {
  readonly width: number;
  readonly height: number;
  write(data: string): void;
  onKey(listener: (name: string, isCharacter: boolean) => void): void;
  onMouse(listener: (event: MouseInput) => void): void;
  onResize(listener: (width: number, height: number) => void): void;
  /** Alternate screen, hidden cursor, raw input with mouse reporting. */
  enter(): void;
  /** Everything back as it was; safe to call any number of times, from anywhere. */
  restore(): void;
}

/** Undo everything `enter` turned on, whatever state the terminal was left in. */
export const RESTORE_SEQUENCE =
  "\x1b[0m" + // attributes off
  "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l" + // every mouse mode off
  "\x1b[?25h" + // cursor visible
  "\x1b[?1049l"; // back to the normal screen

/**
 * Alternate screen, cursor hidden, cleared; then mouse reporting: 1002 reports
 * presses, releases, the wheel and motion while a button is held (scrollbar
 * dragging) but not idle motion, which would wake us up on every mouse move;
 * 1006 makes the reports SGR, so clicks work beyond column 223.
 */
export const ENTER_SEQUENCE = "\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H" + "\x1b[?1002h\x1b[?1006h";

export interface TerminalStreams {
  stdin?: NodeJS.ReadStream | ReadStream;
  stdout?: NodeJS.WriteStream | WriteStream;
}

export async function openTerminal(streams: TerminalStreams = {}): Promise<TerminalIO> {
  const stdin = (streams.stdin ?? process.stdin) as NodeJS.ReadStream;
  const stdout = (streams.stdout ?? process.stdout) as NodeJS.WriteStream;
  const fd = (stdout as { fd?: number }).fd ?? 1;
  const decoder = new InputDecoder();
  const keyListeners: ((name: string, isCharacter: boolean) => void)[] = [];
  const mouseListeners: ((event: MouseInput) => void)[] = [];
  let escapeTimer: NodeJS.Timeout | null = null;
  let entered = false;
  let restored = false;

  const dispatch = (events: InputEvent[]): void => {
    for (const e of events) {
      if (e.type === "key") for (const l of keyListeners) l(e.name, e.isCharacter);
      else for (const l of mouseListeners) l(e.mouse);
    }
  };
  const onData = (chunk: string): void => {
    if (escapeTimer) clearTimeout(escapeTimer);
    escapeTimer = null;
    dispatch(decoder.feed(chunk));
    if (decoder.pending) {
      escapeTimer = setTimeout(() => {
        escapeTimer = null;
        dispatch(decoder.flush());
      }, ESCAPE_TIMEOUT_MS);
    }
  };

  const io: TerminalIO = {
    get width() {
      return stdout.columns ?? 0;
    },
    get height() {
      return stdout.rows ?? 0;
    },
    write(data: string) {
      if (!restored && data) stdout.write(data);
    },
    onKey(listener) {
      keyListeners.push(listener);
    },
    onMouse(listener) {
      mouseListeners.push(listener);
    },
    onResize(listener) {
      stdout.on("resize", () => listener(stdout.columns ?? 0, stdout.rows ?? 0));
    },
    enter() {
      if (entered) return;
      entered = true;
      stdout.write(ENTER_SEQUENCE);
      stdin.setRawMode?.(true);
      stdin.setEncoding("utf8");
      stdin.on("data", onData);
      stdin.resume();
    },
    restore() {
      if (restored || !entered) return;
      restored = true;
      if (escapeTimer) clearTimeout(escapeTimer);
      try {
        writeSync(fd, RESTORE_SEQUENCE);
      } catch {
        // stdout is gone (terminal closed): nothing left to restore.
      }
      stdin.off("data", onData);
      try {
        stdin.setRawMode?.(false);
      } catch {
        // not a TTY any more
      }
      // Let the process exit: a paused stdin no longer holds the event loop.
      stdin.pause();
    },
  };
  return io;
}
