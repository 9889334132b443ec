/**
 * Draws the whole frame from the state into a Screen. Every frame is drawn
 * from scratch; the diff writer (screen.ts) makes that cheap on the wire.
 */
import type { DiskInfo, SeedGpu } from "@socktop/protocol";
import {
  fit,
  formatBytes,
  formatBytesShort,
  formatClock,
  formatDuration,
  formatPercent,
  formatRate,
  formatTemp,
  sanitize,
  textWidth,
  truncate,
} from "./format.js";
import { DETAILS_KEY_TABLE, FLEET_KEY_TABLE, KEY_TABLE } from "./keys.js";
import { computeLayout, modalRect, MIN_HEIGHT, MIN_WIDTH, type Layout } from "./layout.js";
import { DIM, type Rect, type Screen, type Style } from "./screen.js";
import type { Intervals } from "./session.js";
import type { AppState, Ring } from "./state.js";
import { levelStyle, type Theme } from "./theme.js";

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

/** Something drawn over the main screen (the process details view plugs in here). */
export interface Overlay {
  render(screen: Screen, area: Rect, ctx: RenderContext): void;
}

const BLOCKS = " ▁▂▃▄▅▆▇█";
const HBLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];

export function renderFrame(screen: Screen, state: AppState, ctx: RenderContext, overlay?: Overlay | null): Layout {
  const { theme } = ctx;
  screen.clear(theme.text);
  const layout = computeLayout(screen.width, screen.height, state);
  if (layout.tooSmall) {
    renderTooSmall(screen, ctx);
    return layout;
  }
  renderHeader(screen, layout.header, state, ctx);
  if (overlay) {
    const area = { x: 0, y: 1, w: screen.width, h: screen.height - 1 };
    overlay.render(screen, area, ctx);
    return layout;
  }
  if (!state.hasData) {
    renderConnecting(screen, layout.body, state, ctx);
  } else {
    if (layout.cpu) renderCpu(screen, layout.cpu, state, ctx);
    if (layout.cores) renderCores(screen, layout, state, ctx);
    if (layout.mem) renderMemory(screen, layout.mem, state, ctx);
    if (layout.gpu) renderGpus(screen, layout.gpu, state.metrics?.gpus ?? [], ctx);
    if (layout.disks) renderDisks(screen, layout.disks, state.disks, ctx);
    if (layout.net) renderNetwork(screen, layout.net, state, ctx);
    if (layout.procs) renderProcesses(screen, layout, state, ctx);
    // Stale data stays readable but visibly faded.
    if (state.stale) screen.addAttrs(layout.body, DIM);
    if (layout.banner) renderBanner(screen, layout.banner, state, ctx);
  }
  renderFooter(screen, layout.footer, state, ctx);
  if (state.modal?.kind === "help") renderHelp(screen, state, ctx);
  else if (state.modal?.kind === "about") renderAbout(screen, state, ctx);
  return layout;
}

function renderTooSmall(screen: Screen, ctx: RenderContext): void {
  const lines = [`socktop needs ${MIN_WIDTH}×${MIN_HEIGHT}`, `(now ${screen.width}×${screen.height})`, "q quits"];
  const y0 = Math.max(0, Math.floor((screen.height - lines.length) / 2));
  lines.forEach((line, i) => {
    const x = Math.max(0, Math.floor((screen.width - textWidth(line)) / 2));
    screen.put(x, y0 + i, line, i === 0 ? ctx.theme.bold : ctx.theme.text, screen.width);
  });
}

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

function renderHeader(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const m = state.metrics;
  const conn = state.conn;
  const left: { text: string; style: Style; prio: number }[] = [
    { text: " socktop", style: theme.bold, prio: 0 },
    { text: m ? sanitize(m.hostname) : ctx.target, style: theme.bold, prio: 0 },
  ];
  if (conn.agentVersion) left.push({ text: `agent ${conn.agentVersion}`, style: theme.muted, prio: 3 });
  if (ctx.demo) left.push({ text: "demo", style: theme.muted, prio: 4 });

  let stateText: string;
  let stateStyle: Style;
  if (conn.phase === "open") {
    stateText = conn.rttMs !== null ? `● connected ${Math.round(conn.rttMs)} ms` : "● connected";
    stateStyle = theme.ok;
  } else if (conn.phase === "connecting") {
    stateText = state.hasData ? "◌ reconnecting…" : "◌ connecting…";
    stateStyle = theme.warn;
  } else if (conn.phase === "stopped") {
    stateText = "✖ stopped";
    stateStyle = theme.error;
  } else {
    const secs = conn.retryAt !== null ? Math.max(0, Math.ceil((conn.retryAt - ctx.now) / 1000)) : 0;
    stateText = state.hasData ? `✖ stale · retry ${secs}s` : `✖ retry ${secs}s`;
    stateStyle = theme.error;
  }
  const right: { text: string; style: Style; prio: number }[] = [{ text: stateText, style: stateStyle, prio: 0 }];
  if (ctx.tls) right.push({ text: "TLS", style: theme.bold, prio: 2 });
  if (state.processCount !== null) right.push({ text: `${state.processCount} procs`, style: theme.text, prio: 1 });
  right.push({ text: `${formatClock(new Date(ctx.now))} `, style: theme.text, prio: 1 });

  // Drop the least important pieces until the line fits.
  const sep = "  ";
  const widthOf = (items: { text: string }[]): number =>
    items.reduce((s, it) => s + textWidth(it.text), 0) + sep.length * Math.max(0, items.length - 1);
  for (let prio = 4; prio > 0; prio--) {
    if (widthOf(left) + widthOf(right) + 2 <= rect.w) break;
    for (const list of [left, right]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.prio === prio) list.splice(i, 1);
    }
  }
  let x = rect.x;
  for (const [i, it] of left.entries()) {
    if (i > 0) x = screen.put(x, rect.y, sep, theme.text);
    x = screen.put(x, rect.y, it.text, it.style, rect.x + rect.w - x);
  }
  const rw = widthOf(right);
  let rx = Math.max(x + 1, rect.x + rect.w - rw);
  for (const [i, it] of right.entries()) {
    if (i > 0) rx = screen.put(rx, rect.y, sep, theme.text);
    rx = screen.put(rx, rect.y, it.text, it.style, rect.x + rect.w - rx);
  }
}

function renderBanner(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const conn = state.conn;
  screen.fill(rect, " ", theme.banner);
  let countdown: string;
  if (conn.phase === "retrying" && conn.retryAt !== null) {
    const secs = Math.max(0, Math.ceil((conn.retryAt - ctx.now) / 1000));
    countdown = `retrying in ${secs}s (attempt ${conn.attempt})`;
  } else if (conn.phase === "connecting") {
    countdown = `reconnecting (attempt ${conn.attempt})…`;
  } else {
    countdown = "";
  }
  const age = state.lastDataAt !== null ? `stale data from ${formatDuration(ctx.now - state.lastDataAt)} ago` : "stale data";
  const message = ` ⚠ ${conn.error ?? ""}`;
  if (rect.h > 1) {
    screen.put(rect.x, rect.y, truncate(message, rect.w), theme.banner, rect.w);
    const line2 =
      conn.phase === "stopped"
        ? ["q quits", conn.errorDetail, age].filter(Boolean).join(" · ")
        : [countdown, age, conn.phase === "retrying" ? "R retries now" : ""].filter(Boolean).join(" · ");
    screen.put(rect.x, rect.y + 1, `   ${line2}`, theme.banner, rect.w);
  } else {
    // One row: keep the countdown visible even when the message is cut.
    const suffix = countdown ? ` — ${countdown}` : "";
    const room = rect.w - textWidth(suffix);
    screen.put(rect.x, rect.y, truncate(message, Math.max(10, room)) + suffix, theme.banner, rect.w);
  }
}

function renderConnecting(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const conn = state.conn;
  const lines: { text: string; style: Style }[] = [];
  lines.push({ text: `Connecting to ${ctx.url}${conn.phase === "connecting" ? " …" : ""}`, style: theme.bold });
  lines.push({ text: "", style: theme.text });
  const textW = Math.max(20, Math.min(rect.w - 4, 76));
  if (conn.error) {
    for (const l of wrap(`✖ ${conn.error}`, textW)) lines.push({ text: l, style: theme.error });
    if (conn.errorDetail) {
      for (const l of wrap(conn.errorDetail, textW)) lines.push({ text: l, style: theme.text });
    }
    lines.push({ text: "", style: theme.text });
  }
  if (conn.phase === "retrying" && conn.retryAt !== null) {
    const secs = Math.max(0, Math.ceil((conn.retryAt - ctx.now) / 1000));
    lines.push({ text: `Retrying in ${secs}s (attempt ${conn.attempt}) · R retries now · q quits`, style: theme.text });
  } else if (conn.phase === "stopped") {
    lines.push({ text: "Not retrying · q quits", style: theme.text });
  } else if (conn.attempt > 1) {
    lines.push({ text: `Attempt ${conn.attempt}… · q quits`, style: theme.text });
  } else {
    lines.push({ text: "q quits", style: theme.muted });
  }
  const maxW = Math.min(rect.w - 2, Math.max(...lines.map((l) => textWidth(l.text))));
  const x = rect.x + Math.max(1, Math.floor((rect.w - maxW) / 2));
  const y0 = rect.y + Math.max(0, Math.floor((rect.h - lines.length) / 2));
  lines.forEach((l, i) => {
    if (y0 + i < rect.y + rect.h) screen.put(x, y0 + i, truncate(l.text, rect.w - 2), l.style);
  });
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

function renderCpu(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const m = state.metrics!;
  const hist = state.cpuHistory;
  const graphW = rect.w - 1;
  const window = hist.tail(graphW);
  const avg = window.length ? window.reduce((a, b) => a + b, 0) / window.length : 0;
  const temp = formatTemp(m.cpu_temp_c);
  const title = `CPU ${formatPercent(m.cpu_total)}`;
  const right = `avg ${formatPercent(avg)}${temp ? ` · ${temp}` : ""}`;
  titleLine(screen, rect, title, ctx, right);
  const area = { x: rect.x, y: rect.y + 1, w: graphW, h: rect.h - 1 };
  drawSparkline(screen, area, window, 100, theme.graph);
  // A faint scale at the left edge, so the graph's height means something.
  if (area.h >= 3 && area.w > 8) {
    screen.put(area.x, area.y, "100", theme.muted);
    screen.put(area.x, area.y + area.h - 1, "0", theme.muted);
  }
}

function renderCores(screen: Screen, layout: Layout, state: AppState, ctx: RenderContext): void {
  const rect = layout.cores!;
  const { theme } = ctx;
  const cores = state.metrics!.cpu_per_core;
  const perRow = layout.coresPerRow;
  const rowsVisible = layout.coreRowsVisible;
  const totalRows = Math.ceil(cores.length / perRow);
  state.scrollCores(0, rowsVisible, perRow);
  const first = state.coreScroll * perRow;
  const last = Math.min(cores.length, first + rowsVisible * perRow);
  vline(screen, rect.x, rect.y, rect.h, ctx);
  const range = cores.length > rowsVisible * perRow ? `${first + 1}–${last}/${cores.length} [ ]` : `${cores.length}`;
  titleLine(screen, { x: rect.x + 1, y: rect.y, w: rect.w - 1, h: 1 }, "Cores", ctx, range);
  const labelW = String(Math.max(0, cores.length - 1)).length + 1;
  const scrolling = totalRows > rowsVisible;
  // The last column is kept for the scroll arrows when not every core fits.
  const cellW = Math.floor((rect.w - 2 - (scrolling ? 1 : 0)) / perRow);
  for (let r = 0; r < rowsVisible; r++) {
    for (let c = 0; c < perRow; c++) {
      const i = first + r * perRow + c;
      if (i >= cores.length) break;
      const x = rect.x + 2 + c * cellW;
      const y = rect.y + 1 + r;
      const v = cores[i]!;
      screen.put(x, y, `c${i}`.padEnd(labelW), theme.muted);
      const pct = fit(formatPercent(v, 0), 4, "right");
      // label, space, bar, space, "100%", and a gap before the next column.
      const barW = cellW - labelW - 1 - 1 - 4 - (c < perRow - 1 ? 2 : 0);
      drawBar(screen, x + labelW + 1, y, barW, v, levelStyle(theme, v), theme.track);
      screen.put(x + labelW + 1 + Math.max(0, barW) + 1, y, pct, theme.text);
    }
  }
  if (scrolling) {
    // Arrows at the right edge say there is more above/below.
    if (state.coreScroll > 0) screen.put(rect.x + rect.w - 1, rect.y + 1, "▲", theme.muted);
    if (state.coreScroll + rowsVisible < totalRows) screen.put(rect.x + rect.w - 1, rect.y + rect.h - 1, "▼", theme.muted);
  }
}

function gauge(
  screen: Screen,
  x: number,
  y: number,
  w: number,
  label: string,
  used: number | null,
  total: number | null,
  fill: Style,
  ctx: RenderContext,
): void {
  const { theme } = ctx;
  // null: the agent could not read memory (its memory collector failed).
  const known = used !== null && total !== null;
  const pct = known && total > 0 ? (used / total) * 100 : 0;
  const amount = !known ? "unavailable" : total > 0 ? `${formatBytes(used)} / ${formatBytes(total)}` : "none";
  const tail = ` ${amount} ${fit(formatPercent(pct, 0), 4, "right")}`;
  let cx = screen.put(x, y, label, theme.bold, w);
  cx = screen.put(cx, y, " ", theme.text);
  const barW = w - (cx - x) - textWidth(tail);
  if (barW >= 4) {
    drawBar(screen, cx, y, barW, pct, fill, theme.track);
    screen.put(cx + barW, y, tail, theme.text);
  } else {
    screen.put(cx, y, tail.trimStart(), theme.text, x + w - cx);
  }
}

function renderMemory(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const m = state.metrics!;
  const { theme } = ctx;
  if (rect.h === 1) {
    const half = Math.floor((rect.w - 1) / 2);
    gauge(screen, rect.x + 1, rect.y, half - 2, "Mem ", m.mem_used, m.mem_total, theme.mem, ctx);
    gauge(screen, rect.x + half + 1, rect.y, rect.w - half - 2, "Swap", m.swap_used, m.swap_total, theme.swap, ctx);
  } else {
    gauge(screen, rect.x + 1, rect.y, rect.w - 2, "Mem ", m.mem_used, m.mem_total, theme.mem, ctx);
    gauge(screen, rect.x + 1, rect.y + 1, rect.w - 2, "Swap", m.swap_used, m.swap_total, theme.swap, ctx);
  }
}

function renderGpus(screen: Screen, rect: Rect, gpus: readonly SeedGpu[], ctx: RenderContext): void {
  const { theme } = ctx;
  titleLine(screen, rect, gpus.length === 1 ? "GPU" : `GPUs (${gpus.length})`, ctx);
  for (let i = 0; i < rect.h - 1 && i < gpus.length; i++) {
    const g = gpus[i]!;
    const y = rect.y + 1 + i;
    const usage = g.usage ?? null;
    const temp = formatTemp(g.temp_c);
    const nameW = Math.min(24, Math.max(8, Math.floor(rect.w * 0.25)));
    let x = rect.x + 1;
    x = screen.put(x, y, fit(sanitize(g.name || `GPU${i}`), nameW), theme.bold);
    x += 1;
    const rest = rect.x + rect.w - x - 1;
    const half = Math.floor((rest - (temp ? 6 : 0)) / 2);
    // Usage gauge, then memory gauge, then temperature.
    const usageTail = ` ${fit(formatPercent(usage, 0), 4, "right")}`;
    const ubar = half - textWidth(usageTail) - 5;
    screen.put(x, y, "use ", theme.muted);
    if (ubar >= 3) {
      drawBar(screen, x + 4, y, ubar, usage ?? 0, levelStyle(theme, usage ?? 0), theme.track);
      screen.put(x + 4 + ubar, y, usageTail, theme.text);
    } else {
      screen.put(x + 4, y, usageTail.trim(), theme.text);
    }
    x += half;
    if (g.memory_total != null && g.memory_total > 0) {
      const used = g.memory_used ?? 0;
      gauge(screen, x, y, half - 1, "mem", used, g.memory_total, theme.mem, ctx);
    }
    if (temp) screen.put(rect.x + rect.w - 6, y, fit(temp, 5, "right"), theme.text);
  }
}

function renderDisks(screen: Screen, rect: Rect, disks: DiskInfo[] | null, ctx: RenderContext): void {
  const { theme } = ctx;
  titleLine(screen, rect, "Disks", ctx, disks ? `${disks.length}` : "");
  if (!disks) {
    screen.put(rect.x + 1, rect.y + 1, "waiting…", theme.muted);
    return;
  }
  if (disks.length === 0) {
    screen.put(rect.x + 1, rect.y + 1, "no disks reported", theme.muted);
    return;
  }
  const rows = rect.h - 1;
  const shown = disks.length > rows ? rows - 1 : disks.length;
  const nameW = Math.min(14, Math.max(6, ...disks.map((d) => textWidth(d.name) + (d.is_partition ? 2 : 0))));
  const withTemp = disks.some((d) => d.temperature != null) && rect.w >= 40;
  for (let i = 0; i < shown; i++) {
    const d = disks[i]!;
    const y = rect.y + 1 + i;
    const used = Math.max(0, d.total - d.available);
    const pct = d.total > 0 ? (used / d.total) * 100 : 0;
    const name = (d.is_partition ? "  " : "") + sanitize(d.name);
    let x = screen.put(rect.x + 1, y, fit(name, nameW), d.is_partition ? theme.text : theme.bold);
    x += 1;
    const temp = withTemp ? fit(formatTemp(d.temperature), 5, "right") : "";
    const room = rect.x + rect.w - x - 1 - 5 - textWidth(temp);
    // Used/total when the bar keeps a useful length, else just the total.
    const size =
      room - 10 >= 8 ? fit(`${formatBytesShort(used)}/${formatBytesShort(d.total)}`, 9, "right") : room - 5 >= 4 ? fit(formatBytesShort(d.total), 4, "right") : "";
    const tail = ` ${fit(formatPercent(pct, 0), 4, "right")}${size ? ` ${size}` : ""}${temp}`;
    const barW = rect.x + rect.w - x - textWidth(tail) - 1;
    if (barW >= 3) {
      drawBar(screen, x, y, barW, pct, levelStyle(theme, pct), theme.track);
      screen.put(x + barW, y, tail, theme.text);
    } else {
      screen.put(x, y, tail.trimStart(), theme.text, rect.x + rect.w - x - 1);
    }
  }
  if (shown < disks.length) screen.put(rect.x + 1, rect.y + rows, `… ${disks.length - shown} more`, theme.muted);
}

function renderNetwork(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const ifaces = (state.metrics?.networks ?? []).filter((n) => n.name !== "lo").length;
  titleLine(screen, rect, "Network", ctx, ifaces ? `${ifaces} if` : "");
  const inner = rect.h - 1;
  const spark = Math.max(0, Math.floor((inner - 2) / 2));
  const w = rect.w - 2;
  const drawDir = (y: number, arrow: string, label: string, hist: Ring, rate: number | null, style: Style): void => {
    const values = hist.tail(w);
    const peak = values.length ? Math.max(...values) : 0;
    const head = w >= 36 ? `${arrow} ${label} ${formatRate(rate)}` : `${arrow} ${formatRate(rate)}`;
    const peakText = `peak ${formatRate(peak)}`;
    screen.put(rect.x + 1, y, head, theme.bold, w);
    // The ▲ in the peak colour is the key to the marked column in the sparkline.
    const px = rect.x + 1 + w - textWidth(peakText);
    if (px - 2 > rect.x + 1 + textWidth(head)) {
      screen.put(px - 2, y, "▲ ", theme.peak);
      screen.put(px, y, peakText, theme.text);
    }
    if (spark > 0) drawSparkline(screen, { x: rect.x + 1, y: y + 1, w, h: spark }, values, peak, style, theme.peak);
  };
  const rates = state.rates;
  drawDir(rect.y + 1, "↓", "down", state.rxHistory, rates ? rates.rx : null, theme.rx);
  drawDir(rect.y + 2 + spark, "↑", "up", state.txHistory, rates ? rates.tx : null, theme.tx);
}

function renderProcesses(screen: Screen, layout: Layout, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const rect = layout.procs!;
  const table = state.table;
  const rowsRect = layout.procRows!;
  table.setPageSize(rowsRect.h);
  vline(screen, rect.x, rect.y, rect.h, ctx);
  const sortLabel = layout.columns.find((c) => c.key === table.sortKey)?.label ?? table.sortKey;
  const count =
    table.filter.trim() !== "" ? `${table.length}/${table.total}` : `${state.processCount ?? table.total}`;
  const right = table.filter.trim() !== "" || table.filterEditing ? `filter “${table.filter}”` : `sort ${sortLabel} ${table.descending ? "▼" : "▲"}`;
  titleLine(screen, { x: rect.x + 1, y: rect.y, w: rect.w - 1, h: 1 }, `Processes ${count}`, ctx, right);

  const hy = layout.procHeaderY;
  for (const col of layout.columns) {
    const sorted = col.key === table.sortKey;
    const arrow = sorted ? (table.descending ? "▼" : "▲") : "";
    const label = col.align === "right" ? fit(arrow + col.label, col.w, "right") : fit(col.label + arrow, col.w);
    screen.put(col.x, hy, label, sorted ? theme.tableHeaderSorted : theme.tableHeader);
  }

  const rows = table.rows();
  const memTotal = state.metrics?.mem_total ?? 0;
  const selIndex = table.selectedIndex();
  const [pidC, nameC, cpuC, memC, mempC] = layout.columns as [
    (typeof layout.columns)[0],
    (typeof layout.columns)[0],
    (typeof layout.columns)[0],
    (typeof layout.columns)[0],
    (typeof layout.columns)[0],
  ];
  if (rows.length === 0) {
    const msg = table.total === 0 ? (state.processCount === null ? "waiting for the process list…" : "no processes") : "no process matches the filter";
    screen.put(rowsRect.x + 1, rowsRect.y, msg, theme.muted, rowsRect.w - 1);
  }
  for (let r = 0; r < rowsRect.h; r++) {
    const i = table.scroll + r;
    const p = rows[i];
    if (!p) break;
    const y = rowsRect.y + r;
    const selected = i === selIndex;
    const st = selected ? theme.selected : theme.text;
    if (selected) screen.fill({ x: rowsRect.x, y, w: rowsRect.w, h: 1 }, " ", theme.selected);
    screen.put(pidC.x, y, fit(String(p.pid), pidC.w, "right"), st);
    screen.put(nameC.x, y, fit(sanitize(p.name), nameC.w), selected ? theme.selected : theme.bold);
    const cpu = p.cpu_usage;
    screen.put(cpuC.x, y, fit(formatPercent(cpu), cpuC.w, "right"), selected ? st : cpu >= 50 ? theme.high : cpu >= 10 ? theme.bold : st);
    screen.put(memC.x, y, fit(formatBytesShort(p.mem_bytes), memC.w, "right"), st);
    const memPct = memTotal > 0 ? (p.mem_bytes / memTotal) * 100 : null;
    screen.put(mempC.x, y, fit(formatPercent(memPct), mempC.w, "right"), st);
  }

  const sb = layout.scrollbar!;
  if (rows.length > rowsRect.h && sb.h > 0) {
    const { start, size } = scrollThumb(rows.length, rowsRect.h, table.scroll, sb.h);
    for (let i = 0; i < sb.h; i++) {
      const inThumb = i >= start && i < start + size;
      screen.put(sb.x, sb.y + i, inThumb ? "█" : "│", inThumb ? theme.bold : theme.border);
    }
  }
}

/** Position and size of the scrollbar thumb, in track cells. */
export function scrollThumb(total: number, visible: number, scroll: number, track: number): { start: number; size: number } {
  if (total <= visible || track <= 0) return { start: 0, size: track };
  const size = Math.max(1, Math.round((visible / total) * track));
  const maxScroll = total - visible;
  const start = Math.round((scroll / maxScroll) * (track - size));
  return { start: Math.max(0, Math.min(track - size, start)), size };
}

function renderFooter(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const table = state.table;
  if (table.filterEditing) {
    let x = screen.put(rect.x, rect.y, " / ", theme.key);
    x = screen.put(x, rect.y, table.filter, theme.filter, rect.w - x - 30);
    x = screen.put(x, rect.y, "█", theme.text);
    screen.put(x + 2, rect.y, "Enter keep · Esc clear", theme.muted, rect.x + rect.w - x - 2);
    return;
  }
  const hints: [string, string][] = [
    ["q", "quit"],
    ["h", "help"],
    ["/", "filter"],
    ["P M N", "sort"],
    ["↑↓", "select"],
    ["a", "about"],
  ];
  if (state.conn.phase === "retrying") hints.splice(2, 0, ["R", "retry now"]);
  let x = rect.x + 1;
  if (table.filter.trim() !== "") {
    x = screen.put(x, rect.y, `filter “${table.filter}”`, theme.filter, rect.w - 2);
    x = screen.put(x, rect.y, " c clears  ", theme.muted, rect.x + rect.w - x);
  }
  for (const [k, label] of hints) {
    const need = textWidth(k) + 1 + textWidth(label) + 2;
    if (x + need > rect.x + rect.w) break;
    x = screen.put(x, rect.y, k, theme.key);
    x = screen.put(x, rect.y, ` ${label}  `, theme.text);
  }
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

/** Every key of every view: this one, the process details, the fleet. */
export function helpLines(): { keys: string; action: string }[] {
  return [
    ...KEY_TABLE.map((k) => ({ keys: k.keys, action: k.action })),
    { keys: "", action: "" },
    { keys: "Details", action: "(Enter on a process)" },
    ...DETAILS_KEY_TABLE.map((k) => ({ keys: k.keys, action: k.action })),
    { keys: "", action: "" },
    { keys: "Fleet", action: "(several hosts: socktop URL URL…, -G GROUP, --all)" },
    ...FLEET_KEY_TABLE.map((k) => ({ keys: k.keys, action: k.action })),
  ];
}

function renderHelp(screen: Screen, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const lines = helpLines();
  const keyW = Math.max(...lines.map((l) => textWidth(l.keys)));
  const contentW = Math.max(...lines.map((l) => keyW + 2 + textWidth(l.action)));
  const rect = modalRect(screen.width, screen.height, contentW + 4, lines.length + 4);
  box(screen, rect, "Keys", ctx);
  const rows = rect.h - 4;
  const modal = state.modal as { kind: "help"; scroll: number };
  const maxScroll = Math.max(0, lines.length - rows);
  modal.scroll = Math.max(0, Math.min(modal.scroll, maxScroll));
  for (let i = 0; i < rows && modal.scroll + i < lines.length; i++) {
    const l = lines[modal.scroll + i]!;
    const y = rect.y + 1 + i;
    screen.put(rect.x + 2, y, fit(l.keys, keyW), theme.key, rect.w - 4);
    screen.put(rect.x + 2 + keyW + 2, y, l.action, theme.text, rect.w - keyW - 6);
  }
  const more = maxScroll > 0 ? " · ↑↓ scroll" : "";
  screen.put(rect.x + 2, rect.y + rect.h - 2, `Esc/h/q close${more}`, theme.muted, rect.w - 4);
}

function renderAbout(screen: Screen, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const c = state.conn;
  const rows: [string, string][] = [
    ["socktop", `${ctx.version} (TypeScript) · MIT license`],
    ["agent", ctx.url],
    ["agent version", c.agentVersion ?? "unknown (legacy agent)"],
    ["protocol", c.protocolVersion !== null ? `${c.protocolVersion}${c.legacy ? " (legacy commands)" : ""}` : "–"],
    ["capabilities", c.capabilities.length ? c.capabilities.join(", ") : "–"],
    ["TLS", ctx.tls ? `yes${ctx.tlsCa ? `, pinned CA ${ctx.tlsCa}` : ""}${ctx.verifyHostname ? ", hostname verified" : ""}` : "no"],
    [
      "intervals",
      `metrics ${ctx.intervals.metricsMs} ms · processes ${ctx.intervals.processesMs} ms · disks ${ctx.intervals.disksMs} ms`,
    ],
    ["connected", c.phase === "open" && c.connectedAt !== null ? `for ${formatDuration(ctx.now - c.connectedAt)}` : c.phase],
  ];
  const labelW = Math.max(...rows.map(([k]) => k.length));
  const contentW = Math.max(...rows.map(([, v]) => labelW + 2 + textWidth(v)));
  const rect = modalRect(screen.width, screen.height, Math.min(contentW + 4, 90), rows.length + 4);
  box(screen, rect, "About", ctx);
  rows.forEach(([k, v], i) => {
    if (i >= rect.h - 4) return;
    const y = rect.y + 1 + i;
    screen.put(rect.x + 2, y, k.padEnd(labelW), theme.bold);
    screen.put(rect.x + 2 + labelW + 2, y, truncate(v, rect.w - labelW - 6), theme.text);
  });
  screen.put(rect.x + 2, rect.y + rect.h - 2, "Esc/a/q close", theme.muted, rect.w - 4);
}
