/**
 * Where every panel goes for a given terminal size. The same result is used
 * to draw and to map mouse clicks back to what was clicked, so the two can
 * never disagree.
 */
import type { Rect } from "./screen.js";
import type { AppState, SortKey } from "./state.js";

export const MIN_WIDTH = 40;
export const MIN_HEIGHT = 12;

export interface TableColumn {
  /** null: a column that does not sort (S). */
  key: SortKey | null;
  label: string;
  x: number;
  w: number;
  align: "left" | "right";
}

export interface Layout {
  width: number;
  height: number;
  tooSmall: boolean;
  header: Rect;
  banner: Rect | null;
  footer: Rect;
  /** Everything between header/banner and footer. */
  body: Rect;
  cpu: Rect | null;
  cores: Rect | null;
  /** Core bars side by side per row, and rows of them visible. */
  coresPerRow: number;
  coreRowsVisible: number;
  mem: Rect | null;
  gpu: Rect | null;
  disks: Rect | null;
  net: Rect | null;
  procs: Rect | null;
  /** Screen row of the column headers. */
  procHeaderY: number;
  /** The rows area (without header and scrollbar). */
  procRows: Rect | null;
  scrollbar: Rect | null;
  columns: TableColumn[];
}

const EMPTY: Rect = { x: 0, y: 0, w: 0, h: 0 };

export function bannerRows(state: AppState, width: number): number {
  // The banner only appears over data: before any data the whole body is the
  // connecting screen, which carries the error itself.
  if (!state.hasData || state.conn.error === null) return 0;
  return width >= 60 ? 2 : 1;
}

/** Minimum width of one per-core bar entry ("c15 ▕████    ▏ 45%"). */
const CORE_CELL_MIN = 20;

export function computeLayout(width: number, height: number, state: AppState): Layout {
  const layout: Layout = {
    width,
    height,
    tooSmall: width < MIN_WIDTH || height < MIN_HEIGHT,
    header: { x: 0, y: 0, w: width, h: 1 },
    banner: null,
    footer: { x: 0, y: Math.max(0, height - 1), w: width, h: 1 },
    body: EMPTY,
    cpu: null,
    cores: null,
    coresPerRow: 1,
    coreRowsVisible: 0,
    mem: null,
    gpu: null,
    disks: null,
    net: null,
    procs: null,
    procHeaderY: -1,
    procRows: null,
    scrollbar: null,
    columns: [],
  };
  if (layout.tooSmall) return layout;

  const bRows = bannerRows(state, width);
  if (bRows > 0) layout.banner = { x: 0, y: 1, w: width, h: bRows };
  const top = 1 + bRows;
  const bodyH = height - 1 - top;
  layout.body = { x: 0, y: top, w: width, h: bodyH };
  if (!state.hasData) return layout;

  let y = top;
  // CPU band: about a third of the body, as in the original.
  const cpuH = Math.max(4, Math.min(16, Math.round(bodyH * 0.3)));
  const cpuW = Math.round(width * (2 / 3));
  layout.cpu = { x: 0, y, w: cpuW, h: cpuH };
  layout.cores = { x: cpuW, y, w: width - cpuW, h: cpuH };
  layout.coresPerRow = Math.max(1, Math.floor((width - cpuW - 1) / CORE_CELL_MIN));
  layout.coreRowsVisible = cpuH - 1;
  y += cpuH;

  // Memory and swap share a row when there is room for two readable gauges.
  const memH = width >= 70 ? 1 : 2;
  layout.mem = { x: 0, y, w: width, h: memH };
  y += memH;

  const gpus = state.metrics?.gpus?.length ?? 0;
  if (gpus > 0) {
    const room = height - 1 - y - 8;
    const gpuRows = Math.max(0, Math.min(gpus, Math.floor(room / 3)));
    if (gpuRows > 0) {
      layout.gpu = { x: 0, y, w: width, h: gpuRows + 1 };
      y += gpuRows + 1;
    }
  }

  const bottomH = height - 1 - y;
  const leftW = Math.max(28, Math.min(56, Math.round(width * 0.4)));
  const diskCount = state.disks?.length ?? 0;
  // The network panel needs a title, two rate lines and a sparkline row each.
  const netMin = 5;
  const diskH = Math.max(2, Math.min(1 + Math.max(1, diskCount), bottomH - netMin, Math.ceil(bottomH / 2)));
  layout.disks = { x: 0, y, w: leftW, h: diskH };
  layout.net = { x: 0, y: y + diskH, w: leftW, h: bottomH - diskH };

  const px = leftW;
  const pw = width - leftW;
  layout.procs = { x: px, y, w: pw, h: bottomH };
  layout.procHeaderY = y + 1;
  // Column 0 of the panel is the separator line; the last one the scrollbar.
  const inner = { x: px + 1, w: pw - 2 };
  layout.procRows = { x: inner.x, y: y + 2, w: inner.w, h: Math.max(0, bottomH - 2) };
  layout.scrollbar = { x: px + pw - 1, y: y + 2, w: 1, h: Math.max(0, bottomH - 2) };
  layout.columns = tableColumns(inner.x, inner.w);
  return layout;
}

/**
 * PID, name (takes the slack), CPU%, memory, memory%; with `rich` (protocol-2
 * rows) also USER and the state letter S, when the name keeps room enough.
 */
export function tableColumns(x: number, w: number, rich = false): TableColumn[] {
  const pidW = 7;
  const cpuW = 6;
  const memW = 6;
  const mempW = 6;
  const userW = 8;
  const fixed = pidW + cpuW + memW + mempW + 4;
  const withUser = rich && w - fixed - userW - 1 - 1 - 1 >= 12;
  const nameW = Math.max(4, w - fixed - (withUser ? userW + 1 + 1 + 1 : 0));
  const cols: TableColumn[] = [];
  let cx = x;
  const add = (key: SortKey | null, label: string, cw: number, align: "left" | "right"): void => {
    cols.push({ key, label, x: cx, w: cw, align });
    cx += cw + 1;
  };
  add("pid", "PID", pidW, "right");
  add("name", "NAME", nameW, "left");
  // After the name, so "PID NAME" reads as before for scripts and eyes used to it.
  if (withUser) {
    add("user", "USER", userW, "left");
    add(null, "S", 1, "left");
  }
  add("cpu", "CPU%", cpuW, "right");
  add("mem", "MEM", memW, "right");
  add("mem%", "MEM%", mempW, "right");
  return cols;
}

/** The centred box of a modal dialog. */
export function modalRect(width: number, height: number, boxW: number, boxH: number): Rect {
  const w = Math.min(width - 2, boxW);
  const h = Math.min(height - 2, boxH);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h };
}
