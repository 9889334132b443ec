/**
 * The cgroups view's rules (`s`: which service, session or container uses
 * the machine): the groups of a `{"type":"cgroups"}` reply sorted by CPU or
 * memory, the selection (by path, so it stays on the same group while rows
 * move), and the drill-down scope (a group's subtree, by the protocol's
 * cgroupSubtree). No terminal and no socket here.
 */
import { cgroupSubtree, type CgroupInfo, type CgroupsReply } from "@socktop/protocol";
import { sanitize } from "./format.js";
import type { ProcessScope } from "./state.js";

export type CgroupSortKey = "cpu" | "mem";

/**
 * A group as a person names it: containers and pods by runtime and short id
 * (their directory names are 64 hex digits), everything else by its unit or
 * directory name.
 */
export function cgroupLabel(g: CgroupInfo): string {
  const name = sanitize(g.name);
  if (g.kind === "container" && g.container_id) return `${g.runtime ?? "container"} ${g.container_id}`;
  if (g.kind === "pod" && g.container_id) return `pod ${g.container_id}`;
  // conmon, the monitor podman and CRI-O put beside each container.
  if (g.kind === "scope" && g.runtime && g.container_id) return `${g.runtime} conmon ${g.container_id}`;
  return name;
}

/** The processes of a group and its descendants, as a scope for the process table. */
export function cgroupScope(groups: readonly CgroupInfo[], path: string): ProcessScope | null {
  const group = groups.find((g) => g.path === path);
  if (!group) return null;
  return { label: cgroupLabel(group), path, pids: new Set(cgroupSubtree(groups, path).pids) };
}

/** How many processes a group holds with its descendants, by path (one pass over the reply). */
export function subtreeCounts(groups: readonly CgroupInfo[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const g of groups) {
    if (g.pids.length === 0) continue;
    // Every ancestor path ("/a", "/a/b") of the group, and the group itself.
    for (let i = g.path.indexOf("/", 1); ; i = g.path.indexOf("/", i + 1)) {
      const p = i < 0 ? g.path : g.path.slice(0, i);
      counts.set(p, (counts.get(p) ?? 0) + g.pids.length);
      if (i < 0) break;
    }
  }
  return counts;
}

function compare(key: CgroupSortKey): (a: CgroupInfo, b: CgroupInfo) => number {
  // null (no reading yet, no memory controller) sorts below every number.
  const v = key === "cpu" ? (g: CgroupInfo) => g.cpu_usage ?? -1 : (g: CgroupInfo) => g.mem_bytes ?? -1;
  return (a, b) => v(a) - v(b);
}

/** What the view shows instead of a table, when it cannot show one. */
export type CgroupsNotice = { kind: "waiting" } | { kind: "unavailable"; reason: string } | { kind: "unsupported" } | { kind: "error"; message: string };

export class CgroupsList {
  sortKey: CgroupSortKey = "cpu";
  descending = true;
  selectedPath: string | null = null;
  scroll = 0;
  pageSize = 10;
  reply: CgroupsReply | null = null;
  /** The last failure; cleared by the next reply. */
  error: string | null = null;
  unsupported = false;
  private view: CgroupInfo[] = [];
  private counts = new Map<string, number>();

  get length(): number {
    return this.view.length;
  }

  rows(): readonly CgroupInfo[] {
    return this.view;
  }

  /** Processes in the group and its descendants. */
  processCount(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  notice(): CgroupsNotice | null {
    if (this.unsupported) return { kind: "unsupported" };
    if (this.reply && !this.reply.available) return { kind: "unavailable", reason: this.reply.reason };
    if (this.error !== null && this.reply === null) return { kind: "error", message: this.error };
    if (this.reply === null) return { kind: "waiting" };
    return null;
  }

  setReply(reply: CgroupsReply): void {
    this.reply = reply;
    this.error = null;
    this.counts = subtreeCounts(reply.groups);
    this.rebuild();
  }

  setError(message: string): void {
    this.error = message;
  }

  sortBy(key: CgroupSortKey): void {
    if (key === this.sortKey) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = true;
    }
    this.rebuild();
    this.follow();
  }

  reverse(): void {
    this.descending = !this.descending;
    this.rebuild();
    this.follow();
  }

  selectedIndex(): number {
    return this.selectedPath === null ? -1 : this.view.findIndex((g) => g.path === this.selectedPath);
  }

  selected(): CgroupInfo | null {
    return this.view[this.selectedIndex()] ?? null;
  }

  /** ↑ ↓ PgUp PgDn: the first step selects the top row. */
  move(delta: number): void {
    if (this.view.length === 0) return;
    const i = this.selectedIndex();
    const j = i < 0 ? this.scroll : Math.max(0, Math.min(this.view.length - 1, i + delta));
    this.select(j);
  }

  select(i: number): void {
    const g = this.view[Math.max(0, Math.min(this.view.length - 1, i))];
    if (!g) return;
    this.selectedPath = g.path;
    this.follow();
  }

  setPageSize(rows: number): void {
    this.pageSize = Math.max(1, rows);
    this.follow();
  }

  /** Keep the selected row on screen. */
  private follow(): void {
    const i = this.selectedIndex();
    if (i >= 0 && i < this.scroll) this.scroll = i;
    else if (i >= this.scroll + this.pageSize) this.scroll = i - this.pageSize + 1;
    this.scroll = Math.max(0, Math.min(this.scroll, this.view.length - this.pageSize));
  }

  private rebuild(): void {
    const cmp = compare(this.sortKey);
    const dir = this.descending ? -1 : 1;
    // Ties by path, so equal groups keep their places between refreshes.
    this.view = [...(this.reply?.groups ?? [])].sort((a, b) => dir * cmp(a, b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    this.follow();
  }
}
