/**
 * The process details view: Enter on a process row opens it full screen.
 * It polls its own two requests while open (details about every second,
 * journal about every five, never more than one of each kind in flight),
 * stops when closed, and draws into the app's cell buffer like every panel.
 *
 *   ─ name · PID n ──────────────────────────────── state ─
 *    cmd  …                                   (1–3 rows)
 *    user … parent … started … up … threads … fds … cwd … exe …
 *   ─ CPU x% ─────── avg ─┬─ Memory & I/O ─────────────────
 *    sparkline            │ RSS … virtual … shared …
 *                         │ read …/s · write …/s
 *   ─ Threads n ─── sort ─┬─ Children n ───────────────────
 *    TID NAME  CPU TIME…  │ PID NAME CPU% MEM
 *   ─ Journal n ───────────────────────────────────────────
 *    May 17 13:37:42 ERR    message
 *    Esc back  Tab focus  …
 */
import type { ThreadInfo } from "@socktop/protocol";
import type { DetailsContext, DetailsView, DetailsViewFactory } from "./app.js";
import { DetailsState, threadCpuTime, type DetailsFocus } from "./details-state.js";
import {
  fit,
  formatBytes,
  formatBytesShort,
  formatCpuTime,
  formatDuration,
  formatPercent,
  formatRate,
  formatShortDate,
  formatSince,
  sanitize,
  textWidth,
  truncate,
} from "./format.js";
import { DETAILS_KEY_TABLE } from "./keys.js";
import { box, drawSparkline, scrollThumb, titleLine, vline, wrap, type RenderContext } from "./render.js";
import { contains, DIM, type Rect, type Screen, type Style } from "./screen.js";
import { realClock, type AgentClient, type Clock } from "./session.js";
import type { MouseInput } from "./terminal.js";
import { journalStyle } from "./theme.js";

export const DETAILS_INTERVAL_MS = 1000;
export const JOURNAL_INTERVAL_MS = 5000;
const DOUBLE_CLICK_MS = 400;
const WHEEL_ROWS = 3;

export interface DetailsViewOptions {
  clock?: Clock;
  detailsIntervalMs?: number;
  journalIntervalMs?: number;
}

/** The factory `run()` hands to the app; one view per opened pid. */
export function detailsViewFactory(options: DetailsViewOptions = {}): DetailsViewFactory {
  return (ctx) => new ProcessDetailsView(ctx, options);
}

// ---------------------------------------------------------------- layout

export interface DetailsLayout {
  title: Rect;
  command: Rect;
  meta: Rect;
  cpu: Rect | null;
  mem: Rect | null;
  threads: Rect;
  threadRows: Rect;
  children: Rect;
  childRows: Rect;
  journal: Rect;
  journalRows: Rect;
  footer: Rect;
}

export interface DetailsWants {
  commandLines: number;
  metaLines: number;
  /** Rows the thread and child lists could fill. */
  listLines: number;
  journalLines: number;
}

/** The section under a point, for the mouse. */
export function sectionAt(layout: DetailsLayout, x: number, y: number): DetailsFocus | null {
  if (contains(layout.threads, x, y)) return "threads";
  if (contains(layout.children, x, y)) return "children";
  if (contains(layout.journal, x, y)) return "journal";
  return null;
}

/**
 * Where each section goes. At 80×24 every section keeps a few rows (the
 * lists scroll); taller terminals give the command line, metadata and CPU
 * graph more room, and whatever the lists do not need goes to the journal.
 */
export function computeDetailsLayout(area: Rect, want: DetailsWants): DetailsLayout {
  const W = area.w;
  const H = area.h;
  const row = (y: number, h: number, x = area.x, w = W): Rect => ({ x, y, w, h: Math.max(0, h) });
  let cmdRows = Math.max(1, Math.min(want.commandLines, H >= 40 ? 3 : H >= 30 ? 2 : 1));
  let metaRows = Math.max(1, Math.min(want.metaLines, H >= 30 ? 3 : 2));
  let band = H >= 40 ? Math.max(5, Math.min(10, Math.round(H * 0.18))) : H >= 20 ? 4 : 3;
  // Threads need a title, a header and two rows; the journal a title and two rows.
  const MIN_LISTS = 7;
  const rest = (): number => H - 2 - cmdRows - metaRows - band;
  while (rest() < MIN_LISTS && band > 0) band = band > 3 ? band - 1 : 0;
  while (rest() < MIN_LISTS && metaRows > 1) metaRows--;
  while (rest() < MIN_LISTS && cmdRows > 1) cmdRows--;
  const lists = Math.max(0, rest());

  let y = area.y;
  const title = row(y, 1);
  y += 1;
  const command = row(y, cmdRows);
  y += cmdRows;
  const meta = row(y, metaRows);
  y += metaRows;
  let cpu: Rect | null = null;
  let mem: Rect | null = null;
  if (band > 0) {
    const cpuW = W >= 120 ? Math.round(W * 0.6) : Math.round(W / 2);
    cpu = row(y, band, area.x, cpuW);
    mem = row(y, band, area.x + cpuW, W - cpuW);
    y += band;
  }
  let journalH = Math.min(1 + Math.max(2, want.journalLines), Math.max(3, Math.round(lists * 0.4)));
  let threadsH = lists - journalH;
  // Lists shorter than their share hand the rest to the journal.
  const listsNeed = 2 + Math.max(2, want.listLines);
  if (threadsH > listsNeed) {
    journalH += threadsH - listsNeed;
    threadsH = listsNeed;
  }
  const childW = W < 60 ? Math.round(W * 0.4) : Math.max(24, Math.min(80, Math.round(W * 0.42)));
  const threads = row(y, threadsH, area.x, W - childW);
  const children = row(y, threadsH, area.x + W - childW, childW);
  y += threadsH;
  const journal = row(y, journalH);
  const footer = row(area.y + H - 1, 1);
  return {
    title,
    command,
    meta,
    cpu,
    mem,
    threads,
    threadRows: { x: threads.x + 1, y: threads.y + 2, w: Math.max(0, threads.w - 2), h: Math.max(0, threads.h - 2) },
    children,
    childRows: { x: children.x + 1, y: children.y + 2, w: Math.max(0, children.w - 2), h: Math.max(0, children.h - 2) },
    journal,
    journalRows: { x: journal.x + 1, y: journal.y + 1, w: Math.max(0, journal.w - 2), h: Math.max(0, journal.h - 1) },
    footer,
  };
}

// ---------------------------------------------------------------- rendering helpers

interface Item {
  label: string;
  value: string;
  /** Paths lose their beginning rather than their end when cut. */
  path?: boolean;
}

/** "…/the/tail" in at most `width` cells. */
function truncateStart(text: string, width: number): string {
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

function drawItems(screen: Screen, rect: Rect, rows: { x: number; label: string; value: string }[][], ctx: RenderContext): void {
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

/** A panel title line whose title shows focus in reverse video (readable with and without colour). */
function sectionTitle(screen: Screen, rect: Rect, title: string, right: string, focused: boolean, ctx: RenderContext): void {
  titleLine(screen, rect, title, ctx, right);
  if (focused) screen.put(rect.x + 2, rect.y, title, ctx.theme.selected, rect.w - 3);
}

function drawScrollbar(screen: Screen, x: number, y: number, h: number, total: number, scroll: number, ctx: RenderContext): void {
  if (total <= h || h <= 0) return;
  const { start, size } = scrollThumb(total, h, scroll, h);
  for (let i = 0; i < h; i++) {
    const inThumb = i >= start && i < start + size;
    screen.put(x, y + i, inThumb ? "█" : "│", inThumb ? ctx.theme.bold : ctx.theme.border);
  }
}

/** The smallest of 1, 2, 5, 10, 20, 50, 100 (percent) at or above `peak`. */
export function cpuScale(peak: number): number {
  for (const s of [1, 2, 5, 10, 20, 50]) if (peak <= s) return s;
  return 100;
}

function ioText(rate: number | null, readable: boolean): string {
  if (!readable) return "n/a";
  return formatRate(rate);
}

const PRIORITY_LABELS: Record<string, string> = {
  Emergency: "EMERG",
  Alert: "ALERT",
  Critical: "CRIT",
  Error: "ERR",
  Warning: "WARN",
  Notice: "NOTICE",
  Info: "INFO",
  Debug: "DEBUG",
};

function journalTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? truncate(iso, 15) : formatShortDate(d);
}

/** One line of text from a journal message: newlines and tabs become spaces, control characters "?". */
function oneLine(text: string): string {
  return sanitize(text.replace(/[\r\n\t]+/g, " ").trim());
}

// ---------------------------------------------------------------- rendering

export interface DetailsRenderOptions {
  /** Whether the view can reach the agent right now (false while reconnecting). */
  connected: boolean;
  /** The key box is open. */
  help?: boolean;
}

function metaItems(state: DetailsState, now: number): Item[] {
  const p = state.details!;
  const user = p.user_id === null ? "n/a" : p.user_name ? `${p.user_name} (${p.user_id})` : String(p.user_id);
  // An exited process stops ageing.
  const until = state.exited && state.exitedAt !== null ? state.exitedAt : now;
  const started = new Date(p.start_time * 1000);
  return [
    { label: "user", value: sanitize(user) },
    { label: "parent", value: p.parent_pid === null ? "–" : String(p.parent_pid) },
    { label: "started", value: formatSince(started, new Date(now)) },
    { label: "up", value: formatDuration(until - p.start_time * 1000) },
    { label: "threads", value: String(p.thread_count) },
    { label: "fds", value: p.fd_count === null ? "n/a" : String(p.fd_count) },
    { label: "cwd", value: p.working_directory === null ? "n/a" : sanitize(p.working_directory), path: true },
    { label: "exe", value: p.executable_path === null ? "n/a" : sanitize(p.executable_path), path: true },
  ];
}

function commandText(state: DetailsState): string {
  const p = state.details!;
  // Kernel threads and zombies have no argv; ps shows the name in brackets.
  return p.command.trim() === "" ? `[${sanitize(p.name)}]` : sanitize(p.command);
}

function journalWant(state: DetailsState, width: number): number {
  if (state.journal && state.journal.entries.length > 0) return state.journal.entries.length;
  if (state.journalError) return wrap(state.journalError, Math.max(10, width - 2)).length;
  return 1;
}

export function renderDetails(screen: Screen, area: Rect, state: DetailsState, ctx: RenderContext, options: DetailsRenderOptions): DetailsLayout {
  const { theme } = ctx;
  const p = state.details;
  const cmdW = area.w - 6;
  const wants: DetailsWants = {
    commandLines: p ? commandRows(commandText(state), cmdW, 3).length : 1,
    metaLines: p ? flowItems(metaItems(state, ctx.now), area.w - 2, 3).length : 1,
    listLines: p ? Math.max(p.threads.length, p.child_processes.length) : 2,
    journalLines: journalWant(state, area.w),
  };
  const layout = computeDetailsLayout(area, wants);
  screen.fill(area, " ", theme.text);
  renderTitle(screen, layout.title, state, ctx, options);

  if (p === null) {
    renderPlaceholder(screen, area, layout, state, ctx);
  } else {
    const body: Rect = { x: area.x, y: layout.command.y, w: area.w, h: layout.footer.y - layout.command.y };
    const rows = commandRows(commandText(state), cmdW, layout.command.h);
    rows.forEach((line, i) => {
      if (i === 0) screen.put(layout.command.x + 1, layout.command.y, "cmd", theme.muted);
      screen.put(layout.command.x + 6, layout.command.y + i, line, theme.bold, cmdW);
    });
    drawItems(screen, { x: area.x + 1, y: layout.meta.y, w: area.w - 2, h: layout.meta.h }, flowItems(metaItems(state, ctx.now), area.w - 2, layout.meta.h), ctx);
    if (layout.cpu) renderCpuPanel(screen, layout.cpu, state, ctx);
    if (layout.mem) renderMemPanel(screen, layout.mem, state, ctx);
    renderThreads(screen, layout, state, ctx);
    renderChildren(screen, layout, state, ctx);
    renderJournal(screen, layout, state, ctx);
    // What no longer updates stays readable but visibly faded, as in the table.
    if (state.exited || !options.connected) screen.addAttrs(body, DIM);
  }
  renderDetailsFooter(screen, layout.footer, state, ctx);
  if (options.help) renderDetailsHelp(screen, area, ctx);
  return layout;
}

function renderTitle(screen: Screen, rect: Rect, state: DetailsState, ctx: RenderContext, options: DetailsRenderOptions): void {
  const { theme } = ctx;
  let right: string;
  let style: Style;
  if (state.exited) {
    right = "✖ process exited";
    style = theme.error;
  } else if (state.unavailable !== null) {
    right = "no details";
    style = theme.warn;
  } else if (!options.connected) {
    right = "◌ waiting for the agent…";
    style = theme.warn;
  } else if (state.details === null) {
    right = "loading…";
    style = theme.muted;
  } else {
    right = state.details.status;
    style = theme.bold;
  }
  screen.fill(rect, "─", theme.border);
  const rw = textWidth(right) + 2;
  const rx = rect.x + rect.w - rw - 1;
  const pid = ` · PID ${state.pid} `;
  // The state (above all "process exited") wins over a long name.
  const nameRoom = Math.max(4, rx - rect.x - 2 - textWidth(pid) - 1);
  let x = screen.put(rect.x + 1, rect.y, " ", theme.border);
  x = screen.put(x, rect.y, truncate(sanitize(state.name || "…"), nameRoom), theme.bold);
  x = screen.put(x, rect.y, pid, theme.text, rect.x + rect.w - x);
  if (rx > x) screen.put(rx, rect.y, ` ${right} `, style);
}

function renderPlaceholder(screen: Screen, area: Rect, layout: DetailsLayout, state: DetailsState, ctx: RenderContext): void {
  const { theme } = ctx;
  let lines: string[];
  let style = theme.muted;
  if (state.unavailable !== null) {
    lines = wrap(`No details for PID ${state.pid}: ${state.unavailable}`, Math.min(76, area.w - 4));
    style = theme.text;
  } else if (state.exited) {
    lines = [`PID ${state.pid} exited before its details arrived.`];
    style = theme.text;
  } else if (state.detailsError !== null) {
    lines = wrap(`The agent cannot show details: ${state.detailsError}`, Math.min(76, area.w - 4));
    style = theme.error;
  } else {
    lines = [`Loading the details of PID ${state.pid}…`];
  }
  lines.push("", "Esc goes back to the process table");
  const top = layout.command.y;
  const h = layout.footer.y - top;
  const y0 = top + Math.max(0, Math.floor((h - lines.length) / 2));
  lines.forEach((l, i) => {
    const x = area.x + Math.max(1, Math.floor((area.w - textWidth(l)) / 2));
    screen.put(x, y0 + i, l, i < lines.length - 2 ? style : theme.muted, area.w - 2);
  });
}

function renderCpuPanel(screen: Screen, rect: Rect, state: DetailsState, ctx: RenderContext): void {
  const { theme } = ctx;
  const graphW = Math.max(0, rect.w - 1);
  const { values, current, average, peak } = state.cpuStats(graphW);
  titleLine(screen, rect, `CPU ${formatPercent(current)}`, ctx, average === null ? "" : `avg ${formatPercent(average)}`);
  const area = { x: rect.x, y: rect.y + 1, w: graphW, h: rect.h - 1 };
  // Scaled to the process, not to 100 %: a single thread on a big machine
  // would otherwise never rise above the bottom row.
  const scale = cpuScale(peak);
  drawSparkline(screen, area, values, scale, theme.graph);
  if (area.h >= 2 && area.w > 8) {
    screen.put(area.x, area.y, formatPercent(scale, 0), theme.muted);
    screen.put(area.x, area.y + area.h - 1, "0", theme.muted);
  }
}

function renderMemPanel(screen: Screen, rect: Rect, state: DetailsState, ctx: RenderContext): void {
  const p = state.details!;
  const io = state.io;
  vline(screen, rect.x, rect.y, rect.h, ctx);
  titleLine(screen, { x: rect.x + 1, y: rect.y, w: rect.w - 1, h: 1 }, "Memory & I/O", ctx);
  const inner = { x: rect.x + 2, y: rect.y + 1, w: rect.w - 3, h: rect.h - 1 };
  const wide = inner.w >= 44;
  const shared = p.shared_mem_bytes === null ? "n/a" : formatBytes(p.shared_mem_bytes);
  const mem: Item[] = [
    { label: "RSS", value: formatBytes(p.mem_bytes) },
    { label: wide ? "virtual" : "virt", value: formatBytes(p.virtual_mem_bytes) },
    { label: wide ? "shared" : "shr", value: shared },
  ];
  const total = (n: number | null): string => (n === null ? "n/a" : formatBytes(n));
  const read: Item[] = [
    { label: "read ", value: fit(ioText(io.read, io.readable.read), 11) },
    { label: "total", value: total(p.read_bytes) },
  ];
  const write: Item[] = [
    { label: "write", value: fit(ioText(io.write, io.readable.write), 11) },
    { label: "total", value: total(p.write_bytes) },
  ];
  const both: Item[] = [
    { label: "read", value: ioText(io.read, io.readable.read) },
    { label: "write", value: ioText(io.write, io.readable.write) },
  ];
  const cpuTime: Item[] = [
    { label: "CPU time user", value: formatCpuTime(p.cpu_time_user) },
    { label: "system", value: formatCpuTime(p.cpu_time_system) },
  ];
  const lines = inner.h >= 3 ? [mem, read, write, cpuTime] : inner.h === 2 ? [mem, both] : [mem];
  lines.slice(0, inner.h).forEach((items, i) => {
    drawItems(screen, { ...inner, y: inner.y + i, h: 1 }, flowItems(items, inner.w, 1), ctx);
  });
}

interface Column {
  label: string;
  x: number;
  w: number;
  align: "left" | "right";
}

/** Columns left to right, clipped to `w` cells so a narrow panel never draws into its neighbour. */
function columns(x: number, w: number, specs: readonly { label: string; w: number; align: "left" | "right" }[]): Column[] {
  const out: Column[] = [];
  let cx = x;
  for (const s of specs) {
    const cw = Math.min(s.w, x + w - cx);
    // A number cut short means nothing; text cut to a few cells still does.
    if (cw < s.w && (s.align === "right" || cw < 4)) break;
    out.push({ ...s, x: cx, w: cw });
    cx += cw + 1;
  }
  return out;
}

/** TID, NAME (takes the slack), CPU TIME, and USER / SYS when there is room, STATE. */
export function threadColumns(x: number, w: number): Column[] {
  const split = w >= 64;
  // TID, CPU TIME, USER and SYS, at least 8 for STATE, and the gaps.
  const fixed = 7 + 9 + (split ? 16 : 0) + 8 + (split ? 5 : 3);
  const nameW = Math.max(4, Math.min(24, w - fixed));
  const specs = [
    { label: "TID", w: 7, align: "right" as const },
    { label: "NAME", w: nameW, align: "left" as const },
    { label: "CPU TIME", w: 9, align: "right" as const },
    ...(split
      ? [
          { label: "USER", w: 8, align: "right" as const },
          { label: "SYS", w: 8, align: "right" as const },
        ]
      : []),
  ];
  const used = specs.reduce((s, c) => s + c.w + 1, 0);
  specs.push({ label: "STATE", w: Math.max(1, Math.min(12, w - used)), align: "left" });
  return columns(x, w, specs);
}

function renderThreads(screen: Screen, layout: DetailsLayout, state: DetailsState, ctx: RenderContext): void {
  const { theme } = ctx;
  const rect = layout.threads;
  if (rect.h < 1) return;
  const rowsRect = layout.threadRows;
  state.setPage("threads", rowsRect.h);
  const threads = state.threads();
  const arrow = state.threadDescending ? "▼" : "▲";
  const sortName = state.threadSort === "cpu" ? "CPU TIME" : "TID";
  sectionTitle(screen, rect, `Threads ${threads.length}`, `by ${sortName === "TID" ? "TID" : "CPU time"} ${arrow}`, state.focus === "threads", ctx);
  if (rect.h < 2) return;
  const cols = threadColumns(rowsRect.x, rowsRect.w);
  for (const c of cols) {
    const sorted = c.label === sortName;
    const label = sorted ? (c.align === "right" ? arrow + c.label : c.label + arrow) : c.label;
    screen.put(c.x, rect.y + 1, fit(label, c.w, c.align), sorted ? theme.tableHeaderSorted : theme.tableHeader);
  }
  if (threads.length === 0) {
    screen.put(rowsRect.x + 1, rowsRect.y, "no threads could be read", theme.muted, rowsRect.w - 1);
    return;
  }
  const cell = (t: ThreadInfo, label: string): string => {
    switch (label) {
      case "TID":
        return String(t.tid);
      case "NAME":
        return sanitize(t.name);
      case "CPU TIME":
        return formatCpuTime(threadCpuTime(t));
      case "USER":
        return formatCpuTime(t.cpu_time_user);
      case "SYS":
        return formatCpuTime(t.cpu_time_system);
      default:
        return t.status;
    }
  };
  for (let r = 0; r < rowsRect.h; r++) {
    const t = threads[state.threadScroll + r];
    if (!t) break;
    const y = rowsRect.y + r;
    for (const c of cols) {
      const style = c.label === "STATE" ? theme.muted : c.label === "TID" && t.tid === state.pid ? theme.bold : theme.text;
      screen.put(c.x, y, fit(cell(t, c.label), c.w, c.align), style);
    }
  }
  drawScrollbar(screen, rect.x + rect.w - 1, rowsRect.y, rowsRect.h, threads.length, state.threadScroll, ctx);
}

function renderChildren(screen: Screen, layout: DetailsLayout, state: DetailsState, ctx: RenderContext): void {
  const { theme } = ctx;
  const rect = layout.children;
  if (rect.h < 1) return;
  const rowsRect = layout.childRows;
  state.setPage("children", rowsRect.h);
  const children = state.children();
  const focused = state.focus === "children";
  vline(screen, rect.x, rect.y, rect.h, ctx);
  sectionTitle(screen, { x: rect.x + 1, y: rect.y, w: rect.w - 1, h: 1 }, `Children ${children.length}`, focused && children.length ? "Enter opens" : "", focused, ctx);
  if (rect.h < 2) return;
  // PID, NAME, CPU% always; MEM when it fits; the command line when there is room for it.
  const withMem = rowsRect.w >= 7 + 6 + 6 + 6 + 3;
  const withCommand = rowsRect.w >= 56;
  const nameW = withCommand ? 16 : Math.max(4, rowsRect.w - 7 - 6 - 2 - (withMem ? 7 : 0));
  const cols = columns(rowsRect.x, rowsRect.w, [
    { label: "PID", w: 7, align: "right" },
    { label: "NAME", w: nameW, align: "left" },
    { label: "CPU%", w: 6, align: "right" },
    ...(withMem ? [{ label: "MEM", w: 6, align: "right" as const }] : []),
    ...(withCommand ? [{ label: "COMMAND", w: Math.max(4, rowsRect.w - 7 - nameW - 6 - 6 - 4), align: "left" as const }] : []),
  ]);
  for (const c of cols) screen.put(c.x, rect.y + 1, fit(c.label, c.w, c.align), theme.tableHeader);
  if (children.length === 0) {
    screen.put(rowsRect.x + 1, rowsRect.y, "no child processes", theme.muted, rowsRect.w - 1);
    return;
  }
  const sel = state.selectedChildIndex();
  for (let r = 0; r < rowsRect.h; r++) {
    const i = state.childScroll + r;
    const c = children[i];
    if (!c) break;
    const y = rowsRect.y + r;
    const selected = focused && i === sel;
    const st = selected ? theme.selected : theme.text;
    if (selected) screen.fill({ x: rowsRect.x, y, w: rowsRect.w, h: 1 }, " ", theme.selected);
    for (const col of cols) {
      const [text, style] =
        col.label === "PID"
          ? [String(c.pid), st]
          : col.label === "NAME"
            ? [sanitize(c.name), selected ? st : theme.bold]
            : col.label === "CPU%"
              ? [formatPercent(c.cpu_usage), st]
              : col.label === "MEM"
                ? [formatBytesShort(c.mem_bytes), st]
                : [sanitize(c.command), selected ? st : theme.muted];
      screen.put(col.x, y, fit(text, col.w, col.align), style);
    }
  }
  drawScrollbar(screen, rect.x + rect.w - 1, rowsRect.y, rowsRect.h, children.length, state.childScroll, ctx);
}

function renderJournal(screen: Screen, layout: DetailsLayout, state: DetailsState, ctx: RenderContext): void {
  const { theme } = ctx;
  const rect = layout.journal;
  if (rect.h < 1) return;
  const rowsRect = layout.journalRows;
  state.setPage("journal", rowsRect.h);
  const journal = state.journal;
  const entries = state.journalEntries();
  let right = "";
  if (journal && state.journalError) right = "last read failed";
  else if (journal) right = journal.truncated ? `last ${entries.length} · newest first` : "newest first";
  else if (state.journalError) right = "unavailable";
  sectionTitle(screen, rect, `Journal${journal ? ` ${entries.length}` : ""}`, right, state.focus === "journal", ctx);
  if (!journal) {
    const message = state.journalError ?? "loading…";
    wrap(message, Math.max(10, rowsRect.w - 1))
      .slice(0, rowsRect.h)
      .forEach((l, i) => screen.put(rowsRect.x, rowsRect.y + i, l, theme.muted, rowsRect.w));
    return;
  }
  if (entries.length === 0) {
    screen.put(rowsRect.x, rowsRect.y, "no journal entries for this process", theme.muted, rowsRect.w);
    return;
  }
  for (let r = 0; r < rowsRect.h; r++) {
    const e = entries[state.journalScroll + r];
    if (!e) break;
    const y = rowsRect.y + r;
    const style = journalStyle(theme, e.priority);
    let x = screen.put(rowsRect.x, y, journalTime(e.timestamp), theme.muted, rowsRect.w);
    x = screen.put(x + 1, y, fit(PRIORITY_LABELS[e.priority] ?? truncate(String(e.priority), 6), 6), style, rowsRect.x + rowsRect.w - x - 1);
    screen.put(x + 1, y, oneLine(e.message), style, rowsRect.x + rowsRect.w - x - 1);
  }
  drawScrollbar(screen, rect.x + rect.w - 1, rowsRect.y, rowsRect.h, entries.length, state.journalScroll, ctx);
}

function renderDetailsFooter(screen: Screen, rect: Rect, state: DetailsState, ctx: RenderContext): void {
  const { theme } = ctx;
  const hints: [string, string][] = [
    ["Esc", "back"],
    ["Tab", "focus"],
    ["↑↓", state.focus === "children" ? "select" : "scroll"],
  ];
  if (state.children().length > 0) hints.push(["Enter", "open child"]);
  if (state.details?.parent_pid) hints.push(["p", "parent"]);
  hints.push(["s", "sort"], ["?", "keys"]);
  let x = rect.x + 1;
  for (const [k, label] of hints) {
    const need = textWidth(k) + 1 + textWidth(label) + 2;
    if (x + need > rect.x + rect.w) break;
    x = screen.put(x, rect.y, k, theme.key);
    x = screen.put(x, rect.y, ` ${label}  `, theme.text);
  }
}

function renderDetailsHelp(screen: Screen, area: Rect, ctx: RenderContext): void {
  const { theme } = ctx;
  const keyW = Math.max(...DETAILS_KEY_TABLE.map((k) => textWidth(k.keys)));
  const contentW = Math.max(...DETAILS_KEY_TABLE.map((k) => keyW + 2 + textWidth(k.action)));
  const w = Math.min(area.w - 2, contentW + 4);
  const h = Math.min(area.h - 2, DETAILS_KEY_TABLE.length + 4);
  const rect = { x: area.x + Math.floor((area.w - w) / 2), y: area.y + Math.floor((area.h - h) / 2), w, h };
  box(screen, rect, "Details keys", ctx);
  DETAILS_KEY_TABLE.slice(0, rect.h - 4).forEach((k, i) => {
    const y = rect.y + 1 + i;
    screen.put(rect.x + 2, y, fit(k.keys, keyW), theme.key, rect.w - 4);
    screen.put(rect.x + 2 + keyW + 2, y, k.action, theme.text, rect.w - keyW - 6);
  });
  screen.put(rect.x + 2, rect.y + rect.h - 2, "Esc/?/h close", theme.muted, rect.w - 4);
}

// ---------------------------------------------------------------- the view

type PollKind = "details" | "journal";

export class ProcessDetailsView implements DetailsView {
  readonly state: DetailsState;
  private readonly clock: Clock;
  private readonly intervals: Record<PollKind, number>;
  private readonly timers = new Map<PollKind, unknown>();
  private readonly stopped: Record<PollKind, boolean> = { details: false, journal: false };
  /** Requests waiting for their reply, by kind: never more than one each. */
  readonly inFlight: Record<PollKind, boolean> = { details: false, journal: false };
  private disposed = false;
  private help = false;
  private layout: DetailsLayout | null = null;
  private lastClick = { at: 0, pid: -1 };

  constructor(
    private readonly ctx: DetailsContext,
    options: DetailsViewOptions = {},
  ) {
    this.state = new DetailsState(ctx.pid, ctx.name);
    this.clock = options.clock ?? realClock;
    this.intervals = {
      details: options.detailsIntervalMs ?? DETAILS_INTERVAL_MS,
      journal: options.journalIntervalMs ?? JOURNAL_INTERVAL_MS,
    };
    void this.poll("details");
    void this.poll("journal");
  }

  /** Whether a poll of this kind is still scheduled or running (tests). */
  polling(kind: PollKind): boolean {
    return this.timers.has(kind) || this.inFlight[kind];
  }

  private schedule(kind: PollKind, ms: number): void {
    if (this.disposed || this.stopped[kind]) return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(kind);
      void this.poll(kind);
    }, ms);
    this.timers.set(kind, timer);
  }

  private async poll(kind: PollKind): Promise<void> {
    if (this.disposed || this.stopped[kind] || this.inFlight[kind]) return;
    const interval = this.intervals[kind];
    const client: AgentClient | null = this.ctx.client();
    if (client === null) {
      // Reconnecting: look again soon, so the view resumes with the link.
      this.schedule(kind, Math.min(interval, DETAILS_INTERVAL_MS));
      return;
    }
    const started = this.clock.now();
    this.inFlight[kind] = true;
    let goOn = true;
    try {
      if (kind === "details") {
        const reply = await client.processMetrics(this.state.pid);
        if (this.disposed) return;
        this.state.applyDetails(reply, this.clock.now());
      } else {
        const reply = await client.journalEntries(this.state.pid);
        if (this.disposed) return;
        this.state.applyJournal(reply, this.clock.now());
      }
    } catch (error) {
      if (this.disposed) return;
      goOn = kind === "details" ? this.state.applyDetailsError(error, this.clock.now()) : this.state.applyJournalError(error);
    } finally {
      this.inFlight[kind] = false;
    }
    if (!goOn) this.stopped[kind] = true;
    // An exited process's pid may soon belong to another one (applyDetails
    // also ends up here when it sees that happen): stop asking altogether.
    if (this.state.exited || this.state.unavailable !== null) this.stopAll();
    this.ctx.invalidate();
    // Next request one interval after this one started, never queued behind a slow reply.
    this.schedule(kind, Math.max(0, interval - (this.clock.now() - started)));
  }

  render(screen: Screen, area: Rect, ctx: RenderContext): void {
    this.layout = renderDetails(screen, area, this.state, ctx, { connected: this.ctx.client() !== null, help: this.help });
  }

  handleKey(name: string, _isCharacter: boolean): "handled" | "ignored" | "close" {
    const s = this.state;
    if (this.help) {
      if (name === "ESCAPE" || name === "q" || name === "h" || name === "?" || name === "ENTER") this.help = false;
      return "handled";
    }
    switch (name) {
      case "ESCAPE":
      case "q":
      case "x":
      case "X":
        return "close";
      case "h":
      case "?":
        this.help = true;
        return "handled";
      case "TAB":
        s.cycleFocus(1);
        return "handled";
      case "SHIFT_TAB":
        s.cycleFocus(-1);
        return "handled";
      case "UP":
      case "k":
        s.move(-1);
        return "handled";
      case "DOWN":
      case "j":
        s.move(1);
        return "handled";
      case "PAGE_UP":
        s.move(-Math.max(1, s.pages[s.focus] - 1));
        return "handled";
      case "PAGE_DOWN":
        s.move(Math.max(1, s.pages[s.focus] - 1));
        return "handled";
      case "HOME":
      case "g":
        s.move(-1e9);
        return "handled";
      case "END":
      case "G":
        s.move(1e9);
        return "handled";
      case "ENTER": {
        const child = s.focus === "children" ? s.selectedChild() : null;
        if (child) this.ctx.open(child.pid, child.name);
        return "handled";
      }
      case "p": {
        const parent = s.details?.parent_pid ?? null;
        if (parent !== null && parent > 0) this.ctx.open(parent, "");
        return "handled";
      }
      case "[":
      case "]":
        s.scroll("journal", name === "[" ? -1 : 1);
        return "handled";
      case "d":
      case "u":
        s.scroll("threads", (name === "d" ? 1 : -1) * Math.max(1, s.pages.threads - 1));
        return "handled";
      case "s":
        s.toggleThreadSort();
        return "handled";
      case "r":
        s.reverseThreads();
        return "handled";
      default:
        return "ignored";
    }
  }

  handleMouse(e: MouseInput, _area: Rect): void {
    const layout = this.layout;
    if (!layout) return;
    if (this.help) {
      if (e.kind === "press") this.help = false;
      return;
    }
    const section = sectionAt(layout, e.x, e.y);
    if (section === null) return;
    if (e.kind === "wheel-up" || e.kind === "wheel-down") {
      this.state.scroll(section, (e.kind === "wheel-up" ? -1 : 1) * WHEEL_ROWS);
      return;
    }
    if (e.kind !== "press" || e.button !== "left") return;
    this.state.setFocus(section);
    const rows = layout.childRows;
    if (section !== "children" || !contains(rows, e.x, e.y)) return;
    const i = this.state.childScroll + (e.y - rows.y);
    const child = this.state.children()[i];
    if (!child) return;
    const before = this.state.selectedChildPid;
    this.state.selectChildIndex(i);
    const now = this.clock.now();
    if (before === child.pid && this.lastClick.pid === child.pid && now - this.lastClick.at < DOUBLE_CLICK_MS) {
      this.lastClick = { at: 0, pid: -1 };
      this.ctx.open(child.pid, child.name);
      return;
    }
    this.lastClick = { at: now, pid: child.pid };
  }

  private stopAll(): void {
    this.stopped.details = true;
    this.stopped.journal = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  dispose(): void {
    this.disposed = true;
    this.stopAll();
  }
}
