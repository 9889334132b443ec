/**
 * The process table, virtualised: whatever the number of processes, only the
 * rows in view (plus one) are in the DOM, positioned inside a spacer as tall
 * as the whole list, so the browser's own scrolling, scrollbar and wheel
 * work. Sorting, filtering and the selection (kept on the pid while rows
 * move) are the TUI's ProcessTable.
 */
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { ProcessEntry } from "@socktop/protocol";
import { formatBytes } from "../../tui/src/format.js";
import type { ProcessTable as Table, SortKey } from "../../tui/src/state.js";

export const ROW_HEIGHT = 24;

const COLUMNS: ReadonlyArray<{ key: SortKey; label: string; cls: string }> = [
  { key: "pid", label: "PID", cls: "c-pid" },
  { key: "name", label: "Name", cls: "c-name" },
  { key: "cpu", label: "CPU%", cls: "c-num" },
  { key: "mem", label: "Mem", cls: "c-num" },
  { key: "mem%", label: "Mem%", cls: "c-num c-memp" },
];

export interface ProcessTableProps {
  table: Table;
  memTotal: number;
  processCount: number | null;
  stale: boolean;
  onOpen: (p: ProcessEntry) => void;
  onChange: () => void;
  filterRef: { current: HTMLInputElement | null };
}

export function ProcessTableView({ table, memTotal, processCount, stale, onOpen, onChange, filterRef }: ProcessTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = table.rows();
  const selected = table.selectedIndex();

  // The visible window follows the scroll position; a keyboard move changes
  // table.scroll (the TUI's ensureVisible), which is pushed back to scrollTop.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    const page = Math.max(1, Math.floor(el.clientHeight / ROW_HEIGHT));
    table.setPageSize(page);
    const want = table.scroll * ROW_HEIGHT;
    if (Math.abs(el.scrollTop - want) >= ROW_HEIGHT) el.scrollTop = want;
  });

  useEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    const observer = new ResizeObserver(() => onChange());
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onScroll = (): void => {
    const el = scroller.current;
    if (el === null) return;
    const first = Math.floor(el.scrollTop / ROW_HEIGHT);
    if (first !== table.scroll) {
      table.scroll = Math.max(0, Math.min(first, table.maxScroll()));
      onChange();
    }
  };

  const first = table.scroll;
  const visible = rows.slice(first, first + table.pageSize + 1);
  const sortMark = table.descending ? "▼" : "▲";

  return (
    <section class={`panel procs${stale ? " stale" : ""}`} aria-label="Processes">
      <div class="panel-head">
        <h2>
          Processes <span class="muted">{processCount ?? table.total}</span>
        </h2>
        <label class="filter">
          <span class="sr-only">Filter by name or PID</span>
          <input
            ref={filterRef}
            type="search"
            placeholder="/ filter name or PID"
            value={table.filter}
            onInput={(e) => {
              table.setFilter((e.currentTarget as HTMLInputElement).value);
              onChange();
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                table.acceptFilter();
                (e.currentTarget as HTMLInputElement).blur();
                onChange();
              } else if (e.key === "Escape") {
                table.clearFilter();
                (e.currentTarget as HTMLInputElement).blur();
                onChange();
              }
              e.stopPropagation();
            }}
          />
        </label>
      </div>
      <div class="prow phead" role="row">
        {COLUMNS.map((c) => (
          <button
            type="button"
            class={`${c.cls}${table.sortKey === c.key ? " sorted" : ""}`}
            aria-sort={table.sortKey === c.key ? (table.descending ? "descending" : "ascending") : "none"}
            data-sort={c.key}
            onClick={() => {
              table.sortBy(c.key);
              onChange();
            }}
          >
            {table.sortKey === c.key ? `${sortMark}${c.label}` : c.label}
          </button>
        ))}
      </div>
      <div
        class="pscroll"
        ref={scroller}
        onScroll={onScroll}
        role="grid"
        aria-rowcount={rows.length}
        aria-label="process list"
        tabIndex={0}
      >
        <div class="pspacer" style={{ height: `${rows.length * ROW_HEIGHT}px` }}>
          {visible.map((p, i) => {
            const index = first + i;
            const memPct = memTotal > 0 ? (p.mem_bytes / memTotal) * 100 : 0;
            return (
              <div
                key={p.pid}
                class={`prow${index === selected ? " sel" : ""}`}
                role="row"
                aria-rowindex={index + 1}
                aria-selected={index === selected}
                data-pid={p.pid}
                style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
                onClick={() => {
                  table.selectIndex(index);
                  onChange();
                }}
                onDblClick={() => onOpen(p)}
              >
                <span class="c-pid">{p.pid}</span>
                <span class="c-name" title={p.name}>
                  {p.name}
                </span>
                <span class="c-num">{p.cpu_usage.toFixed(1)}</span>
                <span class="c-num">{formatBytes(p.mem_bytes)}</span>
                <span class="c-num c-memp">{memPct.toFixed(1)}</span>
              </div>
            );
          })}
        </div>
        {rows.length === 0 ? <p class="empty">{table.total === 0 ? "waiting for the process list…" : "no process matches the filter"}</p> : null}
      </div>
    </section>
  );
}
