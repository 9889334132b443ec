/**
 * The fleet view's model: one summary row per host, derived from that host's
 * own single-host state (so the overview and the drilled-in view can never
 * disagree), plus the fleet's sort, filter, selection and scroll, and the
 * polling rates each host gets depending on whether it is on screen.
 * Pure: no terminal, no socket, no timer.
 */
import { busiestProcess, fullestDisk, gpuPct, memPct, stateOfError, temperature, type Busiest, type HostState } from "./host-summary.js";
import type { Intervals, SessionStatus } from "./session.js";
import type { AppState } from "./state.js";
import { compareNames } from "./format.js";

export interface FleetRow {
  name: string;
  /** host:port, for the filter and the about line. */
  target: string;
  state: HostState;
  rttMs: number | null;
  /** Seconds until the next attempt while retrying, else null. */
  retryIn: number | null;
  /** The banner text of the last failure (for the selected host's detail line). */
  error: string | null;
  hostname: string | null;
  cpu: number | null;
  /** Newest last. */
  cpuHistory: readonly number[];
  mem: number | null;
  disk: number | null;
  rx: number | null;
  tx: number | null;
  gpu: number | null;
  temp: number | null;
  busiest: Busiest | null;
}

/** How many CPU samples a row keeps for its sparkline (the widest card needs this many). */
export const SPARK_SAMPLES = 40;

/** A host's row from its single-host state and its session's status. */
export function fleetRow(name: string, target: string, state: AppState, status: Readonly<SessionStatus>, now: number): FleetRow {
  const m = state.metrics;
  const conn = state.conn;
  let hostState: HostState;
  if (conn.phase === "open") hostState = state.hasData ? "up" : "connecting";
  else if (conn.phase === "connecting") hostState = state.hasData ? "stale" : "connecting";
  // Data on screen but no longer refreshed: say so before saying why.
  else hostState = state.hasData ? "stale" : stateOfError(status.error);
  return {
    name,
    target,
    state: hostState,
    rttMs: conn.phase === "open" ? conn.rttMs : null,
    retryIn: conn.phase === "retrying" && conn.retryAt !== null ? Math.max(0, Math.ceil((conn.retryAt - now) / 1000)) : null,
    error: conn.phase === "open" ? null : conn.error,
    hostname: m ? m.hostname : null,
    cpu: m ? Math.max(0, Math.min(100, m.cpu_total)) : null,
    cpuHistory: state.cpuHistory.tail(SPARK_SAMPLES),
    mem: m ? memPct(m) : null,
    disk: fullestDisk(state.disks)?.pct ?? null,
    rx: state.rates?.rx ?? null,
    tx: state.rates?.tx ?? null,
    gpu: m ? gpuPct(m) : null,
    temp: m ? temperature(m) : null,
    busiest: busiestProcess(state.processes),
  };
}

export type FleetSort = "name" | "cpu" | "mem";
export const FLEET_SORTS: readonly FleetSort[] = ["name", "cpu", "mem"];

/** Hosts that answer first, then by the key; a host without numbers sorts last. */
export function sortRows(rows: readonly FleetRow[], key: FleetSort, descending: boolean): FleetRow[] {
  const byName = (a: FleetRow, b: FleetRow): number => compareNames(a.name, b.name);
  const value = (r: FleetRow): number | null => (key === "cpu" ? r.cpu : key === "mem" ? r.mem : null);
  return [...rows].sort((a, b) => {
    if (key === "name") return (descending ? -1 : 1) * byName(a, b);
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? byName(a, b) : va === null ? 1 : -1;
    return (descending ? vb - va : va - vb) || byName(a, b);
  });
}

/** Case-insensitive substring of the name, the address or the agent's hostname. */
export function matchesHost(r: FleetRow, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (f === "") return true;
  return r.name.toLowerCase().includes(f) || r.target.toLowerCase().includes(f) || (r.hostname ?? "").toLowerCase().includes(f);
}

export class FleetState {
  sortKey: FleetSort = "name";
  descending = false;
  filter = "";
  filterEditing = false;
  /** The selected host, by name, so it stays selected while rows move. */
  selected: string | null = null;
  scroll = 0;
  modal: "help" | null = null;
  helpScroll = 0;
  private view: FleetRow[] = [];

  /** Recompute the visible list from fresh rows (every frame). */
  update(rows: readonly FleetRow[]): readonly FleetRow[] {
    this.view = sortRows(
      rows.filter((r) => matchesHost(r, this.filter)),
      this.sortKey,
      this.descending,
    );
    if (this.selected !== null && !this.view.some((r) => r.name === this.selected)) this.selected = this.view[0]?.name ?? null;
    if (this.selected === null && this.view.length > 0) this.selected = this.view[0]!.name;
    return this.view;
  }

  get rows(): readonly FleetRow[] {
    return this.view;
  }

  selectedIndex(): number {
    return this.view.findIndex((r) => r.name === this.selected);
  }

  sortBy(key: FleetSort): void {
    if (key === this.sortKey) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = key !== "name";
    }
  }

  cycleSort(delta: number): void {
    const i = FLEET_SORTS.indexOf(this.sortKey);
    this.sortKey = FLEET_SORTS[(i + delta + FLEET_SORTS.length) % FLEET_SORTS.length]!;
    this.descending = this.sortKey !== "name";
  }

  move(delta: number): void {
    if (this.view.length === 0) return;
    const i = Math.max(0, this.selectedIndex());
    const j = Math.max(0, Math.min(this.view.length - 1, i + delta));
    this.selected = this.view[j]!.name;
  }

  selectEdge(last: boolean): void {
    if (this.view.length > 0) this.selected = this.view[last ? this.view.length - 1 : 0]!.name;
  }

  /** Keep the selected item within the `perPage` items shown from `scroll`. */
  follow(perPage: number, itemsPerStep = 1): void {
    const i = this.selectedIndex();
    const page = Math.max(1, perPage);
    const maxScroll = Math.max(0, Math.ceil((this.view.length - page) / itemsPerStep) * itemsPerStep);
    if (i >= 0) {
      if (i < this.scroll) this.scroll = i - (i % itemsPerStep);
      else if (i >= this.scroll + page) this.scroll = i - page + itemsPerStep - (i % itemsPerStep);
    }
    this.scroll = Math.max(0, Math.min(maxScroll, this.scroll));
  }

  beginFilter(): void {
    this.filterEditing = true;
  }

  setFilter(text: string): void {
    this.filter = text;
    this.scroll = 0;
  }

  clearFilter(): void {
    this.filter = "";
    this.filterEditing = false;
  }
}

/**
 * How often each host is asked. A host drilled into gets its own intervals;
 * a host visible in the overview needs CPU and memory once a second but only an
 * occasional process list (only its busiest process: `processesTop`, the
 * agent sends that one row) and disk list; a host that is
 * scrolled off or behind the drilled-in view is only kept warm, and is asked
 * no process list at all (Infinity: the session's loop waits untimed). Load
 * and disk I/O, which no overview shows, only the drilled-in host is asked.
 */
export type Visibility = "drilled" | "visible" | "hidden";

// One sample a second is what an overview row and its sparkline can show; at the default 500 ms
// ten visible hosts cost the TUI 20 requests a second and missed the 2 %-of-a-core budget.
// Load and disk I/O are not on the overview (a row, a card): only the drilled-in host asks for them.
// A row names only the busiest process: the rest of the list is not asked for (processesTop).
export const FLEET_VISIBLE_MIN: Readonly<Required<Intervals>> = Object.freeze({
  metricsMs: 1000,
  processesMs: 5000,
  disksMs: 15_000,
  loadMs: Number.POSITIVE_INFINITY,
  processesTop: 1,
});
export const FLEET_HIDDEN: Readonly<Required<Intervals>> = Object.freeze({
  metricsMs: 5000,
  processesMs: Number.POSITIVE_INFINITY,
  disksMs: 60_000,
  loadMs: Number.POSITIVE_INFINITY,
  processesTop: 1,
});

export function intervalsFor(visibility: Visibility, own: Intervals): Intervals {
  switch (visibility) {
    case "drilled":
      return { ...own };
    case "visible":
      return {
        metricsMs: Math.max(own.metricsMs, FLEET_VISIBLE_MIN.metricsMs),
        processesMs: Math.max(own.processesMs, FLEET_VISIBLE_MIN.processesMs),
        disksMs: Math.max(own.disksMs, FLEET_VISIBLE_MIN.disksMs),
        loadMs: FLEET_VISIBLE_MIN.loadMs,
        processesTop: FLEET_VISIBLE_MIN.processesTop,
      };
    case "hidden":
      return {
        metricsMs: Math.max(own.metricsMs, FLEET_HIDDEN.metricsMs),
        processesMs: Math.max(own.processesMs, FLEET_HIDDEN.processesMs),
        disksMs: Math.max(own.disksMs, FLEET_HIDDEN.disksMs),
        loadMs: FLEET_HIDDEN.loadMs,
        processesTop: FLEET_HIDDEN.processesTop,
      };
  }
}
