/**
 * The key table: one list feeds the help modal, `--help` and the README, so
 * they cannot drift apart.
 */
export interface KeyHelp {
  keys: string;
  action: string;
}

export const KEY_TABLE: readonly KeyHelp[] = [
  { keys: "q Q, Esc, Ctrl-C", action: "quit (Esc first closes a modal or clears the filter; in a fleet: back to it)" },
  { keys: "h H ?", action: "this help" },
  { keys: "a A", action: "about socktop and the agent" },
  { keys: "↑ ↓, k j", action: "move the selection" },
  { keys: "PgUp PgDn", action: "move the selection a page" },
  { keys: "Home End, g G", action: "first / last process" },
  { keys: "Enter", action: "process details of the selected row" },
  { keys: "/", action: "filter by name or PID; user:NAME keeps one user's processes (Enter keeps, Esc clears)" },
  // One row for the two clearing keys: the whole table must fit the help box at 80×24.
  { keys: "c C · x X", action: "clear the filter · clear the selection" },
  { keys: "P M N O U", action: "sort: CPU%, memory, PID, name, user (again: reverse)" },
  { keys: "< >", action: "previous / next sort column" },
  // One row for three keys: the whole table must fit the help box at 80×24.
  { keys: "r · t · T", action: "reverse the sort · signal the process (asks first) · tree view" },
  { keys: "s", action: "services & containers (cgroups); Enter: its processes" },
  { keys: "← →, [ ]", action: "scroll the per-core bars" },
  { keys: "R", action: "reconnect now (while retrying)" },
  { keys: "mouse", action: "click a header: sort by it (again: reverse)" },
  { keys: "", action: "click a row: select it; double-click: details" },
  { keys: "", action: "wheel: scroll; drag the scrollbar to move fast" },
];

/** Keys of the process details view (its own `?` box, `--help` and the README). */
export const DETAILS_KEY_TABLE: readonly KeyHelp[] = [
  { keys: "Esc, q, x X", action: "close: back to where it was opened from" },
  { keys: "Tab, Shift-Tab", action: "focus threads / children / journal" },
  { keys: "↑ ↓, k j", action: "scroll the focused section, or pick a child" },
  { keys: "PgUp PgDn", action: "a page up / down" },
  { keys: "Home End, g G", action: "top / bottom" },
  { keys: "Enter", action: "open the selected child process" },
  { keys: "p", action: "open the parent process on top (Esc returns here)" },
  { keys: "[ ]", action: "scroll the journal" },
  { keys: "d u", action: "page the thread list down / up" },
  { keys: "s", action: "sort threads by CPU time / by TID" },
  { keys: "r", action: "reverse the thread order" },
  { keys: "h, ?", action: "these keys" },
  { keys: "mouse", action: "click a section: focus it; double-click a child: open it" },
  { keys: "", action: "wheel: scroll the section under the pointer" },
];

/** Keys of the cgroups view (`s`). */
export const CGROUPS_KEY_TABLE: readonly KeyHelp[] = [
  { keys: "Esc, q, s", action: "close: back to the process table" },
  { keys: "↑ ↓, k j", action: "select a group" },
  { keys: "PgUp PgDn, Home End", action: "a page / the first / the last group" },
  { keys: "Enter", action: "the group's processes (its subtree); Esc comes back" },
  { keys: "P M", action: "sort by CPU%, memory" },
  { keys: "r", action: "reverse the sort" },
  { keys: "h H ?, a A", action: "help (every view's keys), about" },
  { keys: "mouse", action: "click a group: select it; wheel: scroll" },
];

/** A key table as aligned plain text (for --help and the README). */
export function keyTableText(indent = "  ", table: readonly KeyHelp[] = KEY_TABLE): string {
  const w = Math.max(...table.map((k) => k.keys.length));
  return table.map((k) => `${indent}${k.keys.padEnd(w)}  ${k.action}`).join("\n");
}

/** Keys of the fleet view (several hosts: `socktop URL URL…`, `-P a -P b`, `-G GROUP`, `--all`). */
export const FLEET_KEY_TABLE: readonly KeyHelp[] = [
  { keys: "q Q, Ctrl-C", action: "quit" },
  { keys: "Esc", action: "clear the filter, else quit" },
  { keys: "h H ?", action: "help: the keys of every view" },
  { keys: "↑ ↓, k j", action: "select a host (← → move across cards)" },
  { keys: "PgUp PgDn, Home End", action: "a page / the first / the last host" },
  { keys: "Enter", action: "open the host's full view (Esc comes back; connection kept)" },
  { keys: "/", action: "filter hosts by name, address or hostname (Enter keeps, Esc clears)" },
  { keys: "c C", action: "clear the filter" },
  { keys: "P M O", action: "sort by CPU%, memory, name (again: reverse)" },
  { keys: "< >", action: "previous / next sort" },
  { keys: "R", action: "retry the selected host now" },
  { keys: "mouse", action: "click a host: select it; double-click: open it" },
];

/** One view's keys under a heading in the help screens. */
export interface HelpSection {
  view: "host" | "details" | "cgroups" | "fleet";
  title: string;
  /** How one gets there. */
  note: string;
  keys: readonly KeyHelp[];
}

/**
 * Every view's keys: the one list behind the host view's and the fleet's help
 * boxes, the view in front listed first.
 */
export function helpSections(front: HelpSection["view"] = "host"): HelpSection[] {
  const sections: HelpSection[] = [
    { view: "host", title: "Host view", note: "one host; in a fleet: Enter on a host, Esc back", keys: KEY_TABLE },
    { view: "details", title: "Details", note: "Enter on a process", keys: DETAILS_KEY_TABLE },
    { view: "cgroups", title: "Cgroups", note: "s in the host view", keys: CGROUPS_KEY_TABLE },
    { view: "fleet", title: "Fleet", note: "several hosts: socktop URL URL…, -G GROUP, --all", keys: FLEET_KEY_TABLE },
  ];
  return [...sections.filter((s) => s.view === front), ...sections.filter((s) => s.view !== front)];
}
