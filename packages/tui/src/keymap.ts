/**
 * Key dispatch shared by the single-host view and the fleet overview: key
 * maps built from bindings, the keys of a filter being typed, the keys every
 * list answers (move, page, first/last, filter, sort cycle, retry, help,
 * quit), and double-click detection. Written once so that the two views
 * cannot drift apart in how the same key behaves.
 */

/** Keys and what they do. */
export type Binding = readonly [keys: readonly string[], action: () => void];

/** Bindings looked up by key name. */
export class KeyMap {
  private readonly actions = new Map<string, () => void>();

  constructor(bindings: readonly Binding[]) {
    for (const [keys, action] of bindings) {
      for (const key of keys) {
        // Two meanings for one key is a bug in the table, not something to resolve by order.
        if (this.actions.has(key)) throw new Error(`key ${key} is bound twice`);
        this.actions.set(key, action);
      }
    }
  }

  /** Runs the key's action; false when the key is not bound. */
  dispatch(name: string): boolean {
    const action = this.actions.get(name);
    if (action === undefined) return false;
    action();
    return true;
  }
}

/** A filter being typed: the process table's or the fleet's. */
export interface FilterTarget {
  readonly filter: string;
  setFilter(text: string): void;
  /** Enter: keep the filter and stop typing. */
  accept(): void;
  /** Esc: drop the filter and stop typing. */
  clear(): void;
}

/**
 * A key while a filter is typed: characters are text (so `q` does not quit),
 * Backspace and Ctrl-U edit, Enter keeps, Esc clears. "pass" for the other
 * keys (arrows, pages), which keep their meaning so the selection can move
 * through the matches while typing.
 */
export function filterKey(target: FilterTarget, name: string, isCharacter: boolean): "handled" | "pass" {
  switch (name) {
    case "ENTER":
      target.accept();
      return "handled";
    case "ESCAPE":
      target.clear();
      return "handled";
    case "BACKSPACE":
      target.setFilter(target.filter.slice(0, -1));
      return "handled";
    case "CTRL_U":
      target.setFilter("");
      return "handled";
    default:
      if (!isCharacter) return "pass";
      target.setFilter(target.filter + name);
      return "handled";
  }
}

/** What a list view does with the keys every list shares. */
export interface ListActions {
  quit(): void;
  /** Esc: back out one level (a filter first). */
  back(): void;
  help(): void;
  /** Selection moves by this many entries per ↑/↓ (a row, or a row of cards). */
  rowStep(): number;
  /** …and by this many per PgUp/PgDn. */
  pageStep(): number;
  move(delta: number): void;
  first(): void;
  last(): void;
  open(): void;
  beginFilter(): void;
  clearFilter(): void;
  cycleSort(direction: -1 | 1): void;
  retryNow(): void;
}

/** The bindings of the keys every list shares (see KEY_TABLE and FLEET_KEY_TABLE). */
export function listBindings(a: ListActions): Binding[] {
  return [
    [["q", "Q"], () => a.quit()],
    [["ESCAPE"], () => a.back()],
    [["h", "H", "?"], () => a.help()],
    [["UP", "k"], () => a.move(-a.rowStep())],
    [["DOWN", "j"], () => a.move(a.rowStep())],
    [["PAGE_UP"], () => a.move(-a.pageStep())],
    [["PAGE_DOWN"], () => a.move(a.pageStep())],
    [["HOME", "g"], () => a.first()],
    [["END", "G"], () => a.last()],
    [["ENTER"], () => a.open()],
    [["/"], () => a.beginFilter()],
    [["c", "C"], () => a.clearFilter()],
    [["<"], () => a.cycleSort(-1)],
    [[">"], () => a.cycleSort(1)],
    [["R"], () => a.retryNow()],
  ];
}

/** The scroll of a help box after a key; null when the key does not scroll it. */
export function helpScrollKey(name: string, scroll: number): number | null {
  if (name === "UP" || name === "k") return Math.max(0, scroll - 1);
  if (name === "DOWN" || name === "j") return scroll + 1;
  return null;
}

export const DOUBLE_CLICK_MS = 400;

/** Tells a double click on the same thing (a row, a host card, a child process) from two single clicks. */
export class DoubleClick<T> {
  private last: { at: number; what: T } | null = null;

  /** A click on `what` at `now`: true when it completes a double click (which is then forgotten). */
  click(what: T, now: number): boolean {
    const last = this.last;
    if (last !== null && last.what === what && now - last.at < DOUBLE_CLICK_MS) {
      this.last = null;
      return true;
    }
    this.last = { at: now, what };
    return false;
  }
}
