/**
 * A cell buffer and the diff writer that turns two of them into the shortest
 * escape sequence stream we can cheaply find.
 *
 * Why our own buffer instead of terminal-kit's ScreenBuffer: panels are drawn
 * from scratch every frame (simple and stateless), so the cost that matters is
 * "compare two frames and emit only what changed". Here a frame is two flat
 * arrays and an unchanged frame costs one linear scan and zero bytes written;
 * tests read the same buffer back as text. See the README for the measurement.
 */
import { charWidth } from "./format.js";

/** Attribute bits of a style. */
export const BOLD = 1;
export const DIM = 2;
export const UNDERLINE = 4;
export const INVERSE = 8;
export const ITALIC = 16;

/** Colour value meaning "the terminal's default". 0..15 are the ANSI palette. */
export const DEFAULT_COLOR = 256;

/**
 * A style packed in one number: fg (9 bits), bg (9 bits), attributes (5 bits).
 * Packed so that comparing two cells is one integer comparison.
 */
export type Style = number;

export function makeStyle(fg: number = DEFAULT_COLOR, bg: number = DEFAULT_COLOR, attrs = 0): Style {
  return (fg & 0x1ff) | ((bg & 0x1ff) << 9) | ((attrs & 0x1f) << 18);
}

export const PLAIN: Style = makeStyle();

export function styleFg(s: Style): number {
  return s & 0x1ff;
}
export function styleBg(s: Style): number {
  return (s >>> 9) & 0x1ff;
}
export function styleAttrs(s: Style): number {
  return (s >>> 18) & 0x1f;
}
export function withAttrs(s: Style, attrs: number): Style {
  return s | ((attrs & 0x1f) << 18);
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function contains(r: Rect, x: number, y: number): boolean {
  return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

/** The empty string in a cell marks the right half of a wide character. */
const CONTINUATION = "";

/**
 * One string per code unit of the Basic Multilingual Plane, made on first use
 * and shared by every cell that shows it. `text[i]` allocates a new string for
 * anything outside Latin-1, and a frame of bars, borders and sparklines is
 * thousands of those: the garbage was most of a frame's GC.
 */
const GLYPH_PAGES: (string | undefined)[][] = [];
function glyph(code: number, text: string, i: number): string {
  // Pages of 256 so that the few ranges in use cost a few small arrays, not a 64K table.
  const page = GLYPH_PAGES[code >> 8] ?? (GLYPH_PAGES[code >> 8] = new Array<string | undefined>(256).fill(undefined));
  return page[code & 0xff] ?? (page[code & 0xff] = text[i]!);
}

export class Screen {
  width = 0;
  height = 0;
  chars: string[] = [];
  styles: Uint32Array = new Uint32Array(0);

  constructor(width: number, height: number) {
    this.resize(width, height);
  }

  resize(width: number, height: number): void {
    // NaN or undefined (a terminal that reports no size) counts as 0, not a RangeError.
    this.width = Math.max(0, Math.floor(width) || 0);
    this.height = Math.max(0, Math.floor(height) || 0);
    const n = this.width * this.height;
    this.chars = new Array<string>(n).fill(" ");
    this.styles = new Uint32Array(n);
  }

  clear(style: Style = PLAIN): void {
    this.chars.fill(" ");
    this.styles.fill(style);
  }

  private setCell(i: number, ch: string, style: Style): void {
    const { chars } = this;
    // Overwriting either half of a wide character blanks the other half, or
    // the terminal and our model would disagree about what is on screen.
    if (chars[i] === CONTINUATION && i % this.width > 0) chars[i - 1] = " ";
    if ((i + 1) % this.width !== 0 && chars[i + 1] === CONTINUATION) chars[i + 1] = " ";
    chars[i] = ch;
    this.styles[i] = style;
  }

  /**
   * Write text at (x, y), clipped to `maxWidth` cells and to the screen.
   * Returns the column after the last written cell.
   */
  put(x: number, y: number, text: string, style: Style = PLAIN, maxWidth = Infinity): number {
    if (y < 0 || y >= this.height) return x;
    const limit = Math.min(this.width, x + maxWidth);
    let cx = x;
    const row = y * this.width;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      // By code unit with interned cells (see glyph): no string is allocated per cell.
      let cp = text.charCodeAt(i);
      let ch: string;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00);
        ch = text.slice(i, i + 2);
        i++;
      } else {
        ch = glyph(cp, text, i);
      }
      const w = cp < 0x300 ? 1 : charWidth(cp);
      if (w === 0) {
        // Combining mark: attach to the previous cell so it renders there.
        if (cx > 0 && cx - 1 >= x && cx - 1 < limit) this.chars[row + cx - 1] += ch;
        continue;
      }
      if (cx + w > limit) {
        if (w === 2 && cx < limit && cx >= 0) this.setCell(row + cx, " ", style);
        break;
      }
      if (cx >= 0) {
        if (w === 2) {
          this.setCell(row + cx, ch, style);
          this.setCell(row + cx + 1, CONTINUATION, style);
        } else {
          this.setCell(row + cx, ch, style);
        }
      }
      cx += w;
    }
    return cx;
  }

  /** Fill a rectangle with one character (clipped). */
  fill(rect: Rect, ch = " ", style: Style = PLAIN): void {
    const x0 = Math.max(0, rect.x);
    const y0 = Math.max(0, rect.y);
    const x1 = Math.min(this.width, rect.x + rect.w);
    const y1 = Math.min(this.height, rect.y + rect.h);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) this.setCell(y * this.width + x, ch, style);
    }
  }

  /** Add attributes (e.g. DIM for stale data) to every cell of a rectangle. */
  addAttrs(rect: Rect, attrs: number): void {
    const x0 = Math.max(0, rect.x);
    const y0 = Math.max(0, rect.y);
    const x1 = Math.min(this.width, rect.x + rect.w);
    const y1 = Math.min(this.height, rect.y + rect.h);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * this.width + x;
        this.styles[i] = withAttrs(this.styles[i]!, attrs);
      }
    }
  }

  /** Replace the style of a rectangle, keeping the characters (selection highlight). */
  setStyle(rect: Rect, style: Style): void {
    const x0 = Math.max(0, rect.x);
    const y0 = Math.max(0, rect.y);
    const x1 = Math.min(this.width, rect.x + rect.w);
    const y1 = Math.min(this.height, rect.y + rect.h);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) this.styles[y * this.width + x] = style;
    }
  }

  charAt(x: number, y: number): string {
    return this.chars[y * this.width + x] ?? "";
  }

  styleAt(x: number, y: number): Style {
    return this.styles[y * this.width + x] ?? PLAIN;
  }

  /** One row as text (wide characters once, trailing spaces kept). */
  rowText(y: number): string {
    let out = "";
    for (let x = 0; x < this.width; x++) out += this.chars[y * this.width + x];
    return out;
  }

  /** The whole screen as text, trailing spaces trimmed per row: what a test asserts on. */
  text(): string {
    const rows: string[] = [];
    for (let y = 0; y < this.height; y++) rows.push(this.rowText(y).trimEnd());
    return rows.join("\n");
  }

  copyFrom(other: Screen): void {
    if (other.width !== this.width || other.height !== this.height) this.resize(other.width, other.height);
    for (let i = 0; i < other.chars.length; i++) this.chars[i] = other.chars[i]!;
    this.styles.set(other.styles);
  }
}

/**
 * The cells one renderer drew into a rectangle, kept so that the next frame
 * can copy them back instead of drawing them again while what they show is
 * unchanged (the caller's `stamp`: a version number and whatever else the
 * drawing read). For a region only its renderer writes into.
 */
export class RegionCache {
  private chars: string[] = [];
  private styles = new Uint32Array(0);
  private x = -1;
  private y = -1;
  private w = -1;
  private h = -1;
  private stamp: readonly unknown[] = [];

  /** Copies the kept cells into `screen` when they were kept for this rectangle and stamp; false otherwise. */
  restore(screen: Screen, rect: Rect, stamp: readonly unknown[]): boolean {
    if (rect.x !== this.x || rect.y !== this.y || rect.w !== this.w || rect.h !== this.h || stamp.length !== this.stamp.length) return false;
    for (let i = 0; i < stamp.length; i++) if (stamp[i] !== this.stamp[i]) return false;
    if (rect.x < 0 || rect.y < 0 || rect.x + rect.w > screen.width || rect.y + rect.h > screen.height) return false;
    const { w, h } = rect;
    for (let r = 0; r < h; r++) {
      const at = (rect.y + r) * screen.width + rect.x;
      for (let c = 0; c < w; c++) {
        screen.chars[at + c] = this.chars[r * w + c]!;
        screen.styles[at + c] = this.styles[r * w + c]!;
      }
    }
    return true;
  }

  /** Keeps the cells of `rect` as drawn now, under `stamp`. */
  save(screen: Screen, rect: Rect, stamp: readonly unknown[]): void {
    const { w, h } = rect;
    if (rect.x < 0 || rect.y < 0 || rect.x + w > screen.width || rect.y + h > screen.height) {
      this.stamp = [];
      this.w = -1;
      return;
    }
    if (this.chars.length !== w * h) {
      this.chars = new Array<string>(w * h).fill(" ");
      this.styles = new Uint32Array(w * h);
    }
    for (let r = 0; r < h; r++) {
      const at = (rect.y + r) * screen.width + rect.x;
      for (let c = 0; c < w; c++) {
        this.chars[r * w + c] = screen.chars[at + c]!;
        this.styles[r * w + c] = screen.styles[at + c]!;
      }
    }
    this.x = rect.x;
    this.y = rect.y;
    this.w = w;
    this.h = h;
    this.stamp = stamp;
  }
}

const sgrCache = new Map<Style, string>();

/** The SGR sequence selecting a style from scratch (reset first, so no state leaks). */
export function sgr(style: Style): string {
  let seq = sgrCache.get(style);
  if (seq !== undefined) return seq;
  const parts = ["0"];
  const attrs = styleAttrs(style);
  if (attrs & BOLD) parts.push("1");
  if (attrs & DIM) parts.push("2");
  if (attrs & ITALIC) parts.push("3");
  if (attrs & UNDERLINE) parts.push("4");
  if (attrs & INVERSE) parts.push("7");
  const fg = styleFg(style);
  if (fg < 8) parts.push(String(30 + fg));
  else if (fg < 16) parts.push(String(90 + fg - 8));
  else if (fg < 256) parts.push(`38;5;${fg}`);
  const bg = styleBg(style);
  if (bg < 8) parts.push(String(40 + bg));
  else if (bg < 16) parts.push(String(100 + bg - 8));
  else if (bg < 256) parts.push(`48;5;${bg}`);
  seq = `\x1b[${parts.join(";")}m`;
  sgrCache.set(style, seq);
  return seq;
}

/**
 * The frame being written, as UTF-8 bytes in one buffer kept between frames:
 * a frame used to be an array of thousands of one-character strings joined at
 * the end, which was most of what a frame allocated.
 */
let outBuf = Buffer.allocUnsafe(1 << 16);
let outLen = 0;

function reserve(bytes: number): void {
  if (outLen + bytes <= outBuf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(outBuf.length * 2, outLen + bytes));
  outBuf.copy(bigger, 0, 0, outLen);
  outBuf = bigger;
}

/** Escape sequences (ASCII only). */
function emitAscii(text: string): void {
  reserve(text.length);
  for (let i = 0; i < text.length; i++) outBuf[outLen++] = text.charCodeAt(i);
}

function emitNumber(n: number): void {
  if (n >= 10) emitNumber(Math.floor(n / 10));
  reserve(1);
  outBuf[outLen++] = 48 + (n % 10);
}

/** A cell's text as UTF-8 (a lone surrogate as U+FFFD, as Node's own encoder writes it). */
function emitText(text: string): void {
  reserve(text.length * 3);
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      outBuf[outLen++] = c;
    } else if (c < 0x800) {
      outBuf[outLen++] = 0xc0 | (c >> 6);
      outBuf[outLen++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const lo = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
        reserve(1);
        outBuf[outLen++] = 0xf0 | (c >> 18);
        outBuf[outLen++] = 0x80 | ((c >> 12) & 0x3f);
        outBuf[outLen++] = 0x80 | ((c >> 6) & 0x3f);
        outBuf[outLen++] = 0x80 | (c & 0x3f);
      } else {
        outBuf[outLen++] = 0xef;
        outBuf[outLen++] = 0xbf;
        outBuf[outLen++] = 0xbd;
      }
    } else {
      outBuf[outLen++] = 0xe0 | (c >> 12);
      outBuf[outLen++] = 0x80 | ((c >> 6) & 0x3f);
      outBuf[outLen++] = 0x80 | (c & 0x3f);
    }
  }
}

/**
 * Escape sequences that turn a terminal showing `prev` into one showing `next`.
 * With no `prev` (first frame, after a resize) everything is written.
 * Returns "" when nothing changed, so an idle frame writes nothing at all.
 */
export function diffScreens(prev: Screen | null, next: Screen): string {
  const full = !prev || prev.width !== next.width || prev.height !== next.height;
  const { width, height, chars, styles } = next;
  outLen = 0;
  if (full) emitAscii("\x1b[0m\x1b[2J");
  const empty = outLen;
  let curX = -1;
  let curY = -1;
  let curStyle = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const ch = chars[i]!;
      if (ch === CONTINUATION) continue;
      // The clear already left default-styled blanks everywhere.
      if (full && ch === " " && styles[i] === PLAIN) continue;
      if (!full && prev!.chars[i] === ch && prev!.styles[i] === styles[i]) continue;
      if (curY !== y || curX !== x) {
        // Bridging a short gap by rewriting the unchanged cells is cheaper than
        // a cursor move (which costs 6-8 bytes), as long as the style matches.
        const gap = x - curX;
        let bridged = false;
        if (curY === y && gap > 0 && gap <= 4) {
          let ok = true;
          for (let k = curX; k < x; k++) {
            if (styles[row + k] !== curStyle || chars[row + k] === CONTINUATION || charWidth(chars[row + k]!.codePointAt(0)!) !== 1) {
              ok = false;
              break;
            }
          }
          if (ok) {
            for (let k = curX; k < x; k++) emitText(chars[row + k]!);
            bridged = true;
          }
        }
        if (!bridged) {
          emitAscii("\x1b[");
          emitNumber(y + 1);
          emitAscii(";");
          emitNumber(x + 1);
          emitAscii("H");
        }
      }
      const st = styles[i]!;
      if (st !== curStyle) {
        emitAscii(sgr(st));
        curStyle = st;
      }
      emitText(ch);
      const w = charWidth(ch.codePointAt(0)!);
      curX = x + (w === 2 ? 2 : 1);
      curY = y;
      // After writing the last column the terminal's cursor position is
      // ambiguous (pending wrap), so force an explicit move next time.
      if (curX >= width) curX = -1;
    }
  }
  if (outLen === empty) return full ? "\x1b[0m\x1b[2J" : "";
  emitAscii("\x1b[0m");
  return outBuf.toString("utf8", 0, outLen);
}
