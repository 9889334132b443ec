/**
 * The main screen's panels: CPU history, per-core bars, memory and swap, GPUs,
 * disks, network and the process table. Each draws into the rectangle the
 * layout gave it, from the state alone.
 */
import type { DiskInfo, DiskIoEntry, SeedGpu } from "@socktop/protocol";
import { fit, formatBytes, formatBytesShort, formatPercent, formatRate, formatTemp, sanitize, textWidth, truncate } from "./format.js";
import { tableColumns, type Layout, type TableColumn } from "./layout.js";
import { RegionCache, type Rect, type Screen, type Style } from "./screen.js";
import type { AppState, Ring } from "./state.js";
import { levelStyle } from "./theme.js";
import { drawBar, drawSparkline, type RenderContext, scrollThumb, titleLine, vline } from "./widgets.js";

export function renderCpu(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
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

export function renderCores(screen: Screen, layout: Layout, state: AppState, ctx: RenderContext): void {
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

export function gauge(
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

export function renderMemory(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
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

export function renderGpus(screen: Screen, rect: Rect, gpus: readonly SeedGpu[], ctx: RenderContext): void {
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

/** A rate in at most 5 cells ("0", "12K", "3.4M"): the disks panel is narrow. */
export function formatRateShort(bytesPerSecond: number): string {
  return formatBytesShort(bytesPerSecond).replace(/i?B$/, "") || "0";
}

export function renderDisks(screen: Screen, rect: Rect, disks: DiskInfo[] | null, ctx: RenderContext, io: ReadonlyMap<string, DiskIoEntry> = new Map()): void {
  const { theme } = ctx;
  // Whole disks' read/write total in the title: the rows have room for each disk's rates only when wide.
  let rd = 0;
  let wr = 0;
  let rated = false;
  for (const e of io.values()) {
    if (e.is_partition || e.read_bytes_per_sec === null || e.write_bytes_per_sec === null) continue;
    rd += e.read_bytes_per_sec;
    wr += e.write_bytes_per_sec;
    rated = true;
  }
  const total = rated ? ` · r${formatRateShort(rd)} w${formatRateShort(wr)}/s` : "";
  titleLine(screen, rect, "Disks", ctx, disks ? `${disks.length}${total}` : "");
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
    // Read/write rates (protocol 2) when the bar keeps at least 8 cells beside them.
    const e = io.get(d.name);
    const ioText = e && e.read_bytes_per_sec !== null && e.write_bytes_per_sec !== null ? ` r${formatRateShort(e.read_bytes_per_sec)} w${formatRateShort(e.write_bytes_per_sec)}` : "";
    const withIo = ioText !== "" && room - 10 - textWidth(ioText) >= 8;
    const tail = ` ${fit(formatPercent(pct, 0), 4, "right")}${size ? ` ${size}` : ""}${withIo ? ioText : ""}${temp}`;
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

export function renderNetwork(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
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

export function renderProcesses(screen: Screen, layout: Layout, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const rect = layout.procs!;
  const table = state.table;
  const rowsRect = layout.procRows!;
  table.setPageSize(rowsRect.h);
  // USER and S only when the agent sends them; mouse hit-testing reads the same columns.
  layout.columns = tableColumns(rowsRect.x, rowsRect.w, table.rich);
  vline(screen, rect.x, rect.y, rect.h, ctx);
  const sortLabel = layout.columns.find((c) => c.key === table.sortKey)?.label ?? table.sortKey;
  const count =
    table.filter.trim() !== "" || table.scope ? `${table.length}/${table.total}` : `${state.processCount ?? table.total}`;
  const sortText = `${table.treeShown ? "tree · " : ""}sort ${sortLabel} ${table.descending ? "▼" : "▲"}`;
  const right =
    table.filter.trim() !== "" || table.filterEditing ? `filter “${table.filter}”` : table.scope ? `in ${truncate(sanitize(table.scope.label), 24)}` : sortText;
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
  const col = (key: string): TableColumn | undefined => layout.columns.find((c) => (c.key ?? c.label) === key);
  const [pidC, nameC, cpuC, memC, mempC] = [col("pid")!, col("name")!, col("cpu")!, col("mem")!, col("mem%")!];
  const userC = col("user");
  const stateC = col("S");
  if (rows.length === 0) {
    const msg = table.total === 0 ? (state.processCount === null ? "waiting for the process list…" : "no processes") : "no process matches the filter";
    screen.put(rowsRect.x + 1, rowsRect.y, msg, theme.muted, rowsRect.w - 1);
  }
  // The rows change with the table (its version: data, sort, filter,
  // selection, scroll, page) and the memory total; most frames are drawn for
  // new metrics with the same table, and copy the rows drawn last time.
  let kept = rowCells.get(table);
  if (!kept) rowCells.set(table, (kept = new RegionCache()));
  const stamp = [table.version, memTotal, theme, rowsRect.w, pidC.x, nameC.x];
  if (rows.length > 0 && kept.restore(screen, rowsRect, stamp)) {
    drawScrollbar(screen, layout, rows.length, rowsRect.h, table.scroll, ctx);
    return;
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
    if (userC) screen.put(userC.x, y, fit(sanitize(p.user ?? (p.uid !== undefined ? String(p.uid) : "–")), userC.w), st);
    if (stateC) screen.put(stateC.x, y, p.state ?? " ", selected ? st : p.state === "R" ? theme.bold : p.state === "Z" || p.state === "D" ? theme.high : st);
    const branch = table.treePrefix.get(p.pid) ?? "";
    if (branch !== "") screen.put(nameC.x, y, fit(branch, Math.min(branch.length, nameC.w)), selected ? st : theme.muted);
    const nameX = nameC.x + Math.min(branch.length, nameC.w);
    const nameW = nameC.w - (nameX - nameC.x);
    if (nameW > 0) screen.put(nameX, y, fit(sanitize(p.name), nameW), selected ? theme.selected : theme.bold);
    const cpu = p.cpu_usage;
    screen.put(cpuC.x, y, fit(formatPercent(cpu), cpuC.w, "right"), selected ? st : cpu >= 50 ? theme.high : cpu >= 10 ? theme.bold : st);
    screen.put(memC.x, y, fit(formatBytesShort(p.mem_bytes), memC.w, "right"), st);
    const memPct = memTotal > 0 ? (p.mem_bytes / memTotal) * 100 : null;
    screen.put(mempC.x, y, fit(formatPercent(memPct), mempC.w, "right"), st);
  }

  if (rows.length > 0) kept.save(screen, rowsRect, stamp);
  drawScrollbar(screen, layout, rows.length, rowsRect.h, table.scroll, ctx);
}

/** The process rows drawn last, per table (see renderProcesses). */
const rowCells = new WeakMap<object, RegionCache>();

function drawScrollbar(screen: Screen, layout: Layout, total: number, visible: number, scroll: number, ctx: RenderContext): void {
  const { theme } = ctx;
  const sb = layout.scrollbar!;
  if (total > visible && sb.h > 0) {
    const { start, size } = scrollThumb(total, visible, scroll, sb.h);
    for (let i = 0; i < sb.h; i++) {
      const inThumb = i >= start && i < start + size;
      screen.put(sb.x, sb.y + i, inThumb ? "█" : "│", inThumb ? theme.bold : theme.border);
    }
  }
}
