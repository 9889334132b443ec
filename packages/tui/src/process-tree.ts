/**
 * Protocol-2 process rows in the table: the tree view (children under their
 * parent, siblings in the chosen sort order), the `user:NAME` filter term, and
 * whether the rows carry user/state at all (an original agent sends neither,
 * so those columns stay hidden rather than showing a column of dashes).
 */
import type { ProcessEntry } from "@socktop/protocol";

/** A filter split into its `user:NAME` term (exact user name) and the rest (name or PID). */
export interface ProcessFilter {
  user: string | null;
  text: string;
}

/**
 * `/` filter syntax: `user:NAME` (or `u:NAME`) anywhere in the text keeps only
 * that user's processes; the remaining words match the name or a PID prefix.
 */
export function parseProcessFilter(filter: string): ProcessFilter {
  let user: string | null = null;
  const rest: string[] = [];
  for (const word of filter.trim().split(/\s+/)) {
    const m = /^(?:user|u):(.*)$/i.exec(word);
    if (m) user = m[1]!;
    else if (word !== "") rest.push(word);
  }
  return { user, text: rest.join(" ").toLowerCase() };
}

/** Case-insensitive substring of the name, or a prefix of the PID; `user:NAME` must equal the row's user. */
export function matchesProcessFilter(p: ProcessEntry, filter: string): boolean {
  const f = parseProcessFilter(filter);
  // A user term with no name yet (while typing "user:") keeps every row.
  if (f.user !== null && f.user !== "" && p.user !== f.user) return false;
  if (f.text === "") return true;
  return p.name.toLowerCase().includes(f.text) || String(p.pid).startsWith(f.text);
}

/** True when any row carries a user or a state (an agent speaking protocol 2). */
export function hasRichRows(list: readonly ProcessEntry[]): boolean {
  return list.some((p) => p.user !== undefined || p.state !== undefined);
}

/** True when the rows carry parent pids, so a tree can be drawn. */
export function hasParents(list: readonly ProcessEntry[]): boolean {
  return list.some((p) => p.ppid !== undefined);
}

/** Indent levels drawn at most; deeper rows line up at this level. */
export const MAX_INDENT = 12;

export interface TreeView {
  rows: ProcessEntry[];
  /** Per pid, the branch drawn before its name ("│  ├─ "); roots have none. */
  prefix: Map<number, string>;
}

/**
 * Orders `sorted` (already filtered and sorted) as a tree: a row whose parent
 * is among the rows goes under it, the others are roots; siblings keep the
 * order of `sorted`. A cycle in the parent links (pids reused between reads)
 * cannot hang it: each row is placed once.
 */
export function treeView(sorted: readonly ProcessEntry[]): TreeView {
  const present = new Set(sorted.map((p) => p.pid));
  const children = new Map<number, ProcessEntry[]>();
  const roots: ProcessEntry[] = [];
  for (const p of sorted) {
    const parent = p.ppid;
    if (parent !== undefined && parent !== p.pid && present.has(parent)) {
      let list = children.get(parent);
      if (!list) children.set(parent, (list = []));
      list.push(p);
    } else roots.push(p);
  }
  const rows: ProcessEntry[] = [];
  const prefix = new Map<number, string>();
  const placed = new Set<number>();
  // Iterative depth-first walk: deep trees (fork chains) must not overflow the stack.
  const stack: { p: ProcessEntry; lead: string; branch: string }[] = [];
  const pushAll = (list: readonly ProcessEntry[], lead: string, top: boolean): void => {
    for (let i = list.length - 1; i >= 0; i--) {
      const last = i === list.length - 1;
      stack.push({ p: list[i]!, lead, branch: top ? "" : last ? "└─ " : "├─ " });
    }
  };
  const walk = (start: readonly ProcessEntry[]): void => {
    pushAll(start, "", true);
    while (stack.length > 0) {
      const { p, lead, branch } = stack.pop()!;
      if (placed.has(p.pid)) continue;
      placed.add(p.pid);
      rows.push(p);
      if (branch !== "" || lead !== "") prefix.set(p.pid, lead + branch);
      const kids = children.get(p.pid);
      // The indent stops growing past MAX_INDENT levels: a deep fork chain keeps its names
      // readable (and its prefixes short: building ever longer ones would be quadratic).
      const deeper = branch === "" || lead.length >= 3 * MAX_INDENT ? lead : lead + (branch === "└─ " ? "   " : "│  ");
      if (kids) pushAll(kids, deeper, false);
    }
  };
  walk(roots);
  // Rows only reachable through a cycle: shown flat at the end rather than lost.
  const rest = sorted.filter((p) => !placed.has(p.pid));
  if (rest.length > 0) walk(rest);
  return { rows, prefix };
}

/** Process state letters as words, for the details view. */
export function stateName(state: string): string {
  const names: Record<string, string> = {
    R: "running",
    S: "sleeping",
    D: "disk sleep",
    Z: "zombie",
    T: "stopped",
    t: "tracing stop",
    I: "idle",
    X: "dead",
  };
  return names[state] ?? state;
}
