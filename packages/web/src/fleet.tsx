/**
 * The fleet page: several agents as cards, each polled for metrics every
 * 2 s (no process lists: a card shows totals). The URLs are kept in
 * localStorage, their tokens in sessionStorage. An agent on another origin
 * refuses the page unless started with --allow-origin, and the card says so.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { formatBytes, formatPercent } from "../../tui/src/format.js";
import { reachable, storedToken, storeToken } from "./auth.js";
import { Sparkline } from "./charts.js";
import { hostOf, httpBase, normalizeAgentUrl, share, WatchedAgent } from "./model.js";

const FLEET_KEY = "socktop.fleet";
export const FLEET_INTERVALS = { metricsMs: 2000, processesMs: 3_600_000, disksMs: 3_600_000 };

export function loadFleet(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(FLEET_KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((u): u is string => typeof u === "string") : [];
  } catch {
    return [];
  }
}

function saveFleet(urls: readonly string[]): void {
  try {
    localStorage.setItem(FLEET_KEY, JSON.stringify(urls));
  } catch {
    // Storage disabled: the list lasts as long as the page.
  }
}

/** Why a card's agent cannot be reached, in the words the user needs. */
export async function diagnoseRemote(url: string, error: unknown): Promise<string | null> {
  if ((error as { code?: unknown } | null)?.code !== "CONNECTION_FAILED") return null;
  const base = httpBase(url);
  const sameOrigin = new URL(base).host === location.host;
  if (!(await reachable(base))) return `no agent answers at ${hostOf(url)}`;
  if (sameOrigin) return `the agent at ${hostOf(url)} refused the connection: wrong or missing token?`;
  return `the agent at ${hostOf(url)} refused this page: start it with --allow-origin ${location.origin} (or check its token)`;
}

export function agentHash(url: string): string {
  return `#/agent/${encodeURIComponent(url)}`;
}

export function Fleet({ localUrl, onChange, now }: { localUrl: string; onChange: () => void; now: number }) {
  const [urls, setUrls] = useState<string[]>(() => {
    const saved = loadFleet();
    return saved.length > 0 ? saved : [localUrl];
  });
  const [error, setError] = useState<string | null>(null);
  const agents = useRef(new Map<string, WatchedAgent>());

  // One watcher per card, started and stopped with the list.
  useEffect(() => {
    const map = agents.current;
    for (const url of urls) {
      if (map.has(url)) continue;
      const a = new WatchedAgent({
        url,
        token: storedToken(url),
        intervals: FLEET_INTERVALS,
        diagnose: (e) => diagnoseRemote(url, e),
        onChange,
      });
      map.set(url, a);
      a.start();
    }
    for (const [url, a] of map) {
      if (!urls.includes(url)) {
        void a.stop();
        map.delete(url);
      }
    }
  }, [urls]);
  useEffect(() => () => {
    for (const a of agents.current.values()) void a.stop();
    agents.current.clear();
  }, []);

  const add = (e: Event): void => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const urlInput = form.elements.namedItem("url") as HTMLInputElement;
    const tokenInput = form.elements.namedItem("token") as HTMLInputElement;
    const url = normalizeAgentUrl(urlInput.value);
    if (url === null) {
      setError("not an agent address: type host:port, http://host:port or ws://host:port/ws (the token goes in its own field)");
      return;
    }
    setError(null);
    if (tokenInput.value !== "") storeToken(url, tokenInput.value);
    const next = urls.includes(url) ? urls : [...urls, url];
    saveFleet(next);
    setUrls(next);
    urlInput.value = "";
    tokenInput.value = "";
  };

  const remove = (url: string): void => {
    const next = urls.filter((u) => u !== url);
    saveFleet(next);
    setUrls(next);
  };

  return (
    <div class="dash fleet">
      <header class="top">
        <a class="brand" href="#/">
          socktop
        </a>
        <span class="host">Fleet</span>
        <span class="muted">{urls.length} agents</span>
        <nav>
          <a href="#/">This agent</a>
        </nav>
      </header>
      <main class="cards">
        {urls.map((url) => {
          const a = agents.current.get(url);
          const m = a?.state.metrics ?? null;
          const phase = a?.state.conn.phase ?? "connecting";
          const problem = phase !== "open" ? (a?.errorText ?? null) : null;
          const memPct = share(m?.mem_used, m?.mem_total);
          return (
            <article class={`card${a?.state.stale ? " stale" : ""}`} key={url} data-url={url}>
              <a class="cardlink" href={agentHash(url)} aria-label={`Open ${m?.hostname ?? hostOf(url)}`}>
                <h2 data-testid="card-host">{m?.hostname ?? hostOf(url)}</h2>
                <p class="muted small">{hostOf(url)}</p>
                <p class={`state s-${phase}`}>
                  ● {phase === "open" ? `connected${a?.state.conn.rttMs != null ? ` ${a.state.conn.rttMs} ms` : ""}` : phase === "connecting" ? "connecting…" : phase === "stopped" ? "not retrying" : "retrying"}
                </p>
                {m ? (
                  <p>
                    CPU <b data-testid="card-cpu">{formatPercent(m.cpu_total)}</b> · Mem <b>{formatPercent(memPct, 0)}</b>{" "}
                    <span class="muted">{formatBytes(m.mem_used)}</span>
                  </p>
                ) : null}
                <Sparkline values={a?.state.cpuHistory.tail(60) ?? []} stamp={a?.state.metricsAt ?? null} label="CPU history" />
                {problem !== null ? (
                  <p class="warn" role="alert" data-testid="card-error">
                    {problem}
                  </p>
                ) : null}
              </a>
              <button type="button" class="link small" onClick={() => remove(url)} aria-label={`Remove ${hostOf(url)}`}>
                remove
              </button>
            </article>
          );
        })}
      </main>
      <form class="addform panel" onSubmit={add}>
        <h2>Add an agent</h2>
        <label>
          address <input name="url" placeholder="host:3000 or wss://host:8443/ws" required autocomplete="off" />
        </label>
        <label>
          token <input name="token" type="password" placeholder="(if it has one)" autocomplete="off" />
        </label>
        <button type="submit">Add</button>
        {error !== null ? (
          <p class="warn" role="alert">
            {error}
          </p>
        ) : null}
        <p class="muted small">
          An agent on another address must allow this page: start it with <code>--allow-origin {location.origin}</code>. Addresses are kept in this
          browser (localStorage); tokens only for this tab (sessionStorage). <span class="clock">{new Date(now).toLocaleTimeString()}</span>
        </p>
      </form>
    </div>
  );
}
