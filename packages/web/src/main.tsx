/**
 * The page: routes (#/ this agent, #/fleet, #/agent/<ws url>), the token
 * question, and a render loop that redraws at most once per animation frame
 * however many replies arrive.
 */
import { render } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import "./style.css";
import { checkToken, storedToken, storeToken } from "./auth.js";
import { Dashboard } from "./dashboard.js";
import { diagnoseRemote, Fleet } from "./fleet.js";
import { hostOf, httpBase, WatchedAgent } from "./model.js";

/** The /ws of the agent that served this page: same host, wss when the page came over https. */
function localAgentUrl(): string {
  const dir = location.pathname.replace(/[^/]*$/, "");
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${dir}ws`;
}

type Route = { kind: "fleet" } | { kind: "agent"; url: string };

function parseRoute(hash: string, local: string): Route {
  if (hash === "#/fleet") return { kind: "fleet" };
  if (hash.startsWith("#/agent/")) {
    try {
      return { kind: "agent", url: decodeURIComponent(hash.slice("#/agent/".length)) };
    } catch {
      return { kind: "agent", url: local };
    }
  }
  return { kind: "agent", url: local };
}

/** Redraws once per frame at most, plus once a second for clocks and countdowns. */
function useRedraw(): [number, () => void] {
  const [now, setNow] = useState(Date.now());
  const schedule = useMemo(() => {
    let pending = false;
    return () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        setNow(Date.now());
      });
    };
  }, []);
  useEffect(() => {
    const t = setInterval(schedule, 1000);
    return () => clearInterval(t);
  }, []);
  return [now, schedule];
}

type Gate = { kind: "checking" } | { kind: "token"; wrong: boolean; reason: string } | { kind: "refused"; reason: string } | { kind: "open"; token: string | null };

function AgentPage({ url, local }: { url: string; local: boolean }) {
  const [now, redraw] = useRedraw();
  const [gate, setGate] = useState<Gate>({ kind: "checking" });
  const [help, setHelp] = useState(false);
  const base = httpBase(url);

  // The agent that served the page can say whether a token is right before
  // anything connects; an agent elsewhere is simply tried.
  const check = useCallback(
    async (token: string | null) => {
      if (!local) {
        setGate({ kind: "open", token });
        return;
      }
      const r = await checkToken(base, token);
      if (r.ok === false && r.status === 401) {
        setGate({
          kind: "token",
          wrong: token !== null,
          reason: token !== null ? "The agent refused this token: it is wrong. Check SOCKTOP_TOKEN on the agent." : "This agent requires a token (its SOCKTOP_TOKEN).",
        });
      } else if (r.ok === false) setGate({ kind: "refused", reason: r.reason });
      else setGate({ kind: "open", token });
    },
    [url],
  );
  useEffect(() => {
    setGate({ kind: "checking" });
    void check(storedToken(url));
  }, [url]);

  const agent = useMemo(() => {
    if (gate.kind !== "open") return null;
    return new WatchedAgent({
      url,
      token: gate.token,
      onChange: redraw,
      diagnose: async (error) => {
        if (!local) return diagnoseRemote(url, error);
        if ((error as { code?: unknown } | null)?.code !== "CONNECTION_FAILED") return null;
        // The handshake failed: the token may have changed under us (agent restarted with another).
        const r = await checkToken(base, gate.token);
        if (r.ok === false && r.status === 401) {
          setGate({ kind: "token", wrong: gate.token !== null, reason: "The agent refused the token (it may have been restarted with another one)." });
        }
        return null;
      },
    });
  }, [gate, url]);
  useEffect(() => {
    if (agent === null) return;
    agent.start();
    return () => void agent.stop();
  }, [agent]);

  if (gate.kind === "checking") return <p class="center muted">connecting to {hostOf(url)}…</p>;
  if (gate.kind === "refused") {
    return (
      <p class="center warn" role="alert">
        {gate.reason}
      </p>
    );
  }
  if (gate.kind === "token") {
    return (
      <form
        class="panel tokenform"
        onSubmit={(e) => {
          e.preventDefault();
          const input = (e.currentTarget as HTMLFormElement).elements.namedItem("token") as HTMLInputElement;
          storeToken(url, input.value);
          setGate({ kind: "checking" });
          void check(input.value === "" ? null : input.value);
        }}
      >
        <h1>socktop · {hostOf(url)}</h1>
        <p class={gate.wrong ? "warn" : ""} role={gate.wrong ? "alert" : undefined} data-testid="token-message">
          {gate.reason}
        </p>
        <label>
          Token <input name="token" type="password" autocomplete="off" autofocus />
        </label>
        <button type="submit">Connect</button>
        <p class="muted small">Kept for this tab only (sessionStorage), never put in the page's address.</p>
      </form>
    );
  }
  return agent === null ? null : <Dashboard agent={agent} url={url} help={help} setHelp={setHelp} onChange={redraw} now={now} />;
}

function FleetPage({ local }: { local: string }) {
  const [now, redraw] = useRedraw();
  return <Fleet localUrl={local} onChange={redraw} now={now} />;
}

function App() {
  const local = useMemo(localAgentUrl, []);
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = (): void => setHash(location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  const route = parseRoute(hash, local);
  if (route.kind === "fleet") return <FleetPage local={local} />;
  return <AgentPage key={route.url} url={route.url} local={route.url === local} />;
}

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
