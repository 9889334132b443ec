/**
 * The page's keys: the TUI's where they make sense in a browser (no quit,
 * no per-core scrolling: the page scrolls). One list feeds the help panel
 * and docs/web.md (a test compares them).
 */
export interface KeyHelp {
  keys: string;
  action: string;
}

export const WEB_KEY_TABLE: readonly KeyHelp[] = [
  { keys: "h, ?", action: "this help" },
  { keys: "Esc", action: "close the help or the details, else clear the filter" },
  { keys: "↑ ↓, k j", action: "move the selection" },
  { keys: "PgUp PgDn", action: "move the selection a page" },
  { keys: "Home End, g G", action: "first / last process" },
  { keys: "Enter", action: "process details of the selected row" },
  { keys: "/", action: "filter by name or PID (Enter keeps, Esc clears)" },
  { keys: "c", action: "clear the filter" },
  { keys: "P M N A", action: "sort by CPU%, memory, PID, name (again: reverse)" },
  { keys: "< >", action: "previous / next sort column" },
  { keys: "r", action: "reverse the sort order" },
  { keys: "R", action: "reconnect now (while retrying)" },
  { keys: "f", action: "the fleet page (several agents)" },
  { keys: "details: Esc, q", action: "back to the table" },
  { keys: "details: ↑ ↓, Enter, p", action: "pick a child, open it, open the parent" },
  { keys: "details: s, r", action: "sort threads by CPU time / TID, reverse" },
];
