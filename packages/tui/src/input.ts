/**
 * Terminal input bytes (as text: stdin with utf8 encoding, so a character split
 * across reads arrives whole) → key and mouse events.
 *
 * Key names are terminal-kit's, which the app was written against: "UP",
 * "PAGE_DOWN", "ENTER", "ESCAPE", "SHIFT_TAB", "CTRL_C", "F5", "CTRL_UP"…; a
 * printable character is its own name with isCharacter set. Mouse reports are
 * SGR (mode 1006: "ESC [ < b ; x ; y M|m"), the only kind socktop turns on, plus
 * the old X10 form in case a terminal ignores 1006.
 *
 * A lone Esc and the start of an escape sequence look alike until more bytes
 * come, so an unfinished sequence is kept (`pending`) and the caller calls
 * `flush()` when nothing followed within a short time: then the Esc is a key.
 */
import type { MouseInput } from "./terminal.js";

export type InputEvent = { type: "key"; name: string; isCharacter: boolean } | { type: "mouse"; mouse: MouseInput };

/** How long an Esc waits for the rest of a sequence. Sequences from a terminal arrive together, well within this. */
export const ESCAPE_TIMEOUT_MS = 50;

/** A sequence longer than this is not one we know: dropped rather than buffered forever. */
const MAX_SEQUENCE = 64;

const ESC = "\x1b";

const CSI_FINAL_KEYS: Record<string, string> = {
  A: "UP",
  B: "DOWN",
  C: "RIGHT",
  D: "LEFT",
  H: "HOME",
  F: "END",
  E: "KP_BEGIN",
  Z: "SHIFT_TAB",
  P: "F1",
  Q: "F2",
  R: "F3",
  S: "F4",
};

const TILDE_KEYS: Record<number, string> = {
  1: "HOME",
  2: "INSERT",
  3: "DELETE",
  4: "END",
  5: "PAGE_UP",
  6: "PAGE_DOWN",
  7: "HOME",
  8: "END",
  11: "F1",
  12: "F2",
  13: "F3",
  14: "F4",
  15: "F5",
  17: "F6",
  18: "F7",
  19: "F8",
  20: "F9",
  21: "F10",
  23: "F11",
  24: "F12",
};

const SS3_KEYS: Record<string, string> = { ...CSI_FINAL_KEYS, M: "ENTER" };

/** xterm's modifier parameter (1 + shift·1 + alt·2 + ctrl·4) as terminal-kit's name prefix. */
function withModifiers(name: string, param: number | undefined): string {
  if (param === undefined || param <= 1) return name;
  const m = param - 1;
  return `${m & 4 ? "CTRL_" : ""}${m & 2 ? "ALT_" : ""}${m & 1 ? "SHIFT_" : ""}${name}`;
}

function controlKey(ch: string): string | null {
  switch (ch) {
    case "\r":
    case "\n":
      return "ENTER";
    case "\t":
      return "TAB";
    case "\x7f":
    case "\b":
      return "BACKSPACE";
    case "\x00":
      return "CTRL_SPACE";
  }
  const c = ch.charCodeAt(0);
  if (c >= 1 && c <= 26) return `CTRL_${String.fromCharCode(64 + c)}`;
  if (c === 0x1c) return "CTRL_BACKSLASH";
  if (c === 0x1d) return "CTRL_CLOSE_BRACKET";
  if (c === 0x1e) return "CTRL_CARET";
  if (c === 0x1f) return "CTRL_UNDERSCORE";
  return null;
}

function mouseEvent(b: number, x: number, y: number, release: boolean): MouseInput | null {
  const at = { x: Math.max(0, x - 1), y: Math.max(0, y - 1) };
  if (b & 64) {
    // 64/65: wheel up/down; 66/67 are horizontal wheels, which socktop does not use.
    if ((b & 3) > 1) return null;
    return { kind: b & 1 ? "wheel-down" : "wheel-up", button: null, ...at };
  }
  const button = (["left", "middle", "right", null] as const)[b & 3]!;
  if (b & 32) return button ? { kind: "drag", button, ...at } : null; // motion with no button: not asked for
  if (release || button === null) return { kind: "release", button: null, ...at };
  return { kind: "press", button, ...at };
}

/** Result of reading one escape sequence at the start of `s`: its events and its length, or "incomplete". */
type Parsed = { events: InputEvent[]; length: number } | "incomplete";

const key = (name: string, isCharacter = false): InputEvent => ({ type: "key", name, isCharacter });

function parseCsi(s: string): Parsed {
  // ESC [ params(0x30–0x3F)* intermediates(0x20–0x2F)* final(0x40–0x7E)
  let i = 2;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x3f) i++;
  while (i < s.length && s.charCodeAt(i) >= 0x20 && s.charCodeAt(i) <= 0x2f) i++;
  if (i >= s.length) return "incomplete";
  const final = s[i]!;
  const code = final.charCodeAt(0);
  if (code < 0x40 || code > 0x7e) return { events: [key("ESCAPE")], length: 1 }; // not a sequence after all
  const params = s.slice(2, i);
  const length = i + 1;
  if (params.startsWith("<") && (final === "M" || final === "m")) {
    const [b, x, y] = params.slice(1).split(";").map(Number);
    const m = b !== undefined && x !== undefined && y !== undefined ? mouseEvent(b, x, y, final === "m") : null;
    return { events: m ? [{ type: "mouse", mouse: m }] : [], length };
  }
  if (params === "" && final === "M") {
    // X10 mouse: three raw bytes (each value + 32) follow.
    if (s.length < length + 3) return "incomplete";
    const b = s.charCodeAt(length) - 32;
    // Button bits 3 mean "released" here (which button is not said).
    const m = mouseEvent(b, s.charCodeAt(length + 1) - 32, s.charCodeAt(length + 2) - 32, false);
    return { events: m ? [{ type: "mouse", mouse: m }] : [], length: length + 3 };
  }
  const nums = params.split(";").map((p) => (p === "" ? undefined : Number(p)));
  if (final === "~") {
    const name = TILDE_KEYS[nums[0] ?? -1];
    return { events: name ? [key(withModifiers(name, nums[1]))] : [], length };
  }
  const name = CSI_FINAL_KEYS[final];
  // Unknown sequences (focus reports, device answers…) are swallowed, never typed as text.
  return { events: name ? [key(withModifiers(name, nums[1]))] : [], length };
}

function parseEscape(s: string): Parsed {
  if (s.length < 2) return "incomplete";
  const second = s[1]!;
  if (second === "[") return parseCsi(s);
  if (second === "O") {
    if (s.length < 3) return "incomplete";
    const name = SS3_KEYS[s[2]!];
    // Not a key we know: an Esc typed just before "O…", most likely.
    return name ? { events: [key(name)], length: 3 } : { events: [key("ESCAPE")], length: 1 };
  }
  // Esc followed by anything else is Esc, then that key: "Esc q" typed fast
  // (or sent by tmux in one write) must close a view and then quit, as it
  // did with terminal-kit. (Terminals send Alt+key this way too; socktop binds
  // no Alt keys.)
  return { events: [key("ESCAPE")], length: 1 };
}

export class InputDecoder {
  private buffer = "";

  /** An unfinished escape sequence is waiting for more input (or for `flush`). */
  get pending(): boolean {
    return this.buffer !== "";
  }

  feed(chunk: string): InputEvent[] {
    const s = this.buffer + chunk;
    this.buffer = "";
    const out: InputEvent[] = [];
    let i = 0;
    while (i < s.length) {
      const ch = s[i]!;
      if (ch === ESC) {
        const parsed = parseEscape(s.slice(i, i + MAX_SEQUENCE));
        if (parsed === "incomplete") {
          if (s.length - i < MAX_SEQUENCE) {
            this.buffer = s.slice(i);
            break;
          }
          // Garbage, not a sequence: drop it, with the rest of its parameter bytes.
          i += MAX_SEQUENCE;
          while (i < s.length && s.charCodeAt(i) >= 0x20 && s.charCodeAt(i) <= 0x3f) i++;
          continue;
        }
        out.push(...parsed.events);
        i += parsed.length;
        continue;
      }
      const control = controlKey(ch);
      if (control) {
        out.push(key(control));
        i++;
        continue;
      }
      const cp = s.codePointAt(i)!;
      const text = String.fromCodePoint(cp);
      out.push(key(text, true));
      i += text.length;
    }
    return out;
  }

  /** Nothing more came: what is pending is a lone Esc (and whatever followed it, as typed). */
  flush(): InputEvent[] {
    if (!this.buffer) return [];
    const rest = this.buffer.slice(1);
    this.buffer = "";
    return [key("ESCAPE"), ...(rest ? this.feed(rest) : [])];
  }
}
