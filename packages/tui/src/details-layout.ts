/**
 * Where each section of the process details view goes for a given size and
 * for what the process has (threads, children, a journal), and which section
 * a cell belongs to (for mouse focus).
 */
import type { DetailsFocus } from "./details-state.js";
import { contains, type Rect } from "./screen.js";

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
