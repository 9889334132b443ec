/**
 * The key table: one list feeds the help modal, `--help` and the README, so
 * they cannot drift apart.
 */
export interface KeyHelp {
  keys: string;
  action: string;
}

export const KEY_TABLE: readonly KeyHelp[] = [
  { keys: "q, Esc, Ctrl-C", action: "quit (Esc first closes a modal or clears the filter)" },
  { keys: "h, ?", action: "this help" },
  { keys: "a", action: "about socktop and the agent" },
  { keys: "↑ ↓, k j", action: "move the selection" },
  { keys: "PgUp PgDn", action: "move the selection a page" },
  { keys: "Home End, g G", action: "first / last process" },
  { keys: "Enter", action: "process details of the selected row" },
  { keys: "/", action: "filter by name or PID (Enter keeps, Esc clears)" },
  { keys: "c", action: "clear the filter" },
  { keys: "P M N A", action: "sort by CPU%, memory, PID, name (again: reverse)" },
  { keys: "< >", action: "previous / next sort column" },
  { keys: "r", action: "reverse the sort order" },
  { keys: "[ ]", action: "scroll the per-core bars" },
  { keys: "R", action: "reconnect now (while retrying)" },
  { keys: "mouse", action: "click a header: sort by it (again: reverse)" },
  { keys: "", action: "click a row: select it; double-click: details" },
  { keys: "", action: "wheel: scroll; drag the scrollbar to move fast" },
];

/** The table as aligned plain text (for --help and the README). */
export function keyTableText(indent = "  "): string {
  const w = Math.max(...KEY_TABLE.map((k) => k.keys.length));
  return KEY_TABLE.map((k) => `${indent}${k.keys.padEnd(w)}  ${k.action}`).join("\n");
}
