/**
 * The single-host view's keys and mouse: which key does what in which mode
 * (details view, signal dialog, help/about box, filter typing, the table),
 * and what a click, a wheel turn or a drag hits. Kept apart from App, which
 * owns the connection, the frames and the details stack; this only turns
 * input into calls on the state and on the few App operations it is given.
 */
import { DoubleClick, filterKey, helpScrollKey, KeyMap, listBindings } from "./keymap.js";
import type { Layout } from "./layout.js";
import { contains, type Rect } from "./screen.js";
import { SignalDialog, type SignalSender } from "./signal-dialog.js";
import type { AppState, SortKey } from "./state.js";
import type { MouseInput } from "./terminal.js";

/** What the input side may ask of the App. */
export interface AppInputHost {
  readonly state: AppState;
  /** The last frame's layout (null before the first frame). */
  layout(): Layout | null;
  /** The details view in front, if one is open. */
  details(): { handleKey(name: string, isCharacter: boolean): "handled" | "ignored" | "close"; handleMouse?(event: MouseInput, area: Rect): void } | null;
  openDetails(): void;
  /** The cgroups view (`s`; Esc from a group's processes returns to it). */
  openCgroups(): void;
  closeDetails(): void;
  quit(): void;
  /** Esc with nothing left to back out of: the fleet overview when there is one, else quit. */
  back(): void;
  retryNow(): void;
  /** Sends a signal over the open connection; null while there is none or the agent does not offer it. */
  signalSender(): SignalSender | null;
  invalidate(): void;
  now(): number;
}

// Name sorts with O: A is About, as in the original (a/A, h/H, q/Q, c/C, x/X keep its meaning).
const SORT_KEYS_BY_LETTER: Record<string, SortKey> = { P: "cpu", M: "mem", N: "pid", O: "name", U: "user" };
const WHEEL_ROWS = 3;

export class AppInput {
  private readonly keys: KeyMap;
  private dragging = false;
  private readonly rowClicks = new DoubleClick<number>();

  constructor(private readonly host: AppInputHost) {
    const state = host.state;
    const table = state.table;
    const scrollCores = (dir: -1 | 1): void => {
      const layout = host.layout();
      if (layout) state.scrollCores(dir, layout.coreRowsVisible, layout.coresPerRow);
    };
    this.keys = new KeyMap([
      ...listBindings({
        quit: () => host.quit(),
        // Esc backs out one level: an active filter first, a group's processes (back to the groups), then the program (or the fleet).
        back: () => {
          if (table.filter !== "") table.clearFilter();
          else if (table.scope) host.openCgroups();
          else host.back();
        },
        help: () => (state.modal = { kind: "help", scroll: 0 }),
        rowStep: () => 1,
        pageStep: () => Math.max(1, table.pageSize - 1),
        move: (delta) => table.moveSelection(delta),
        first: () => table.selectFirst(),
        last: () => table.selectLast(),
        open: () => host.openDetails(),
        beginFilter: () => table.beginFilter(),
        clearFilter: () => table.clearFilter(),
        cycleSort: (dir) => table.cycleSort(dir),
        retryNow: () => host.retryNow(),
      }),
      [["a", "A"], () => (state.modal = { kind: "about" })],
      [["x", "X"], () => table.clearSelection()],
      ...Object.entries(SORT_KEYS_BY_LETTER).map(([letter, key]): [string[], () => void] => [[letter], () => table.sortBy(key)]),
      [["r"], () => table.reverse()],
      [["[", "LEFT"], () => scrollCores(-1)],
      [["]", "RIGHT"], () => scrollCores(1)],
      [["T"], () => table.toggleTree()],
      [["s"], () => host.openCgroups()],
      // The original's kill key: a dialog that names the process and the signal; nothing is sent before Enter.
      [
        ["t"],
        () => {
          const p = table.selected();
          if (p) state.signalDialog = new SignalDialog(p.pid, p.name, host.signalSender(), () => host.invalidate());
        },
      ],
    ]);
  }

  /** A key, in whatever mode the view is in (Ctrl-C is the App's: it quits from anywhere). */
  key(name: string, isCharacter: boolean): void {
    const { state, host } = this;
    const table = state.table;
    // A help or about box is in front of everything, the details and cgroups views included.
    if (state.modal) {
      this.modalKey(name);
      return;
    }
    const details = host.details();
    if (details) {
      const r = details.handleKey(name, isCharacter);
      // Esc and q always lead back out, even from a view that ignores them.
      if (r === "close" || (r === "ignored" && (name === "ESCAPE" || name === "q" || name === "x" || name === "X"))) host.closeDetails();
      // Help and about work in every view that has no use of its own for the key.
      else if (r === "ignored" && (name === "h" || name === "H" || name === "?")) state.modal = { kind: "help", scroll: 0 };
      else if (r === "ignored" && (name === "a" || name === "A")) state.modal = { kind: "about" };
      return;
    }
    if (state.signalDialog) {
      if (state.signalDialog.handleKey(name) === "close") state.signalDialog = null;
      return;
    }
    if (table.filterEditing) {
      const target = {
        filter: table.filter,
        setFilter: (text: string) => table.setFilter(text),
        accept: () => table.acceptFilter(),
        clear: () => table.clearFilter(),
      };
      if (filterKey(target, name, isCharacter) === "handled") return;
    }
    this.keys.dispatch(name);
  }

  private modalKey(name: string): void {
    const state = this.state;
    const modal = state.modal!;
    const scroll = modal.kind === "help" ? helpScrollKey(name, modal.scroll) : null;
    if (modal.kind === "help" && scroll !== null) modal.scroll = scroll;
    else if ((name === "a" || name === "A") && modal.kind === "help") state.modal = { kind: "about" };
    else if ((name === "h" || name === "H" || name === "?") && modal.kind === "about") state.modal = { kind: "help", scroll: 0 };
    else if (["ESCAPE", "q", "Q", "h", "H", "?", "a", "A", "ENTER"].includes(name)) state.modal = null;
  }

  private get state(): AppState {
    return this.host.state;
  }

  mouse(e: MouseInput): void {
    const { host, state } = this;
    const layout = host.layout();
    if (!layout || layout.tooSmall || state.signalDialog) return;
    const table = state.table;
    const details = host.details();
    if (details && !state.modal) {
      details.handleMouse?.(e, { x: 0, y: 1, w: layout.width, h: layout.height - 1 });
      host.invalidate();
      return;
    }
    if (state.modal) {
      if (e.kind === "press") state.modal = null;
      else if (state.modal.kind === "help" && e.kind === "wheel-up") state.modal.scroll = Math.max(0, state.modal.scroll - 1);
      else if (state.modal.kind === "help" && e.kind === "wheel-down") state.modal.scroll++;
      host.invalidate();
      return;
    }

    if (e.kind === "release") {
      this.dragging = false;
      return;
    }
    const sb = layout.scrollbar;
    if (e.kind === "drag") {
      if (this.dragging && sb) {
        table.scrollToFraction(sb.h > 1 ? (e.y - sb.y) / (sb.h - 1) : 0);
        host.invalidate();
      }
      return;
    }
    if (e.kind === "wheel-up" || e.kind === "wheel-down") {
      const dir = e.kind === "wheel-up" ? -1 : 1;
      if (layout.procs && contains(layout.procs, e.x, e.y)) table.scrollBy(dir * WHEEL_ROWS);
      else if (layout.cores && contains(layout.cores, e.x, e.y)) state.scrollCores(dir, layout.coreRowsVisible, layout.coresPerRow);
      host.invalidate();
      return;
    }
    if (e.kind !== "press" || e.button !== "left") return;

    if (layout.procs && e.y === layout.procHeaderY) {
      const col = layout.columns.find((c) => e.x >= c.x && e.x < c.x + c.w + 1);
      if (col?.key) table.sortBy(col.key);
      host.invalidate();
      return;
    }
    if (sb && sb.h > 0 && table.length > table.pageSize && contains({ ...sb, x: sb.x, w: 1 }, e.x, e.y)) {
      this.dragging = true;
      table.scrollToFraction(sb.h > 1 ? (e.y - sb.y) / (sb.h - 1) : 0);
      host.invalidate();
      return;
    }
    const rows = layout.procRows;
    if (rows && contains(rows, e.x, e.y)) {
      const before = table.selectedPid;
      table.selectVisibleRow(e.y - rows.y);
      const pid = table.selectedPid ?? -1;
      // A double click opens the row it selected; a click that changed the selection starts over.
      const double = this.rowClicks.click(pid, host.now());
      if (double && pid === before) host.openDetails();
      host.invalidate();
    }
  }
}
