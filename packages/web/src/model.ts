/**
 * One watched agent: the connection, the polling and everything shown about
 * it. The rules are the TUI's own (its Session for connecting and polling,
 * on the connector's reconnection; its AppState for histories, rates and the process table; its
 * DetailsState for the details view), imported from the TUI's source so
 * that the two clients cannot drift apart. Only the transport differs: the
 * connector's browser entry.
 */
import { connect, type AgentConnection } from "@socktop/connector/browser";
import { DEFAULT_INTERVALS, Session, type Intervals, type SessionStatus } from "../../tui/src/session.js";
import { AppState } from "../../tui/src/state.js";
import { DetailsState } from "../../tui/src/details-state.js";

export const DETAILS_INTERVAL_MS = 1000;
export const JOURNAL_INTERVAL_MS = 5000;

/** What the page knows about why it cannot get data. */
export type AuthProblem = "missing" | "wrong" | "origin" | null;

export interface WatchOptions {
  url: string;
  token: string | null;
  intervals?: Intervals;
  /** Called after a connection failure; may find out more (e.g. that the token is wrong) and stop the session. */
  diagnose?: (error: unknown) => Promise<string | null>;
  onChange: () => void;
}

export class WatchedAgent {
  readonly state = new AppState();
  status: SessionStatus;
  details: DetailsState | null = null;
  /** A diagnosis that replaces the generic error (e.g. "refused: needs --allow-origin …"). */
  diagnosis: string | null = null;
  private readonly session: Session;
  private connection: AgentConnection | null = null;
  private lastConnectedAt: number | null = null;
  private detailsTimers: number[] = [];
  private detailsGeneration = 0;
  private stopped = false;

  constructor(private readonly options: WatchOptions) {
    this.session = new Session({
      source: async () => {
        // The connector retries (the first connection too), as in the TUI: one retry policy.
        const c = await connect(options.url, { retryInitialConnect: true, ...(options.token ? { token: options.token } : {}) });
        this.connection = c;
        return c;
      },
      intervals: options.intervals ?? { ...DEFAULT_INTERVALS },
      listener: {
        status: (s) => this.onStatus(s),
        metrics: (m, at) => {
          this.state.applyMetrics(m, at);
          this.diagnosis = null;
          options.onChange();
        },
        processes: (p, at) => {
          this.state.applyProcesses(p, at);
          options.onChange();
        },
        disks: (d, at) => {
          this.state.applyDisks(d, at);
          options.onChange();
        },
      },
    });
    this.status = { ...this.session.status };
  }

  start(): void {
    this.session.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeDetails();
    await this.session.stop();
  }

  retryNow(): void {
    this.session.retryNow();
  }

  /** The header's words for the link. */
  get errorText(): string | null {
    if (this.diagnosis !== null) return this.diagnosis;
    if (this.status.error === null || this.status.error === undefined) return null;
    return describeLinkError(this.status.error, hostOf(this.options.url));
  }

  private onStatus(s: SessionStatus): void {
    this.status = s;
    const st = this.state;
    st.conn.phase = s.phase;
    st.conn.rttMs = s.rttMs;
    st.conn.retryAt = s.retryAt;
    st.conn.attempt = s.attempt;
    // In a browser the agent identifies itself with its first frame, after the link opened (the session's info event).
    if (s.info !== null) {
      st.conn.agentVersion = s.info.agentVersion;
      st.conn.protocolVersion = s.info.protocolVersion;
    }
    if (s.phase === "open" && s.connectedAt !== this.lastConnectedAt) {
      // A new link (maybe a restarted agent): the counters have no baseline.
      this.lastConnectedAt = s.connectedAt;
      st.resetRates();
      if (this.details !== null) this.pollDetails();
    }
    if (s.phase === "retrying" && this.options.diagnose !== undefined && !this.stopped) {
      const error = s.error;
      void this.options.diagnose(error).then((text) => {
        if (this.status.error === error) {
          this.diagnosis = text;
          this.options.onChange();
        }
      });
    }
    this.options.onChange();
  }

  /** Opens the details of `pid` and polls them (details every second, journal every 5 s) while open. */
  openDetails(pid: number, name: string): void {
    this.closeDetails();
    this.details = new DetailsState(pid, name);
    this.pollDetails();
    this.options.onChange();
  }

  closeDetails(): void {
    this.detailsGeneration++;
    for (const t of this.detailsTimers) clearTimeout(t);
    this.detailsTimers = [];
    this.details = null;
  }

  private pollDetails(): void {
    const d = this.details;
    if (d === null) return;
    const gen = ++this.detailsGeneration;
    for (const t of this.detailsTimers) clearTimeout(t);
    this.detailsTimers = [];
    const loop = (intervalMs: number, once: (c: AgentConnection) => Promise<boolean>): void => {
      const run = async (): Promise<void> => {
        if (gen !== this.detailsGeneration) return;
        const c = this.session.client === null ? null : this.connection;
        let goOn = true;
        if (c !== null) goOn = await once(c);
        if (gen !== this.detailsGeneration) return;
        this.options.onChange();
        if (goOn) this.detailsTimers.push(window.setTimeout(() => void run(), intervalMs));
      };
      void run();
    };
    loop(DETAILS_INTERVAL_MS, async (c) => {
      try {
        return d.applyDetails(await c.processMetrics(d.pid), Date.now());
      } catch (error) {
        return d.applyDetailsError(error, Date.now());
      }
    });
    loop(JOURNAL_INTERVAL_MS, async (c) => {
      if (d.exited) return false;
      try {
        d.applyJournal(await c.journalEntries(d.pid), Date.now());
        return true;
      } catch (error) {
        return d.applyJournalError(error);
      }
    });
  }
}

/** host:port of a ws(s) URL, for messages. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The http(s) URL of the agent behind a ws(s) URL (for /healthz and /web/auth). */
export function httpBase(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === "wss:" ? "https:" : "http:";
  u.pathname = u.pathname.replace(/ws\/?$/, "");
  u.search = "";
  u.hash = "";
  return u.toString();
}

/**
 * Normalises what a user typed for an agent: `host:3000`, `http://host:3000`,
 * `ws://host:3000/ws` all become `ws://host:3000/ws` (wss for https/wss).
 * Null when it is not a URL.
 */
export function normalizeAgentUrl(input: string): string | null {
  let text = input.trim();
  if (text === "") return null;
  if (!/^[a-z]+:\/\//i.test(text)) text = `ws://${text}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return null;
  }
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  if (u.protocol !== "ws:" && u.protocol !== "wss:") return null;
  if (u.username || u.password || u.searchParams.has("token")) return null;
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/ws";
  u.hash = "";
  return u.toString();
}

/** used / total in percent; 0 when either is unknown (a collector failed: the agent sends null) or total is 0. */
export function share(used: number | null | undefined, total: number | null | undefined): number {
  return used != null && total != null && total > 0 ? (used / total) * 100 : 0;
}

/**
 * The page's words for a link failure, by the connector's stable error code.
 * A browser is not told why a handshake failed (refused, wrong token, foreign
 * origin, untrusted certificate all look alike), so that case names them all;
 * the page's diagnosis (see auth.ts) replaces it when it can tell.
 */
export function describeLinkError(error: unknown, target: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "CONNECTION_FAILED":
      return `cannot connect to ${target}: the agent is down, or refuses this page (token, origin or certificate)`;
    case "TIMEOUT":
      return `${target} did not answer in time`;
    case "CONNECTION_CLOSED":
    case "NOT_CONNECTED":
      return `connection to ${target} lost`;
    case "UNSUPPORTED_PROTOCOL":
      return `incompatible agent at ${target}: ${error instanceof Error ? error.message : ""}`;
    case "PROTOCOL_ERROR":
    case "DECODE_ERROR":
      return `unexpected reply from ${target}`;
    default:
      return `cannot connect to ${target}${error instanceof Error ? `: ${error.message}` : ""}`;
  }
}
