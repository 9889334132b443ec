/**
 * Everything the screen shows, and the rules that change it. No terminal and
 * no socket in here: input handlers and the data session call these methods,
 * and the renderer reads the result.
 */
import type { DiskInfo, DiskIoEntry, LoadReply, Metrics, ProcessEntry, ProcessListReply } from "@socktop/protocol";
import { RateTracker, Ring, type Rates } from "./history.js";
import type { SignalDialog } from "./signal-dialog.js";
import { hasParents, hasRichRows, matchesProcessFilter, treeView } from "./process-tree.js";
import { compareNames } from "./format.js";

export { countsTowardTraffic, RateTracker, Ring, type Rates } from "./history.js";

export type SortKey = "pid" | "name" | "user" | "cpu" | "mem" | "mem%";

/** In the order of the columns (`<` `>` walk it); "user" only while the rows carry users. */
export const SORT_KEYS: readonly SortKey[] = ["pid", "name", "user", "cpu", "mem", "mem%"];

/** Numbers read best biggest-first, names and PIDs in natural order. */
export function defaultDescending(key: SortKey): boolean {
  return key === "cpu" || key === "mem" || key === "mem%";
}

function compareBy(key: SortKey): (a: ProcessEntry, b: ProcessEntry) => number {
  switch (key) {
    case "pid":
      return (a, b) => a.pid - b.pid;
    case "name":
      return (a, b) => compareNames(a.name, b.name);
    case "user":
      // By name as the USER column shows it; rows without a name (an unknown uid) by uid, after the names.
      return (a, b) => {
        const x = a.user ?? "";
        const y = b.user ?? "";
        if (x !== y) return x === "" ? 1 : y === "" ? -1 : x < y ? -1 : 1;
        return (a.uid ?? -1) - (b.uid ?? -1);
      };
    case "cpu":
      return (a, b) => a.cpu_usage - b.cpu_usage;
    case "mem":
    case "mem%":
      return (a, b) => a.mem_bytes - b.mem_bytes;
  }
}

export function sortProcesses(list: readonly ProcessEntry[], key: SortKey, descending: boolean): ProcessEntry[] {
  const cmp = compareBy(key);
  const dir = descending ? -1 : 1;
  // Ties go to the lower PID whatever the direction, so equal rows never
  // swap places between refreshes (which would look like flicker).
  return [...list].sort((a, b) => dir * cmp(a, b) || a.pid - b.pid);
}

/** Case-insensitive substring of the name, or a prefix of the PID; `user:NAME` keeps one user's rows. */
export const matchesFilter = matchesProcessFilter;

/** The table narrowed to some pids: a drill-down from the cgroups view (`s`, Enter on a group). */
export interface ProcessScope {
  /** What the title says ("nginx.service"). */
  label: string;
  /** The group's path; the cgroups view reselects it when the user comes back. */
  path: string;
  pids: ReadonlySet<number>;
}

/**
 * The process table: sorting, filtering, the selection (by PID, so it stays
 * on the same process while rows move) and the scroll position.
 */
export class ProcessTable {
  sortKey: SortKey = "cpu";
  descending = true;
  filter = "";
  /** True while the user is typing a filter after `/`. */
  filterEditing = false;
  selectedPid: number | null = null;
  scroll = 0;
  /** Rows visible at once; the layout sets it every frame. */
  pageSize = 10;
  /** Bumped whenever the visible content may have changed. */
  version = 0;

  /** Tree view (`T`): children under their parent; only drawn when the rows carry parent pids. */
  tree = false;
  /** Per pid, the branch glyphs before the name in the tree view. */
  treePrefix: ReadonlyMap<number, string> = new Map();
  /** The rows carry user/state (protocol 2): the USER and S columns are shown. */
  rich = false;

  private all: readonly ProcessEntry[] = [];
  private view: ProcessEntry[] = [];

  /** True when the tree is on and the agent sends parent pids (an original agent sends none). */
  treeShown = false;

  /** Only these processes (a cgroup's subtree), besides the filter; null: all. */
  scope: ProcessScope | null = null;

  setScope(scope: ProcessScope | null): void {
    const moved = scope?.path !== this.scope?.path;
    this.scope = scope;
    if (moved) this.scroll = 0;
    this.rebuild(moved ? "filter" : "data");
  }

  toggleTree(): void {
    this.tree = !this.tree;
    this.rebuild("sort");
  }

  get length(): number {
    return this.view.length;
  }

  get total(): number {
    return this.all.length;
  }

  rows(): readonly ProcessEntry[] {
    return this.view;
  }

  selectedIndex(): number {
    if (this.selectedPid === null) return -1;
    const pid = this.selectedPid;
    return this.view.findIndex((p) => p.pid === pid);
  }

  selected(): ProcessEntry | null {
    const i = this.selectedIndex();
    return i < 0 ? null : this.view[i]!;
  }

  setProcesses(list: readonly ProcessEntry[]): void {
    this.all = list;
    this.rebuild("data");
  }

  /** Header click or sort key: the same column again reverses the order. */
  sortBy(key: SortKey): void {
    if (key === this.sortKey) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = defaultDescending(key);
    }
    this.rebuild("sort");
  }

  reverse(): void {
    this.descending = !this.descending;
    this.rebuild("sort");
  }

  /** Next/previous sort column (`>` / `<`). */
  cycleSort(delta: number): void {
    // Without a USER column (an original agent) its sort would only look like the PID order.
    const keys = this.rich ? SORT_KEYS : SORT_KEYS.filter((k) => k !== "user");
    const i = keys.indexOf(this.sortKey);
    const key = keys[(i + delta + keys.length) % keys.length]!;
    this.sortKey = key;
    this.descending = defaultDescending(key);
    this.rebuild("sort");
  }

  beginFilter(): void {
    this.filterEditing = true;
    this.version++;
  }

  /** `x`: no row selected (the view stays where it is). */
  clearSelection(): void {
    this.selectedPid = null;
    this.version++;
  }

  /** Live filter: every keystroke narrows the rows. */
  setFilter(text: string): void {
    this.filter = text;
    this.scroll = 0;
    this.rebuild("filter");
  }

  /** Enter while typing: keep the filter and select the first hit. */
  acceptFilter(): void {
    this.filterEditing = false;
    this.scroll = 0;
    this.selectedPid = this.view[0]?.pid ?? null;
    this.version++;
  }

  clearFilter(): void {
    this.filterEditing = false;
    this.filter = "";
    this.rebuild("filter");
    const i = this.selectedIndex();
    if (i >= 0) this.ensureVisible(i);
    this.version++;
  }

  setPageSize(rows: number): void {
    const size = Math.max(1, rows);
    if (size === this.pageSize) return;
    const i = this.selectedIndex();
    const wasVisible = i >= 0 && this.isVisible(i);
    this.pageSize = size;
    this.clampScroll();
    if (wasVisible) this.ensureVisible(i);
    this.version++;
  }

  /** Arrow keys and PageUp/PageDown: move the selection, the view follows it. */
  moveSelection(delta: number): void {
    if (this.view.length === 0) return;
    let i = this.selectedIndex();
    if (i < 0) {
      // Nothing selected yet: the first step lands on the edge of what is on
      // screen (top going down, bottom going up), as if it had been there.
      i = delta < 0 ? Math.min(this.view.length - 1, this.scroll + this.pageSize - 1) : this.scroll;
      if (Math.abs(delta) <= 1) delta = 0;
    }
    const j = Math.max(0, Math.min(this.view.length - 1, i + delta));
    this.selectIndex(j);
  }

  selectFirst(): void {
    if (this.view.length > 0) this.selectIndex(0);
  }

  selectLast(): void {
    if (this.view.length > 0) this.selectIndex(this.view.length - 1);
  }

  selectIndex(i: number): void {
    const p = this.view[i];
    if (!p) return;
    this.selectedPid = p.pid;
    this.ensureVisible(i);
    this.version++;
  }

  /** A click on the n-th visible row. */
  selectVisibleRow(n: number): void {
    this.selectIndex(this.scroll + n);
  }

  /** Mouse wheel: moves the view only, like scrolling a document. */
  scrollBy(delta: number): void {
    const before = this.scroll;
    this.scroll += delta;
    this.clampScroll();
    if (this.scroll !== before) this.version++;
  }

  /** Scrollbar drag: `fraction` 0 is the top, 1 the bottom. */
  scrollToFraction(fraction: number): void {
    const max = this.maxScroll();
    const before = this.scroll;
    this.scroll = Math.round(Math.max(0, Math.min(1, fraction)) * max);
    if (this.scroll !== before) this.version++;
  }

  maxScroll(): number {
    return Math.max(0, this.view.length - this.pageSize);
  }

  private isVisible(i: number): boolean {
    return i >= this.scroll && i < this.scroll + this.pageSize;
  }

  private ensureVisible(i: number): void {
    if (i < this.scroll) this.scroll = i;
    else if (i >= this.scroll + this.pageSize) this.scroll = i - this.pageSize + 1;
    this.clampScroll();
  }

  private clampScroll(): void {
    this.scroll = Math.max(0, Math.min(this.scroll, this.maxScroll()));
  }

  private rebuild(reason: "data" | "sort" | "filter"): void {
    const prevIndex = this.selectedIndex();
    const wasVisible = prevIndex >= 0 && this.isVisible(prevIndex);
    const scope = this.scope?.pids;
    const text = this.filter.trim() !== "";
    const filtered = !text && !scope ? this.all : this.all.filter((p) => (!scope || scope.has(p.pid)) && (!text || matchesFilter(p, this.filter)));
    this.rich = hasRichRows(this.all);
    const sorted = sortProcesses(filtered, this.sortKey, this.descending);
    if (this.tree && hasParents(sorted)) {
      const t = treeView(sorted);
      this.view = t.rows;
      this.treePrefix = t.prefix;
      this.treeShown = true;
    } else {
      this.treeShown = false;
      this.view = sorted;
      this.treePrefix = new Map();
    }
    let i = this.selectedIndex();
    if (this.selectedPid !== null && i < 0) {
      if (reason === "data" && prevIndex >= 0 && this.view.length > 0) {
        // The selected process exited: take its neighbour, as htop does,
        // rather than leaving the user with no selection.
        i = Math.min(prevIndex, this.view.length - 1);
        this.selectedPid = this.view[i]!.pid;
      } else if (reason !== "data") {
        this.selectedPid = null;
      }
    }
    this.clampScroll();
    // Follow the selected process only if it was on screen: a user who
    // wheeled away to look at something else is not yanked back.
    if (i >= 0 && (wasVisible || reason === "sort")) this.ensureVisible(i);
    this.version++;
  }
}

/** "stopped": no agent to retry (the demo's own agent died); the banner says why. */
export type ConnectionPhase = "connecting" | "open" | "retrying" | "stopped";

/** What the screen says about the link to the agent. */
export interface ConnectionStatus {
  phase: ConnectionPhase;
  /** Human message for the banner, from the connector's typed error. */
  error: string | null;
  /** The connector's own longer explanation. */
  errorDetail: string | null;
  /** The connector's error code, kept for tests and the about box. */
  errorCode: string | null;
  /** Epoch ms of the next connection attempt while retrying. */
  retryAt: number | null;
  /** Connection attempts since the last success. */
  attempt: number;
  rttMs: number | null;
  agentVersion: string | null;
  protocolVersion: number | null;
  capabilities: readonly string[];
  legacy: boolean;
  connectedAt: number | null;
}

export type Modal = { kind: "help"; scroll: number } | { kind: "about" };

export const HISTORY_CAPACITY = 600;

export class AppState {
  metrics: Metrics | null = null;
  metricsAt: number | null = null;
  disks: DiskInfo[] | null = null;
  /** Load average and uptime (protocol 2); null for an original agent. */
  load: LoadReply | null = null;
  /** Disk I/O by device name (protocol 2). */
  diskIo: ReadonlyMap<string, DiskIoEntry> = new Map();
  processCount: number | null = null;
  readonly cpuHistory = new Ring(HISTORY_CAPACITY);
  readonly rxHistory = new Ring(HISTORY_CAPACITY);
  readonly txHistory = new Ring(HISTORY_CAPACITY);
  rates: Rates | null = null;
  /** The newest process list as it arrived; the table sorts it when first read (a fleet host in the background never does). */
  processes: readonly ProcessEntry[] = [];
  private readonly sortedTable = new ProcessTable();
  private tableStale = false;
  get table(): ProcessTable {
    if (this.tableStale) this.sortedTable.setProcesses(this.processes);
    this.tableStale = false;
    return this.sortedTable;
  }
  /** First core row shown in the per-core panel. */
  coreScroll = 0;
  modal: Modal | null = null;
  /** The signal dialog (`t`), above everything while open. */
  signalDialog: SignalDialog | null = null;
  /** Epoch ms of the last reply of any kind. */
  lastDataAt: number | null = null;
  conn: ConnectionStatus = {
    phase: "connecting",
    error: null,
    errorDetail: null,
    errorCode: null,
    retryAt: null,
    attempt: 1,
    rttMs: null,
    agentVersion: null,
    protocolVersion: null,
    capabilities: [],
    legacy: false,
    connectedAt: null,
  };
  private readonly rateTracker = new RateTracker();

  /** Whether anything has arrived yet (else the connecting screen shows). */
  get hasData(): boolean {
    return this.metrics !== null;
  }

  /** Data on screen that is no longer being refreshed. */
  get stale(): boolean {
    return this.hasData && this.conn.phase !== "open";
  }

  applyMetrics(m: Metrics, atMs: number): void {
    this.metrics = m;
    this.metricsAt = atMs;
    this.lastDataAt = atMs;
    this.cpuHistory.push(Math.max(0, Math.min(100, m.cpu_total)));
    const r = this.rateTracker.update(m.networks ?? [], atMs);
    if (r) {
      this.rates = r;
      this.rxHistory.push(r.rx);
      this.txHistory.push(r.tx);
    }
    if (m.process_count != null && this.processCount === null) this.processCount = m.process_count;
  }

  applyProcesses(reply: ProcessListReply, atMs: number): void {
    this.processCount = reply.process_count;
    this.lastDataAt = atMs;
    this.processes = reply.processes;
    this.tableStale = true;
  }

  applyDisks(disks: DiskInfo[], atMs: number): void {
    this.disks = disks;
    this.lastDataAt = atMs;
  }

  /**
   * A new connection has no baseline for the network counters (the agent may
   * even have restarted and reset them), so rates start over.
   */
  resetRates(): void {
    this.rateTracker.reset();
  }

  scrollCores(delta: number, visibleRows: number, coresPerRow: number): void {
    const cores = this.metrics?.cpu_per_core.length ?? 0;
    const rows = Math.ceil(cores / Math.max(1, coresPerRow));
    const max = Math.max(0, rows - visibleRows);
    this.coreScroll = Math.max(0, Math.min(max, this.coreScroll + delta));
  }
}
