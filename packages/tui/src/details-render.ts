/**
 * Draws the process details view from its state: title, meta items, command
 * line, CPU and memory panels, then the sections (details-tables.ts), the
 * footer and its key help. Pure: state in, cells out.
 */
import { computeDetailsLayout, type DetailsLayout, type DetailsWants } from "./details-layout.js";
import { DetailsState } from "./details-state.js";
import { renderChildren, renderJournal, renderThreads } from "./details-tables.js";
import { commandRows, cpuScale, drawItems, flowItems, ioText, type Item } from "./details-widgets.js";
import { fit, formatBytes, formatCpuTime, formatDuration, formatPercent, formatSince, sanitize, textWidth, truncate } from "./format.js";
import { DETAILS_KEY_TABLE } from "./keys.js";
import { DIM, type Rect, type Screen, type Style } from "./screen.js";
import { box, drawSparkline, type RenderContext, titleLine, vline, wrap } from "./widgets.js";

export interface DetailsRenderOptions {
  /** Whether the view can reach the agent right now (false while reconnecting). */
  connected: boolean;
  /** The key box is open. */
  help?: boolean;
}

export function metaItems(state: DetailsState, now: number): Item[] {
  const p = state.details!;
  const user = p.user_id === null ? "n/a" : p.user_name ? `${p.user_name} (${p.user_id})` : String(p.user_id);
  // An exited process stops ageing.
  const until = state.exited && state.exitedAt !== null ? state.exitedAt : now;
  // The portable backend (agents on macOS, Windows, FreeBSD) may not know these: null.
  const startMs = p.start_time === null ? null : p.start_time * 1000;
  const nameless = p.user_id === null && p.user_name ? sanitize(p.user_name) : null;
  return [
    { label: "user", value: nameless ?? sanitize(user) },
    { label: "parent", value: p.parent_pid === null ? "–" : String(p.parent_pid) },
    { label: "started", value: startMs === null ? "n/a" : formatSince(new Date(startMs), new Date(now)) },
    { label: "up", value: startMs === null ? "n/a" : formatDuration(until - startMs) },
    { label: "threads", value: p.thread_count === null ? "n/a" : String(p.thread_count) },
    { label: "fds", value: p.fd_count === null ? "n/a" : String(p.fd_count) },
    { label: "cwd", value: p.working_directory === null ? "n/a" : sanitize(p.working_directory), path: true },
    { label: "exe", value: p.executable_path === null ? "n/a" : sanitize(p.executable_path), path: true },
  ];
}

export function commandText(state: DetailsState): string {
  const p = state.details!;
  // Kernel threads and zombies have no argv; ps shows the name in brackets.
  return p.command.trim() === "" ? `[${sanitize(p.name)}]` : sanitize(p.command);
}

export function journalWant(state: DetailsState, width: number): number {
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

export function renderTitle(screen: Screen, rect: Rect, state: DetailsState, ctx: RenderContext, options: DetailsRenderOptions): void {
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

export function renderPlaceholder(screen: Screen, area: Rect, layout: DetailsLayout, state: DetailsState, ctx: RenderContext): void {
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

export function renderCpuPanel(screen: Screen, rect: Rect, state: DetailsState, ctx: RenderContext): void {
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

export function renderMemPanel(screen: Screen, rect: Rect, state: DetailsState, ctx: RenderContext): void {
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

export function renderDetailsFooter(screen: Screen, rect: Rect, state: DetailsState, ctx: RenderContext): void {
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

export function renderDetailsHelp(screen: Screen, area: Rect, ctx: RenderContext): void {
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
