/**
 * Process details: CPU history, memory and I/O rates, metadata, threads
 * (sortable), children (open one) and the journal, refreshed while open.
 * The state and its rules are the TUI's DetailsState.
 */
import { useEffect, useRef } from "preact/hooks";
import type { DetailsState } from "../../tui/src/details-state.js";
import { formatBytes, formatCpuTime, formatDuration, formatRate, formatSince } from "../../tui/src/format.js";
import { DETAILS_INTERVAL_MS } from "./model.js";
import { HistoryChart } from "./charts.js";

export interface DetailsProps {
  d: DetailsState;
  stale: boolean;
  onClose: () => void;
  onOpen: (pid: number, name: string) => void;
  onChange: () => void;
}

const PRIORITY_CLASS: Record<string, string> = {
  Emergency: "p-err",
  Alert: "p-err",
  Critical: "p-err",
  Error: "p-err",
  Warning: "p-warn",
  Notice: "p-note",
  Info: "",
  Debug: "muted",
};

export function DetailsView({ d, stale, onClose, onOpen, onChange }: DetailsProps) {
  const box = useRef<HTMLElement>(null);
  useEffect(() => {
    box.current?.focus();
  }, [d.pid]);
  const p = d.details;
  const now = new Date();
  const stats = d.cpuStats(120);
  const threads = d.threads();
  const children = d.children();
  const journal = d.journalEntries();
  const selectedChild = d.selectedChildPid;

  return (
    <section
      class={`panel details${stale ? " stale" : ""}`}
      ref={box}
      tabIndex={-1}
      role="dialog"
      aria-modal="false"
      aria-label={`Process ${d.pid} details`}
      onKeyDown={(e) => {
        const k = e.key;
        if (k === "Escape" || k === "q") onClose();
        else if (k === "p" && p?.parent_pid) onOpen(p.parent_pid, String(p.parent_pid));
        else if (k === "s") d.toggleThreadSort();
        else if (k === "r") d.reverseThreads();
        else if (k === "ArrowDown" || k === "j") {
          d.setFocus("children");
          d.move(1);
        } else if (k === "ArrowUp" || k === "k") {
          d.setFocus("children");
          d.move(-1);
        } else if (k === "Enter") {
          const c = d.selectedChild();
          if (c !== null) onOpen(c.pid, c.name);
        } else return;
        e.preventDefault();
        e.stopPropagation();
        onChange();
      }}
    >
      <div class="panel-head">
        <h2>
          <span class="dname">{d.name}</span> <span class="muted">PID {d.pid}</span>{" "}
          <span class="badge">{d.exited ? "exited" : (p?.status ?? "…")}</span>
        </h2>
        <button type="button" class="close" onClick={onClose} aria-label="Back to the process table (Esc)">
          ✕
        </button>
      </div>
      {d.unavailable !== null ? <p class="warn">{d.unavailable}</p> : null}
      {d.exited ? <p class="warn">The process exited{d.exitedAt ? ` at ${formatSince(new Date(d.exitedAt), now)}` : ""}; its last data stays.</p> : null}
      {d.detailsError !== null ? <p class="warn">{d.detailsError}</p> : null}
      {p !== null ? (
        <dl class="meta">
          <dt>cmd</dt>
          <dd class="cmd">{p.command || "(kernel thread)"}</dd>
          <dt>user</dt>
          <dd>
            {p.user_name ?? "?"} ({p.user_id ?? "?"})
          </dd>
          <dt>parent</dt>
          <dd>
            {p.parent_pid ? (
              <button type="button" class="link" onClick={() => onOpen(p.parent_pid!, String(p.parent_pid))}>
                {p.parent_pid}
              </button>
            ) : (
              "–"
            )}
          </dd>
          <dt>started</dt>
          <dd>
            {p.start_time === null
              ? "n/a"
              : `${formatSince(new Date(p.start_time * 1000), now)} (up ${formatDuration(now.getTime() - p.start_time * 1000)})`}
          </dd>
          <dt>threads / fds</dt>
          <dd>
            {p.thread_count ?? "n/a"} / {p.fd_count ?? "n/a"}
          </dd>
          <dt>cwd</dt>
          <dd>{p.working_directory ?? "n/a"}</dd>
          <dt>exe</dt>
          <dd>{p.executable_path ?? "n/a"}</dd>
        </dl>
      ) : d.unavailable === null ? (
        <p class="muted">loading…</p>
      ) : null}
      <div class="dgrid">
        <div>
          <h3>
            CPU {stats.current !== null ? `${stats.current.toFixed(1)}%` : "–"}{" "}
            <span class="muted">avg {stats.average !== null ? `${stats.average.toFixed(1)}%` : "–"}</span>
          </h3>
          <HistoryChart values={stats.values} stamp={d.detailsAt} window={120} stepSeconds={DETAILS_INTERVAL_MS / 1000} height={110} label="process CPU" />
        </div>
        <div>
          <h3>Memory &amp; I/O</h3>
          <table class="kv">
            <tbody>
              <tr>
                <th>RSS</th>
                <td>{formatBytes(p?.mem_bytes)}</td>
                <th>virtual</th>
                <td>{formatBytes(p?.virtual_mem_bytes)}</td>
              </tr>
              <tr>
                <th>shared</th>
                <td>{formatBytes(p?.shared_mem_bytes)}</td>
                <th>CPU time</th>
                <td>{p && p.cpu_time_user !== null && p.cpu_time_system !== null ? formatCpuTime(p.cpu_time_user + p.cpu_time_system) : "–"}</td>
              </tr>
              <tr>
                <th>read</th>
                <td>{d.io.readable.read ? formatRate(d.io.read) : "n/a"}</td>
                <th>total</th>
                <td>{formatBytes(p?.read_bytes)}</td>
              </tr>
              <tr>
                <th>write</th>
                <td>{d.io.readable.write ? formatRate(d.io.write) : "n/a"}</td>
                <th>total</th>
                <td>{formatBytes(p?.write_bytes)}</td>
              </tr>
            </tbody>
          </table>
        </div>
      </div>
      <div class="dgrid">
        <div>
          <h3>
            Threads {threads.length}{" "}
            <button type="button" class="link" onClick={() => (d.toggleThreadSort(), onChange())}>
              by {d.threadSort === "cpu" ? "CPU time" : "TID"} {d.threadDescending ? "▼" : "▲"}
            </button>
          </h3>
          <div class="scrollbox">
            <table class="list">
              <thead>
                <tr>
                  <th>TID</th>
                  <th>name</th>
                  <th class="num">CPU time</th>
                  <th>state</th>
                </tr>
              </thead>
              <tbody>
                {threads.slice(0, 200).map((t) => (
                  <tr key={t.tid}>
                    <td>{t.tid}</td>
                    <td>{t.name}</td>
                    <td class="num">{formatCpuTime((t.cpu_time_user ?? 0) + (t.cpu_time_system ?? 0))}</td>
                    <td>{t.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        <div>
          <h3>Children {children.length}</h3>
          <div class="scrollbox">
            {children.length === 0 ? <p class="muted">none</p> : null}
            <ul class="children">
              {children.map((c) => (
                <li key={c.pid} class={c.pid === selectedChild ? "sel" : ""}>
                  <button type="button" class="link" onClick={() => onOpen(c.pid, c.name)}>
                    {c.pid} {c.name}
                  </button>{" "}
                  <span class="muted">
                    {c.cpu_usage.toFixed(1)}% {formatBytes(c.mem_bytes)}
                  </span>
                </li>
              ))}
            </ul>
          </div>
        </div>
      </div>
      <h3>Journal {d.journal ? <span class="muted">{d.journal.total_count}{d.journal.truncated ? "+" : ""}</span> : null}</h3>
      <div class="scrollbox journal">
        {d.journalError !== null ? <p class="muted">{d.journalError}</p> : null}
        {d.journal !== null && journal.length === 0 ? <p class="muted">no entries for this process</p> : null}
        {journal.map((e, i) => (
          <div key={i} class={`jline ${PRIORITY_CLASS[e.priority] ?? ""}`}>
            <span class="muted">{formatSince(new Date(e.timestamp), now)}</span> <b>{e.priority}</b> {e.message}
          </div>
        ))}
      </div>
    </section>
  );
}
