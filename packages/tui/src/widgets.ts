/**
 * Drawing pieces shared by the main screen, the process details view and the
 * fleet view: panel titles and boxes, bars, sparklines, scrollbar thumbs,
 * word wrapping, and the context every renderer gets.
 */
import { textWidth, truncate } from "./format.js";
import type { Rect, Screen, Style } from "./screen.js";
import type { Intervals } from "./session.js";
import type { Theme } from "./theme.js";

export interface RenderContext {
  theme: Theme;
  /** Epoch ms. */
  now: number;
  /** "host:port" of the agent. */
  target: string;
  /** The URL with any token hidden. */
  url: string;
  tls: boolean;
  tlsCa: string | null;
  verifyHostname: boolean;
  version: string;
  intervals: Intervals;
  demo: boolean;
}

// Arrays, not a string: indexing a string makes a new string for each character outside Latin-1.
const BLOCKS = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

const HBLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];

/** A title line "─ Title ───────" across the top of a panel. */
export function titleLine(screen: Screen, rect: Rect, title: string, ctx: RenderContext, right = ""): void {
  const { theme } = ctx;
  screen.fill({ x: rect.x, y: rect.y, w: rect.w, h: 1 }, "─", theme.border);
  let x = rect.x + 1;
  x = screen.put(x, rect.y, " ", theme.border, rect.w - 1);
  x = screen.put(x, rect.y, title, theme.title, rect.x + rect.w - x - 1);
  screen.put(x, rect.y, " ", theme.border, rect.x + rect.w - x);
  if (right) {
    const rw = textWidth(right) + 2;
    const rx = rect.x + rect.w - rw - 1;
    if (rx > x + 1) screen.put(rx, rect.y, ` ${right} `, theme.muted);
  }
}

export function vline(screen: Screen, x: number, y: number, h: number, ctx: RenderContext, top = "┬"): void {
  screen.put(x, y, top, ctx.theme.border);
  for (let i = 1; i < h; i++) screen.put(x, y + i, "│", ctx.theme.border);
}

/** A horizontal bar with eighth-cell resolution; the rest of the track is shaded. */
export function drawBar(screen: Screen, x: number, y: number, w: number, percent: number, fill: Style, track: Style): void {
  if (w <= 0) return;
  const p = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
  const eighths = Math.round((p / 100) * w * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  for (let i = 0; i < w; i++) {
    if (i < full) screen.put(x + i, y, "█", fill);
    else if (i === full && part > 0) screen.put(x + i, y, HBLOCKS[part]!, fill);
    else screen.put(x + i, y, "░", track);
  }
}

/**
 * Vertical bars of `values` (oldest first) in a box of `rows` rows, scaled so
 * that `max` fills the box. Newest sample at the right edge.
 */
export function drawSparkline(
  screen: Screen,
  rect: Rect,
  values: readonly number[],
  max: number,
  style: Style,
  peakStyle?: Style,
): void {
  const n = Math.min(values.length, rect.w);
  if (n === 0 || rect.h <= 0) return;
  const offset = values.length - n;
  const x0 = rect.x + rect.w - n;
  let peakIndex = -1;
  if (peakStyle) {
    let best = 0;
    for (let i = 0; i < n; i++) {
      if (values[offset + i]! > best) {
        best = values[offset + i]!;
        peakIndex = i;
      }
    }
  }
  const total = rect.h * 8;
  for (let i = 0; i < n; i++) {
    const v = values[offset + i]!;
    let eighths = max > 0 ? Math.round((Math.max(0, v) / max) * total) : 0;
    // Any activity at all gets a sliver, so "nothing" and "a little" differ.
    if (v > 0 && eighths === 0) eighths = 1;
    eighths = Math.min(total, eighths);
    const st = i === peakIndex ? peakStyle! : style;
    for (let r = 0; r < rect.h; r++) {
      const level = Math.max(0, Math.min(8, eighths - r * 8));
      if (level > 0) screen.put(x0 + i, rect.y + rect.h - 1 - r, BLOCKS[level]!, st);
    }
  }
}

/** Greedy word wrap to `width` cells. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    if (line && textWidth(line) + 1 + textWidth(word) > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
    while (textWidth(line) > width) {
      out.push(truncate(line, width).slice(0, -1));
      line = line.slice(width - 1);
    }
  }
  if (line) out.push(line);
  return out;
}

/** Position and size of the scrollbar thumb, in track cells. */
export function scrollThumb(total: number, visible: number, scroll: number, track: number): { start: number; size: number } {
  if (total <= visible || track <= 0) return { start: 0, size: track };
  const size = Math.max(1, Math.round((visible / total) * track));
  const maxScroll = total - visible;
  const start = Math.round((scroll / maxScroll) * (track - size));
  return { start: Math.max(0, Math.min(track - size, start)), size };
}

export function box(screen: Screen, rect: Rect, title: string, ctx: RenderContext): void {
  const { theme } = ctx;
  screen.fill(rect, " ", theme.modal);
  const right = rect.x + rect.w - 1;
  const bottom = rect.y + rect.h - 1;
  screen.put(rect.x, rect.y, "┌", theme.text);
  screen.put(right, rect.y, "┐", theme.text);
  screen.put(rect.x, bottom, "└", theme.text);
  screen.put(right, bottom, "┘", theme.text);
  for (let x = rect.x + 1; x < right; x++) {
    screen.put(x, rect.y, "─", theme.text);
    screen.put(x, bottom, "─", theme.text);
  }
  for (let y = rect.y + 1; y < bottom; y++) {
    screen.put(rect.x, y, "│", theme.text);
    screen.put(right, y, "│", theme.text);
  }
  screen.put(rect.x + 2, rect.y, ` ${title} `, theme.modalTitle, rect.w - 4);
}
