/**
 * Drawing helpers of the process details view's sections: section titles,
 * scrollbars, label/value items flowed over rows, the command line's rows,
 * journal priorities and times.
 */
import { formatRate, formatShortDate, sanitize, textWidth, truncate } from "./format.js";
import type { Rect, Screen } from "./screen.js";
import { type RenderContext, scrollThumb, titleLine } from "./widgets.js";

/** A panel title line whose title shows focus in reverse video (readable with and without colour). */
export function sectionTitle(screen: Screen, rect: Rect, title: string, right: string, focused: boolean, ctx: RenderContext): void {
  titleLine(screen, rect, title, ctx, right);
  if (focused) screen.put(rect.x + 2, rect.y, title, ctx.theme.selected, rect.w - 3);
}

export function drawScrollbar(screen: Screen, x: number, y: number, h: number, total: number, scroll: number, ctx: RenderContext): void {
  if (total <= h || h <= 0) return;
  const { start, size } = scrollThumb(total, h, scroll, h);
  for (let i = 0; i < h; i++) {
    const inThumb = i >= start && i < start + size;
    screen.put(x, y + i, inThumb ? "█" : "│", inThumb ? ctx.theme.bold : ctx.theme.border);
  }
}

/** "…/the/tail" in at most `width` cells. */
export function truncateStart(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  if (width <= 1) return width === 1 ? "…" : "";
  const chars = [...text];
  let out = "";
  let w = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = textWidth(chars[i]!);
    if (w + cw > width - 1) break;
    out = chars[i]! + out;
    w += cw;
  }
  return `…${out}`;
}

export const PRIORITY_LABELS: Record<string, string> = {
  Emergency: "EMERG",
  Alert: "ALERT",
  Critical: "CRIT",
  Error: "ERR",
  Warning: "WARN",
  Notice: "NOTICE",
  Info: "INFO",
  Debug: "DEBUG",
};

export function journalTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? truncate(iso, 15) : formatShortDate(d);
}

/** One line of text from a journal message: newlines and tabs become spaces, control characters "?". */
export function oneLine(text: string): string {
  return sanitize(text.replace(/[\r\n\t]+/g, " ").trim());
}

// ---------------------------------------------------------------- rendering

export function ioText(rate: number | null, readable: boolean): string {
  if (!readable) return "n/a";
  return formatRate(rate);
}

/** The smallest of 1, 2, 5, 10, 20, 50, 100 (percent) at or above `peak`. */
export function cpuScale(peak: number): number {
  for (const s of [1, 2, 5, 10, 20, 50]) if (peak <= s) return s;
  return 100;
}

export interface Item {
  label: string;
  value: string;
  /** Paths lose their beginning rather than their end when cut. */
  path?: boolean;
}

/**
 * "label value" pairs laid out left to right, wrapping to the next row; an
 * item that fits nowhere is cut (paths from the left) or, past the last
 * row, dropped. Returns rows of positioned items.
 */
export function flowItems(items: readonly Item[], width: number, maxRows: number): { x: number; label: string; value: string }[][] {
  const rows: { x: number; label: string; value: string }[][] = [[]];
  let x = 0;
  const GAP = 2;
  for (const it of items) {
    const labelW = textWidth(it.label) + 1;
    let value = it.value;
    const need = (): number => labelW + textWidth(value);
    let start = x === 0 ? 0 : x + GAP;
    if (start + need() > width && x > 0 && rows.length < maxRows) {
      rows.push([]);
      start = 0;
    }
    const room = width - start - labelW;
    if (need() + start > width) {
      if (room < 6) continue;
      value = it.path ? truncateStart(value, room) : truncate(value, room);
    }
    rows[rows.length - 1]!.push({ x: start, label: it.label, value });
    x = start + need();
  }
  return rows.filter((r) => r.length > 0);
}

export function drawItems(screen: Screen, rect: Rect, rows: { x: number; label: string; value: string }[][], ctx: RenderContext): void {
  const { theme } = ctx;
  for (let r = 0; r < rows.length && r < rect.h; r++) {
    for (const it of rows[r]!) {
      const x = rect.x + it.x;
      const lx = screen.put(x, rect.y + r, it.label, theme.muted, rect.x + rect.w - x);
      screen.put(lx + 1, rect.y + r, it.value, theme.text, rect.x + rect.w - lx - 1);
    }
  }
}

/** Cut a long command line into rows of `width` cells; the last row says when more was cut. */
export function commandRows(command: string, width: number, maxRows: number): string[] {
  if (width <= 0) return [];
  const out: string[] = [];
  let line = "";
  let w = 0;
  for (const ch of command) {
    const cw = textWidth(ch);
    if (w + cw > width) {
      out.push(line);
      line = "";
      w = 0;
    }
    line += ch;
    w += cw;
  }
  if (line) out.push(line);
  if (out.length > maxRows) {
    const kept = out.slice(0, maxRows);
    const last = kept[maxRows - 1]!;
    kept[maxRows - 1] = textWidth(last) < width ? `${last}…` : truncate(`${last}…`, width);
    return kept;
  }
  return out;
}
