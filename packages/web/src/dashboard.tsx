/**
 * One agent's dashboard: header, CPU, cores, memory, GPUs, disks, network,
 * processes, details and help; the TUI's keys.
 */
import { useEffect, useRef } from "preact/hooks";
import type { ProcessEntry } from "@socktop/protocol";
import { formatBytes, formatClock, formatPercent, formatRate, formatTemp } from "../../tui/src/format.js";
import { HistoryChart, Sparkline } from "./charts.js";
import { DetailsView } from "./details.js";
import { WEB_KEY_TABLE } from "./keys.js";
import { hostOf, share, type WatchedAgent } from "./model.js";
import { ProcessTableView } from "./process-table.js";

const CHART_SAMPLES = 240;

function Bar({ pct, label }: { pct: number; label: string }) {
  const v = Math.max(0, Math.min(100, Number.isFinite(pct) ? pct : 0));
  return (
    <div class="bar" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(v)} aria-label={label}>
      <div class={`fill${v >= 90 ? " hot" : v >= 70 ? " warm" : ""}`} style={{ width: `${v}%` }} />
    </div>
  );
}

export interface DashboardProps {
  agent: WatchedAgent;
  url: string;
  help: boolean;
  setHelp: (open: boolean) => void;
  onChange: () => void;
  now: number;
}

export function Dashboard({ agent, url, help, setHelp, onChange, now }: DashboardProps) {
  const st = agent.state;
  const m = st.metrics;
  const filterRef = useRef<HTMLInputElement | null>(null);
  const stale = st.stale;
  const open = (p: ProcessEntry): void => agent.openDetails(p.pid, p.name);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const target = e.target as HTMLElement | null;
      if (target !== null && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
      const t = st.table;
      const k = e.key;
      if (help) {
        if (k === "Escape" || k === "h" || k === "?") setHelp(false);
        else return;
      } else if (agent.details !== null) {
        if (k === "Escape") agent.closeDetails();
        else return;
      } else if (k === "h" || k === "?") setHelp(true);
      else if (k === "ArrowDown" || k === "j") t.moveSelection(1);
      else if (k === "ArrowUp" || k === "k") t.moveSelection(-1);
      else if (k === "PageDown") t.moveSelection(t.pageSize);
      else if (k === "PageUp") t.moveSelection(-t.pageSize);
      else if (k === "Home" || k === "g") t.selectFirst();
      else if (k === "End" || k === "G") t.selectLast();
      else if (k === "Enter") {
        const p = t.selected();
        if (p === null) return;
        open(p);
      } else if (k === "/") filterRef.current?.focus();
      else if (k === "c" || k === "Escape") t.clearFilter();
      else if (k === "P") t.sortBy("cpu");
      else if (k === "M") t.sortBy("mem");
      else if (k === "N") t.sortBy("pid");
      else if (k === "A") t.sortBy("name");
      else if (k === ">") t.cycleSort(1);
      else if (k === "<") t.cycleSort(-1);
      else if (k === "r") t.reverse();
      else if (k === "R") agent.retryNow();
      else if (k === "f") location.hash = "#/fleet";
      else return;
      e.preventDefault();
      onChange();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [agent, help]);

  const phase = st.conn.phase;
  const stateText =
    phase === "open"
      ? `connected${st.conn.rttMs !== null ? ` ${st.conn.rttMs} ms` : ""}`
      : phase === "connecting"
        ? "connecting…"
        : phase === "stopped"
          ? "not retrying"
          : `reconnecting${st.conn.retryAt ? ` in ${Math.max(0, Math.ceil((st.conn.retryAt - now) / 1000))} s` : ""}`;
  const cores = m?.cpu_per_core ?? [];
  const memPct = share(m?.mem_used, m?.mem_total);
  const swapPct = share(m?.swap_used, m?.swap_total);
  const cpuValues = st.cpuHistory.tail(CHART_SAMPLES);
  const error = agent.errorText;

  return (
    <div class={`dash${stale ? " is-stale" : ""}`}>
      <header class="top">
        <a class="brand" href="#/" aria-label="socktop: this agent">
          socktop
        </a>
        <span class="host" data-testid="hostname">
          {m?.hostname ?? hostOf(url)}
        </span>
        <span class="muted">{st.conn.agentVersion ? `agent ${st.conn.agentVersion}` : st.conn.protocolVersion === 1 ? "original agent" : ""}</span>
        <span class={`state s-${phase}`} data-testid="state" role="status">
          ● {stateText}
        </span>
        <span class="muted">{st.processCount !== null ? `${st.processCount} procs` : ""}</span>
        <span class="muted clock">{formatClock(new Date(now))}</span>
        <nav>
          <a href="#/fleet">Fleet</a>
          <button type="button" onClick={() => setHelp(true)} aria-label="Help (h)">
            ?
          </button>
        </nav>
      </header>
      {phase !== "open" && error !== null ? (
        <div class="banner" role="alert" data-testid="banner">
          <b>{error}</b>
          {stale && st.lastDataAt !== null ? <span> — showing data from {formatClock(new Date(st.lastDataAt))}</span> : null}{" "}
          <button type="button" onClick={() => agent.retryNow()}>
            Retry now (R)
          </button>
        </div>
      ) : null}
      <main class="grid">
        <div class="side">
        <section class={`panel cpu${stale ? " stale" : ""}`} aria-label="CPU">
          <div class="panel-head">
            <h2>
              CPU <span data-testid="cpu-total">{m ? formatPercent(m.cpu_total) : "–"}</span>
            </h2>
            <span class="muted">{m?.cpu_temp_c != null ? formatTemp(m.cpu_temp_c) : ""}</span>
          </div>
          <HistoryChart values={cpuValues} stamp={st.metricsAt} window={CHART_SAMPLES} stepSeconds={0.5} height={140} label="CPU" />
        </section>
        <section class={`panel cores${stale ? " stale" : ""}`} aria-label="CPU cores">
          <div class="panel-head">
            <h2>
              Cores <span class="muted">{cores.length}</span>
            </h2>
          </div>
          <div class="corelist">
            {cores.map((c, i) => (
              <div class="core" key={i}>
                <span class="muted">c{i}</span>
                <Bar pct={c} label={`core ${i}`} />
                <span class="num">{Math.round(c)}%</span>
              </div>
            ))}
          </div>
        </section>
        <section class={`panel mem${stale ? " stale" : ""}`} aria-label="Memory">
          <div class="panel-head">
            <h2>Memory</h2>
          </div>
          <div class="meter">
            <span>Mem</span>
            <Bar pct={memPct} label="memory used" />
            <span class="num" data-testid="mem">
              {m ? `${formatBytes(m.mem_used)} / ${formatBytes(m.mem_total)}` : "–"}
            </span>
          </div>
          <div class="meter">
            <span>Swap</span>
            <Bar pct={swapPct} label="swap used" />
            <span class="num">{m ? (m.swap_total === 0 ? "none" : `${formatBytes(m.swap_used)} / ${formatBytes(m.swap_total)}`) : "–"}</span>
          </div>
          {m?.gpus && m.gpus.length > 0 ? (
            <div class="gpus">
              <h3>GPUs</h3>
              {m.gpus.map((g, i) => (
                <div class="meter" key={i}>
                  <span title={g.name}>{g.name}</span>
                  <Bar pct={g.usage ?? 0} label={`${g.name} usage`} />
                  <span class="num">
                    {g.usage != null ? `${Math.round(g.usage)}%` : "–"}
                    {g.memory_total ? ` ${formatBytes(g.memory_used ?? 0)}/${formatBytes(g.memory_total)}` : ""}
                    {g.temp_c != null ? ` ${formatTemp(g.temp_c)}` : ""}
                  </span>
                </div>
              ))}
            </div>
          ) : (
            <p class="muted small">{m ? "no GPU reported" : ""}</p>
          )}
        </section>
        <section class={`panel disks${stale ? " stale" : ""}`} aria-label="Disks">
          <div class="panel-head">
            <h2>
              Disks <span class="muted">{st.disks?.length ?? ""}</span>
            </h2>
          </div>
          {(st.disks ?? []).map((d) => {
            const used = d.total > 0 ? (1 - d.available / d.total) * 100 : 0;
            return (
              <div class={`meter${d.is_partition ? " part" : ""}`} key={d.name}>
                <span title={d.name}>{d.name}</span>
                <Bar pct={used} label={`${d.name} used`} />
                <span class="num">
                  {Math.round(used)}% {formatBytes(d.total - d.available)}/{formatBytes(d.total)}
                  {d.temperature != null ? ` ${formatTemp(d.temperature)}` : ""}
                </span>
              </div>
            );
          })}
        </section>
        <section class={`panel net${stale ? " stale" : ""}`} aria-label="Network">
          <div class="panel-head">
            <h2>
              Network <span class="muted">{m?.networks.length ?? ""} if</span>
            </h2>
          </div>
          <div class="netrow">
            <span>↓</span>
            <span class="num" data-testid="rx">
              {formatRate(st.rates?.rx)}
            </span>
            <Sparkline values={st.rxHistory.tail(120)} stamp={st.metricsAt} label="download rate" />
          </div>
          <div class="netrow">
            <span>↑</span>
            <span class="num">{formatRate(st.rates?.tx)}</span>
            <Sparkline values={st.txHistory.tail(120)} stamp={st.metricsAt} label="upload rate" />
          </div>
        </section>
        </div>
        {agent.details !== null ? (
          <DetailsView
            d={agent.details}
            stale={stale}
            onClose={() => {
              agent.closeDetails();
              onChange();
            }}
            onOpen={(pid, name) => agent.openDetails(pid, name)}
            onChange={onChange}
          />
        ) : (
          <ProcessTableView
            table={st.table}
            memTotal={m?.mem_total ?? 0}
            processCount={st.processCount}
            stale={stale}
            onOpen={open}
            onChange={onChange}
            filterRef={filterRef}
          />
        )}
      </main>
      {help ? <HelpPanel onClose={() => setHelp(false)} /> : null}
      <footer class="keys muted">h help · / filter · P M N A sort · ↑↓ select · Enter details · f fleet</footer>
    </div>
  );
}

export function HelpPanel({ onClose }: { onClose: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.focus(), []);
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-label="Keys" ref={box} tabIndex={-1}>
      <div class="panel">
        <div class="panel-head">
          <h2>Keys</h2>
          <button type="button" class="close" onClick={onClose} aria-label="Close (Esc)">
            ✕
          </button>
        </div>
        <table class="list">
          <tbody>
            {WEB_KEY_TABLE.map((k) => (
              <tr key={k.keys}>
                <th>
                  <kbd>{k.keys}</kbd>
                </th>
                <td>{k.action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted small">Click a column header to sort, a row to select it, double-click for details.</p>
      </div>
    </div>
  );
}
