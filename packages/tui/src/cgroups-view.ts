/**
 * The cgroups view (`s`): which service, session, container or pod uses the
 * machine. The agent's `{"type":"cgroups"}` reply as a table sorted by CPU
 * (or memory), polled while the view is open; Enter drills down to the
 * group's processes, which is the process table narrowed to the group's
 * subtree (so sorting, the tree, details and signals all work there), kept
 * up to date while it is shown; Esc there comes back here.
 *
 *   ─ Control groups 41 ─────────────────────────────── sort CPU% ▼ ─
 *    NAME                  KIND       CPU%    MEM PROCS PARENT
 *    system.slice          slice     12.5%   1.2G    48 /
 *    docker 1a2b3c4d5e6f   container  9.8%   300M     3 /system.slice
 *    ↑↓ select  Enter its processes  P M sort  r reverse  h help  Esc back
 *
 * An agent without cgroup v2 (v1 only, the portable backend) answers
 * "unavailable" with the reason, and an original agent has no such request:
 * both are said in a sentence instead of an empty table.
 */
import type { CgroupInfo } from "@socktop/protocol";
import type { DetailsView } from "./app.js";
import { cgroupLabel, cgroupScope, CgroupsList } from "./cgroups-state.js";
import { fit, formatBytesShort, formatPercent, sanitize, truncate } from "./format.js";
import { contains, type Rect, type Screen } from "./screen.js";
import { realClock, type AgentClient, type Clock } from "./session.js";
import type { ProcessTable } from "./state.js";
import type { MouseInput } from "./terminal.js";
import { type RenderContext, scrollThumb, titleLine, wrap } from "./widgets.js";

export interface CgroupsBrowserOptions {
  table: ProcessTable;
  /** The open connection, or null while reconnecting. */
  client: () => AgentClient | null;
  /** How often to ask (the process list's interval: the agent refreshes both together). */
  intervalMs: () => number;
  invalidate: () => void;
  clock?: Clock;
}

const WHEEL_ROWS = 3;

/**
 * The list, its polling and the drill-down scope. Polls only while the view
 * is open or the table shows a group's processes (whose pids change as
 * processes come and go); never more than one request in flight.
 */
export class CgroupsBrowser {
  readonly list = new CgroupsList();
  private viewOpen = false;
  private timer: unknown = null;
  private inFlight = false;
  private disposed = false;
  private readonly clock: Clock;

  constructor(private readonly options: CgroupsBrowserOptions) {
    this.clock = options.clock ?? realClock;
  }

  /** `s`, or Esc from a group's processes: the view, on the group last drilled into. */
  open(): CgroupsView {
    const table = this.options.table;
    if (table.scope) {
      this.list.selectedPath = table.scope.path;
      table.setScope(null);
    }
    this.viewOpen = true;
    if (this.timer === null && !this.inFlight) void this.poll();
    return new CgroupsView(this);
  }

  /** Enter on a group: the table shows its subtree's processes. False when nothing is selected. */
  drill(): boolean {
    const g = this.list.selected();
    const reply = this.list.reply;
    if (!g || !reply) return false;
    const table = this.options.table;
    table.setScope(cgroupScope(reply.groups, g.path));
    table.selectFirst();
    return true;
  }

  viewClosed(): void {
    this.viewOpen = false;
    this.stopIfUnwanted();
  }

  /** True while a poll is scheduled or waiting for its reply (tests). */
  get polling(): boolean {
    return this.timer !== null || this.inFlight;
  }

  dispose(): void {
    this.disposed = true;
    this.stopIfUnwanted();
  }

  private get wanted(): boolean {
    return !this.disposed && (this.viewOpen || this.options.table.scope !== null);
  }

  private stopIfUnwanted(): void {
    if (this.wanted || this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    this.timer = null;
    if (!this.wanted) return;
    const started = this.clock.now();
    const client = this.options.client();
    if (client) {
      // Only an agent that states the capability: an original one answers unknown requests with an error.
      this.list.unsupported = !client.cgroups || !client.info.capabilities.includes("cgroups");
      if (!this.list.unsupported) {
        this.inFlight = true;
        try {
          this.list.setReply(await client.cgroups!());
          this.refreshScope();
        } catch (error) {
          this.list.setError(error instanceof Error ? error.message : String(error));
        } finally {
          this.inFlight = false;
        }
      }
      this.options.invalidate();
    }
    if (!this.wanted) return;
    const wait = Math.max(0, this.options.intervalMs() - (this.clock.now() - started));
    this.timer = this.clock.setTimeout(() => void this.poll(), wait);
  }

  /** The drilled-into group's processes as of the newest reply (none once the group is gone). */
  private refreshScope(): void {
    const table = this.options.table;
    const scope = table.scope;
    const reply = this.list.reply;
    if (!scope || !reply) return;
    table.setScope(cgroupScope(reply.groups, scope.path) ?? { ...scope, pids: new Set() });
  }
}

/** The full-screen view; the App shows it where the process details go. */
export class CgroupsView implements DetailsView {
  constructor(private readonly browser: CgroupsBrowser) {}

  handleKey(name: string): "handled" | "ignored" | "close" {
    const list = this.browser.list;
    const page = Math.max(1, list.pageSize - 1);
    switch (name) {
      case "UP":
      case "k":
        list.move(-1);
        return "handled";
      case "DOWN":
      case "j":
        list.move(1);
        return "handled";
      case "PAGE_UP":
        list.move(-page);
        return "handled";
      case "PAGE_DOWN":
        list.move(page);
        return "handled";
      case "HOME":
      case "g":
        list.select(0);
        return "handled";
      case "END":
      case "G":
        list.select(list.length - 1);
        return "handled";
      case "P":
        list.sortBy("cpu");
        return "handled";
      case "M":
        list.sortBy("mem");
        return "handled";
      case "r":
        list.reverse();
        return "handled";
      case "ENTER":
        return this.browser.drill() ? "close" : "handled";
      case "s":
      case "ESCAPE":
      case "q":
        return "close";
      default:
        return "ignored";
    }
  }

  handleMouse(e: MouseInput, area: Rect): void {
    const list = this.browser.list;
    if (e.kind === "wheel-up" || e.kind === "wheel-down") list.move(e.kind === "wheel-up" ? -WHEEL_ROWS : WHEEL_ROWS);
    else if (e.kind === "press" && e.button === "left") {
      const rows = rowsRect(area);
      if (contains(rows, e.x, e.y)) list.select(list.scroll + e.y - rows.y);
    }
  }

  render(screen: Screen, area: Rect, ctx: RenderContext): void {
    renderCgroups(screen, area, this.browser.list, ctx);
  }

  dispose(): void {
    this.browser.viewClosed();
  }
}

/** Title, column header, rows, key line. */
function rowsRect(area: Rect): Rect {
  return { x: area.x + 1, y: area.y + 2, w: area.w - 2, h: Math.max(0, area.h - 3) };
}

interface Column {
  label: string;
  x: number;
  w: number;
  right: boolean;
  cell: (g: CgroupInfo, list: CgroupsList) => string;
}

/** The group's parent ("/" at the top): the name column already shows the last part of the path. */
export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** NAME takes about half the slack and PARENT the rest; a narrow terminal drops PARENT. */
export function cgroupColumns(x: number, w: number): Column[] {
  const fixed = 9 + 6 + 6 + 5 + 5;
  const rest = w - fixed;
  const withPath = rest >= 30;
  const nameW = withPath ? Math.max(16, Math.min(32, Math.round(rest * 0.45))) : Math.max(8, rest);
  const cols: Column[] = [];
  let cx = x;
  const add = (label: string, cw: number, right: boolean, cell: Column["cell"]): void => {
    cols.push({ label, x: cx, w: cw, right, cell });
    cx += cw + 1;
  };
  add("NAME", nameW, false, (g) => cgroupLabel(g));
  add("KIND", 9, false, (g) => g.kind);
  add("CPU%", 6, true, (g) => formatPercent(g.cpu_usage));
  add("MEM", 6, true, (g) => (g.mem_bytes === null ? "–" : formatBytesShort(g.mem_bytes)));
  add("PROCS", 5, true, (g, list) => String(list.processCount(g.path)));
  if (withPath) add("PARENT", Math.max(1, x + w - cx), false, (g) => sanitize(parentPath(g.path)));
  return cols;
}

/** The sentence shown instead of the table, or null when there is a table. */
export function cgroupsMessage(list: CgroupsList): string | null {
  const n = list.notice();
  if (n === null) return list.length === 0 ? "The agent reports no control groups." : null;
  switch (n.kind) {
    case "waiting":
      return "Asking the agent for its control groups…";
    case "unsupported":
      return "This agent does not report control groups (an original socktop_agent, or one older than protocol 2).";
    case "unavailable":
      return `Control groups are unavailable on this machine: ${n.reason}`;
    case "error":
      return `The agent could not list its control groups: ${n.message}`;
  }
}

export function renderCgroups(screen: Screen, area: Rect, list: CgroupsList, ctx: RenderContext): void {
  const { theme } = ctx;
  const reply = list.reply;
  const arrow = list.descending ? "▼" : "▲";
  const sortText = `${reply?.available && reply.hierarchy === "hybrid" ? "hybrid: no memory · " : ""}sort ${list.sortKey === "cpu" ? "CPU%" : "MEM"} ${arrow}`;
  const count = reply?.available ? ` ${reply.groups.length}${reply.truncated ? "+" : ""}` : "";
  titleLine(screen, { x: area.x, y: area.y, w: area.w, h: 1 }, `Control groups${count}`, ctx, sortText);
  const rows = rowsRect(area);
  const keysY = area.y + area.h - 1;
  const keys = "↑↓ select  Enter its processes  P M sort CPU/memory  r reverse  h help  Esc back";
  screen.put(area.x + 1, keysY, truncate(keys, area.w - 2), theme.muted);

  const message = cgroupsMessage(list);
  if (message !== null) {
    const lines = wrap(message, Math.max(10, rows.w - 2));
    lines.forEach((l, i) => {
      if (i < rows.h) screen.put(rows.x + 1, rows.y + i, l, list.notice()?.kind === "error" ? theme.error : theme.text, rows.w - 1);
    });
    return;
  }
  const cols = cgroupColumns(rows.x, rows.w - 1);
  const sortLabel = list.sortKey === "cpu" ? "CPU%" : "MEM";
  for (const c of cols) {
    const sorted = c.label === sortLabel;
    const label = sorted ? (c.right ? arrow + c.label : c.label + arrow) : c.label;
    screen.put(c.x, area.y + 1, fit(label, c.w, c.right ? "right" : "left"), sorted ? theme.tableHeaderSorted : theme.tableHeader);
  }
  list.setPageSize(rows.h);
  const view = list.rows();
  const sel = list.selectedIndex();
  for (let r = 0; r < rows.h; r++) {
    const i = list.scroll + r;
    const g = view[i];
    if (!g) break;
    const y = rows.y + r;
    const selected = i === sel;
    if (selected) screen.fill({ x: rows.x, y, w: rows.w - 1, h: 1 }, " ", theme.selected);
    for (const c of cols) {
      const style = selected ? theme.selected : c.label === "NAME" ? theme.bold : c.label === "KIND" || c.label === "PARENT" ? theme.muted : theme.text;
      screen.put(c.x, y, fit(c.cell(g, list), c.w, c.right ? "right" : "left"), style);
    }
  }
  if (view.length > rows.h && rows.h > 0) {
    const { start, size } = scrollThumb(view.length, rows.h, list.scroll, rows.h);
    const sx = rows.x + rows.w - 1;
    for (let i = 0; i < rows.h; i++) screen.put(sx, rows.y + i, i >= start && i < start + size ? "█" : "│", i >= start && i < start + size ? theme.bold : theme.border);
  }
}
