/**
 * The scrolling sections of the process details view: threads, children and
 * the journal, with their column layouts.
 */
import type { ThreadInfo } from "@socktop/protocol";
import type { DetailsLayout } from "./details-layout.js";
import { DetailsState, threadCpuTime } from "./details-state.js";
import { drawScrollbar, journalTime, oneLine, PRIORITY_LABELS, sectionTitle } from "./details-widgets.js";
import { fit, formatBytesShort, formatCpuTime, formatPercent, sanitize, truncate } from "./format.js";
import type { Screen } from "./screen.js";
import { journalStyle } from "./theme.js";
import { type RenderContext, vline, wrap } from "./widgets.js";

export interface Column {
  label: string;
  x: number;
  w: number;
  align: "left" | "right";
}

/** Columns left to right, clipped to `w` cells so a narrow panel never draws into its neighbour. */
export function columns(x: number, w: number, specs: readonly { label: string; w: number; align: "left" | "right" }[]): Column[] {
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

export function renderThreads(screen: Screen, layout: DetailsLayout, state: DetailsState, ctx: RenderContext): void {
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

export function renderChildren(screen: Screen, layout: DetailsLayout, state: DetailsState, ctx: RenderContext): void {
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

export function renderJournal(screen: Screen, layout: DetailsLayout, state: DetailsState, ctx: RenderContext): void {
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
