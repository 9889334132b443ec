/**
 * The terminal, through terminal-kit: size, resize events, key and mouse
 * parsing (SGR mouse mode, so clicks work beyond column 223), raw input.
 * Frames themselves are written as plain strings by the diff writer.
 *
 * Restoring is synchronous and idempotent on purpose: it runs from signal
 * handlers, 'exit' and uncaught-exception handlers, where nothing
 * asynchronous gets to run any more.
 */
import { writeSync } from "node:fs";

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

export const ENTER_SEQUENCE = "\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H";

function mouseFromTermkit(name: string, data: { x: number; y: number }): MouseInput | null {
  const x = data.x - 1;
  const y = data.y - 1;
  switch (name) {
    case "MOUSE_LEFT_BUTTON_PRESSED":
      return { kind: "press", button: "left", x, y };
    case "MOUSE_RIGHT_BUTTON_PRESSED":
      return { kind: "press", button: "right", x, y };
    case "MOUSE_MIDDLE_BUTTON_PRESSED":
      return { kind: "press", button: "middle", x, y };
    case "MOUSE_LEFT_BUTTON_RELEASED":
    case "MOUSE_RIGHT_BUTTON_RELEASED":
    case "MOUSE_MIDDLE_BUTTON_RELEASED":
    case "MOUSE_BUTTON_RELEASED":
      return { kind: "release", button: null, x, y };
    case "MOUSE_DRAG":
      return { kind: "drag", button: "left", x, y };
    case "MOUSE_WHEEL_UP":
      return { kind: "wheel-up", button: null, x, y };
    case "MOUSE_WHEEL_DOWN":
      return { kind: "wheel-down", button: null, x, y };
    default:
      return null;
  }
}

export async function openTerminal(): Promise<TerminalIO> {
  const termkit = (await import("terminal-kit")).default;
  const term = termkit.terminal;
  let entered = false;
  let restored = false;
  const fd = (process.stdout as { fd?: number }).fd ?? 1;

  const io: TerminalIO = {
    get width() {
      return term.width;
    },
    get height() {
      return term.height;
    },
    write(data: string) {
      if (!restored && data) process.stdout.write(data);
    },
    onKey(listener) {
      term.on("key", (name: string, _matches: string[], data: { isCharacter?: boolean }) => listener(name, !!data?.isCharacter));
    },
    onMouse(listener) {
      term.on("mouse", (name: string, data: { x: number; y: number }) => {
        const event = mouseFromTermkit(name, data);
        if (event) listener(event);
      });
    },
    onResize(listener) {
      term.on("resize", (w: number, h: number) => listener(w, h));
    },
    enter() {
      if (entered) return;
      entered = true;
      process.stdout.write(ENTER_SEQUENCE);
      // 'drag' reports presses, releases, the wheel and motion while a
      // button is held (scrollbar dragging) but not idle motion, which would
      // wake us up for nothing on every mouse move.
      term.grabInput({ mouse: "drag" });
    },
    restore() {
      if (restored || !entered) return;
      restored = true;
      try {
        writeSync(fd, RESTORE_SEQUENCE);
      } catch {
        // stdout is gone (terminal closed): nothing left to restore.
      }
      try {
        term.grabInput(false);
      } catch {
        // not a TTY any more
      }
      (term as unknown as { shutdown: boolean }).shutdown = true;
    },
  };
  return io;
}
