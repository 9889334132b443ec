/**
 * Draws the fleet view: a header, the hosts, and a footer. Narrow terminals
 * get one line per host (80×24 shows 21 hosts); wide ones a grid of cards.
 * Pure: rows and fleet state in, cells out, plus where each host was drawn
 * (for mouse clicks and for polling only what is on screen).
 */
import { fit, formatClock, formatPercent, formatRate, formatTemp, sanitize, textWidth, truncate } from "./format.js";
import type { FleetRow, FleetState } from "./fleet-state.js";
import { helpSections } from "./keys.js";
import { modalRect } from "./layout.js";
import { drawBar, drawSparkline } from "./widgets.js";
import { BOLD, DIM, INVERSE, withAttrs, type Rect, type Screen, type Style } from "./screen.js";
import { levelStyle, type Theme } from "./theme.js";

export interface FleetRenderContext {
  theme: Theme;
  now: number;
  version: string;
}

export interface FleetLayout {
  mode: "list" | "cards";
  /** Hosts that fit on one screen. */
  perPage: number;
  /** Hosts per row of the grid (1 in list mode): the step of ← →, and of scrolling. */
  columns: number;
  /** Where each visible host was drawn. */
  hosts: { name: string; rect: Rect }[];
}

/** Cards need room for at least two rows of them; below that, lines. */
export const CARD_W = 38;
export const CARD_H = 8;
export function useCards(width: number, height: number): boolean {
  return width >= 120 && height >= 2 + 2 * CARD_H;
}

export function stateText(r: FleetRow): { text: string; kind: "ok" | "warn" | "error" } {
  const retry = r.retryIn !== null ? ` ↻${r.retryIn}s` : "";
  switch (r.state) {
    case "up":
      return { text: r.rttMs !== null ? `● ${Math.round(r.rttMs)} ms` : "● up", kind: "ok" };
    case "connecting":
      return { text: "◌ connecting", kind: "warn" };
    case "stale":
      return { text: `◌ stale${retry}`, kind: "warn" };
    default:
      return { text: `✖ ${r.state}${retry}`, kind: "error" };
  }
}

function stateStyle(theme: Theme, kind: "ok" | "warn" | "error"): Style {
  return kind === "ok" ? theme.ok : kind === "warn" ? theme.warn : theme.error;
}

function pct(v: number | null): string {
  return v === null ? "–" : formatPercent(v, 0);
}

function netText(r: FleetRow): string {
  if (r.rx === null || r.tx === null) return "–";
  return `↓${formatRate(r.rx)} ↑${formatRate(r.tx)}`;
}

function topText(r: FleetRow): string {
  return r.busiest ? `${sanitize(r.busiest.name)} ${formatPercent(r.busiest.cpu_pct, 1)}` : "";
}

function counts(rows: readonly FleetRow[]): string {
  let up = 0;
  let stale = 0;
  let down = 0;
  for (const r of rows) {
    if (r.state === "up") up++;
    else if (r.state === "stale" || r.state === "connecting") stale++;
    else down++;
  }
  const parts = [`${up} up`];
  if (stale) parts.push(`${stale} waiting`);
  if (down) parts.push(`${down} down`);
  return parts.join(" · ");
}

export function renderFleet(screen: Screen, all: readonly FleetRow[], fleet: FleetState, ctx: FleetRenderContext): FleetLayout {
  const { theme } = ctx;
  screen.clear(theme.text);
  const rows = fleet.update(all);
  const w = screen.width;
  const h = screen.height;
  // Header.
  const arrow = fleet.descending ? "↓" : "↑";
  const left = ` socktop fleet  ${all.length} hosts · ${counts(all)}`;
  const right = `sort ${fleet.sortKey} ${arrow}  ${formatClock(new Date(ctx.now))} `;
  screen.fill({ x: 0, y: 0, w, h: 1 }, " ", withAttrs(theme.text, INVERSE));
  screen.put(0, 0, truncate(left, w), withAttrs(theme.bold, INVERSE), w);
  if (textWidth(left) + textWidth(right) + 2 <= w) screen.put(w - textWidth(right), 0, right, withAttrs(theme.text, INVERSE));

  const body: Rect = { x: 0, y: 1, w, h: Math.max(0, h - 2) };
  const layout = useCards(w, h) ? renderCards(screen, body, rows, fleet, ctx) : renderList(screen, body, rows, fleet, ctx);

  // Footer: the filter being typed, else the keys.
  const fy = h - 1;
  if (fleet.filterEditing || fleet.filter !== "") {
    const text = ` / ${fleet.filter}${fleet.filterEditing ? "▏" : ""}   ${rows.length}/${all.length} hosts${fleet.filterEditing ? " · Enter keeps · Esc clears" : " · c clears"}`;
    screen.put(0, fy, truncate(text, w), theme.filter, w);
  } else {
    const sel = rows[fleet.selectedIndex()];
    const hint = " Enter open · / filter · P M O sort · h help · q quit";
    const err = sel?.error ? `  ${sel.name}: ${sel.error}` : "";
    screen.put(0, fy, truncate(hint, w), theme.muted, w);
    if (err && textWidth(hint) + 2 < w) screen.put(textWidth(hint), fy, truncate(err, w - textWidth(hint)), theme.error);
  }
  if (fleet.modal === "help") renderFleetHelp(screen, ctx, fleet);
  return layout;
}

interface Column {
  title: string;
  w: number;
  align: "left" | "right";
  /** Lower numbers stay longest when space runs out. */
  prio: number;
  cell(r: FleetRow): string;
  spark?: boolean;
}

/** The same cells as `screen.put(x, y, fit(text, w, align), style, w)`, without building the padded string. */
function putFit(screen: Screen, x: number, y: number, text: string, w: number, align: "left" | "right", style: Style): void {
  const t = truncate(text, w);
  const pad = w - textWidth(t);
  if (pad <= 0) {
    screen.put(x, y, t, style, w);
  } else if (align === "left") {
    screen.put(x, y, t, style, w);
    screen.fill({ x: x + w - pad, y, w: pad, h: 1 }, " ", style);
  } else {
    screen.fill({ x, y, w: pad, h: 1 }, " ", style);
    screen.put(x + pad, y, t, style, w - pad);
  }
}

/** The columns for a width, kept while the width and the name column stay the same (most frames). */
let columnsCache: { width: number; nameW: number; cols: Column[] } | null = null;
function listColumns(width: number, nameW: number): Column[] {
  if (columnsCache !== null && columnsCache.width === width && columnsCache.nameW === nameW) return columnsCache.cols;
  const cols = computeListColumns(width, nameW);
  columnsCache = { width, nameW, cols };
  return cols;
}

function computeListColumns(width: number, nameW: number): Column[] {
  const cols: Column[] = [
    { title: "HOST", w: nameW, align: "left", prio: 0, cell: (r) => sanitize(r.name) },
    { title: "STATE", w: 19, align: "left", prio: 0, cell: (r) => stateText(r).text },
    { title: "CPU", w: 4, align: "right", prio: 0, cell: (r) => pct(r.cpu) },
    { title: "", w: 8, align: "left", prio: 3, cell: () => "", spark: true },
    { title: "MEM", w: 4, align: "right", prio: 0, cell: (r) => pct(r.mem) },
    { title: "DISK", w: 4, align: "right", prio: 1, cell: (r) => pct(r.disk) },
    { title: "NET ↓ ↑", w: 23, align: "left", prio: 4, cell: netText },
    { title: "GPU", w: 4, align: "right", prio: 5, cell: (r) => (r.gpu === null ? "" : pct(r.gpu)) },
    { title: "TEMP", w: 5, align: "right", prio: 5, cell: (r) => formatTemp(r.temp) },
    { title: "TOP PROCESS", w: 12, align: "left", prio: 2, cell: topText },
  ];
  const used = (cs: Column[]): number => cs.reduce((s, c) => s + c.w, 0) + (cs.length - 1);
  let kept = cols;
  // Drop the least important columns until the rest fits, then give the slack to TOP.
  for (let p = 5; p > 0 && used(kept) > width; p--) kept = kept.filter((c) => c.prio < p);
  const top = kept.find((c) => c.title === "TOP PROCESS");
  if (top) top.w = Math.max(top.w, width - used(kept) + top.w);
  return kept;
}

function renderList(screen: Screen, body: Rect, rows: readonly FleetRow[], fleet: FleetState, ctx: FleetRenderContext): FleetLayout {
  const { theme } = ctx;
  const perPage = Math.max(1, body.h - 1);
  fleet.follow(perPage);
  let widest = 0;
  for (const r of rows) widest = Math.max(widest, textWidth(r.name));
  const nameW = Math.max(6, Math.min(18, widest));
  const cols = listColumns(body.w, nameW);
  let x = body.x;
  for (const c of cols) {
    screen.put(x, body.y, fit(c.title, c.w, c.align), theme.tableHeader, c.w);
    x += c.w + 1;
  }
  const hosts: FleetLayout["hosts"] = [];
  const sel = fleet.selected;
  for (let i = 0; i < perPage; i++) {
    const r = rows[fleet.scroll + i];
    if (!r) break;
    const y = body.y + 1 + i;
    const rect = { x: body.x, y, w: body.w, h: 1 };
    hosts.push({ name: r.name, rect });
    const faded = r.state !== "up";
    x = body.x;
    for (const c of cols) {
      if (c.spark) {
        drawSparkline(screen, { x, y, w: c.w, h: 1 }, r.cpuHistory, 100, theme.graph);
      } else {
        let style = theme.text;
        if (c.title === "STATE") style = stateStyle(theme, stateText(r).kind);
        else if ((c.title === "CPU" || c.title === "MEM" || c.title === "DISK") && !faded) {
          const v = c.title === "CPU" ? r.cpu : c.title === "MEM" ? r.mem : r.disk;
          if (v !== null && v >= 60) style = levelStyle(theme, v);
        } else if (c.title === "HOST") style = theme.bold;
        putFit(screen, x, y, c.cell(r), c.w, c.align, style);
      }
      x += c.w + 1;
    }
    // A host without fresh numbers says why where its numbers would be.
    if (r.state !== "up" && r.cpu === null && r.error) {
      const after = cols[0]!.w + cols[1]!.w + 2;
      screen.fill({ x: body.x + after, y, w: body.w - after, h: 1 }, " ", theme.text);
      screen.put(body.x + after, y, truncate(r.error, body.w - after), theme.muted, body.w - after);
    }
    if (faded) screen.addAttrs({ x: body.x + cols[0]!.w + cols[1]!.w + 2, y, w: body.w - cols[0]!.w - cols[1]!.w - 2, h: 1 }, DIM);
    if (r.name === sel) screen.addAttrs(rect, INVERSE);
  }
  if (rows.length === 0) screen.put(body.x + 1, body.y + 2, fleet.filter ? "no host matches the filter" : "no hosts", theme.muted);
  return { mode: "list", perPage, columns: 1, hosts };
}

function renderCards(screen: Screen, body: Rect, rows: readonly FleetRow[], fleet: FleetState, ctx: FleetRenderContext): FleetLayout {
  const { theme } = ctx;
  const columns = Math.max(1, Math.floor(body.w / CARD_W));
  const cardW = Math.floor(body.w / columns);
  const gridRows = Math.max(1, Math.floor(body.h / CARD_H));
  const perPage = columns * gridRows;
  fleet.follow(perPage, columns);
  const hosts: FleetLayout["hosts"] = [];
  for (let i = 0; i < perPage; i++) {
    const r = rows[fleet.scroll + i];
    if (!r) break;
    const rect = { x: body.x + (i % columns) * cardW, y: body.y + Math.floor(i / columns) * CARD_H, w: cardW - 1, h: CARD_H };
    hosts.push({ name: r.name, rect });
    renderCard(screen, rect, r, r.name === fleet.selected, ctx);
  }
  if (rows.length === 0) screen.put(body.x + 1, body.y + 1, fleet.filter ? "no host matches the filter" : "no hosts", theme.muted);
  return { mode: "cards", perPage, columns, hosts };
}

/** A rounded border around `rect`, drawn cell by cell (no per-frame strings). */
function frame(screen: Screen, rect: Rect, style: Style): void {
  const { x, y, w, h } = rect;
  if (w < 2 || h < 1) return;
  screen.put(x, y, "╭", style);
  screen.fill({ x: x + 1, y, w: w - 2, h: 1 }, "─", style);
  screen.put(x + w - 1, y, "╮", style);
  for (let i = 1; i < h - 1; i++) {
    screen.put(x, y + i, "│", style);
    screen.put(x + w - 1, y + i, "│", style);
  }
  if (h < 2) return;
  screen.put(x, y + h - 1, "╰", style);
  screen.fill({ x: x + 1, y: y + h - 1, w: w - 2, h: 1 }, "─", style);
  screen.put(x + w - 1, y + h - 1, "╯", style);
}

function renderCard(screen: Screen, rect: Rect, r: FleetRow, selected: boolean, ctx: FleetRenderContext): void {
  const { theme } = ctx;
  const border = selected ? withAttrs(theme.text, BOLD) : theme.border;
  const { x, y, w, h } = rect;
  const iw = w - 2;
  frame(screen, rect, border);
  const title = ` ${truncate(sanitize(r.name), iw - 4)} `;
  screen.put(x + 2, y, title, selected ? withAttrs(theme.bold, INVERSE) : theme.bold);
  const st = stateText(r);
  const line = (n: number): number => y + 1 + n;
  const cx = x + 2;
  const cw = iw - 2;
  screen.put(cx, line(0), truncate(st.text, cw), stateStyle(theme, st.kind), cw);
  if (r.hostname && textWidth(st.text) + textWidth(r.hostname) + 2 <= cw) {
    const hn = sanitize(r.hostname);
    screen.put(cx + cw - textWidth(hn), line(0), hn, theme.muted);
  }
  if (r.cpu === null) {
    if (r.error) screen.put(cx, line(2), truncate(r.error, cw), theme.muted, cw);
    return;
  }
  const label = (n: number, text: string, v: number | null, barW: number): void => {
    screen.put(cx, line(n), text, theme.text);
    const bx = cx + textWidth(text) + 1;
    if (v !== null && barW > 0) drawBar(screen, bx, line(n), barW, v, levelStyle(theme, v), theme.track);
  };
  label(1, `CPU ${fit(pct(r.cpu), 4, "right")}`, null, 0);
  drawSparkline(screen, { x: cx + 9, y: line(1), w: cw - 9, h: 1 }, r.cpuHistory, 100, theme.graph);
  label(2, `MEM ${fit(pct(r.mem), 4, "right")}`, r.mem, cw - 9);
  label(3, `DSK ${fit(pct(r.disk), 4, "right")}`, r.disk, cw - 9);
  const extras = [r.gpu !== null ? `GPU ${pct(r.gpu)}` : "", formatTemp(r.temp)].filter(Boolean).join("  ");
  screen.put(cx, line(4), truncate(netText(r), cw), theme.text, cw);
  const top = topText(r);
  screen.put(cx, line(5), truncate(top ? `top ${top}` : "", cw - (extras ? textWidth(extras) + 1 : 0)), theme.text, cw);
  if (extras && textWidth(extras) < cw) screen.put(cx + cw - textWidth(extras), line(5), extras, theme.muted);
  if (r.state !== "up") screen.addAttrs({ x: cx, y: line(1), w: cw, h: h - 3 }, DIM);
}

function renderFleetHelp(screen: Screen, ctx: FleetRenderContext, fleet: FleetState): void {
  const { theme } = ctx;
  const lines: { text: string; style: Style }[] = [];
  for (const s of helpSections("fleet")) {
    lines.push({ text: `${s.title} (${s.note})`, style: theme.modalTitle });
    const kw = Math.max(...s.keys.map((k) => textWidth(k.keys)));
    for (const k of s.keys) lines.push({ text: `  ${fit(k.keys, kw)}  ${k.action}`, style: theme.text });
    lines.push({ text: "", style: theme.text });
  }
  const boxW = Math.min(screen.width - 2, Math.max(...lines.map((l) => textWidth(l.text))) + 4);
  const boxH = Math.min(screen.height - 2, lines.length + 2);
  const r = modalRect(screen.width, screen.height, boxW, boxH);
  screen.fill(r, " ", theme.modal);
  frame(screen, r, theme.border);
  screen.put(r.x + 2, r.y, " Keys · ↑↓ scroll · Esc closes ", theme.modalTitle);
  const inner = r.h - 2;
  const maxScroll = Math.max(0, lines.length - inner);
  fleet.helpScroll = Math.min(fleet.helpScroll, maxScroll);
  for (let i = 0; i < inner; i++) {
    const l = lines[fleet.helpScroll + i];
    if (l) screen.put(r.x + 2, r.y + 1 + i, truncate(l.text, r.w - 4), l.style, r.w - 4);
  }
}
