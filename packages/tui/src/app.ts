/**
 * The running TUI: input → state, session → state, state → frame → diff →
 * terminal. Frames are drawn only when something changed (data, input, the
 * clock's second, a countdown) and at most once per event-loop turn.
 */
import type { DiskInfo, Metrics, ProcessListReply } from "@socktop/protocol";
import { AppInput } from "./app-input.js";
import { CgroupsBrowser } from "./cgroups-view.js";
import { hostOf, hostPort, redactUrl } from "./format.js";
import { FrameWriter, type FrameStats } from "./frame-writer.js";
import type { Layout } from "./layout.js";
import type { Rect, Screen } from "./screen.js";
import { renderFrame } from "./render.js";
import type { RenderContext } from "./widgets.js";
import { describeConnectionError, type LinkContext } from "./connection-messages.js";
import {
  realClock,
  Session,
  type AgentClient,
  type Clock,
  type DataSource,
  type Intervals,
  type SessionStatus,
} from "./session.js";
import { AppState } from "./state.js";
import type { MouseInput, TerminalIO } from "./terminal.js";
import type { Theme } from "./theme.js";

/** A full-screen view pushed over the main screen (the process details view). */
export interface DetailsView {
  render(screen: Screen, area: Rect, ctx: RenderContext): void;
  /** Return "close" to go back to the table (selection intact). */
  handleKey(name: string, isCharacter: boolean): "handled" | "ignored" | "close";
  handleMouse?(event: MouseInput, area: Rect): void;
  dispose?(): void;
}

export interface DetailsContext {
  pid: number;
  name: string;
  /** The open connection, or null while reconnecting. */
  client(): AgentClient | null;
  /** Ask for a redraw after the view's own data changed. */
  invalidate(): void;
  /** Open another process (a child, the parent) in place of this one. */
  open(pid: number, name: string): void;
}

/** Builds the details view; without one, Enter only selects. */
export type DetailsViewFactory = (ctx: DetailsContext) => DetailsView;

export interface AppOptions {
  terminal: TerminalIO;
  source: DataSource;
  url: string;
  intervals: Intervals;
  theme: Theme;
  version: string;
  tls: boolean;
  tlsCa?: string | null;
  verifyHostname?: boolean;
  demo?: boolean;
  details?: DetailsViewFactory;
  clock?: Clock;
  /** The session's poll grid (SessionOptions.gridOrigin): the fleet view gives every host the same. */
  gridOrigin?: number;
  /** Called once when the user asks to quit. */
  onQuit: () => void;
  /** When set (a host of the fleet view), Esc with nothing to back out of calls this instead of quitting. */
  onBack?: () => void;
}

/** The longest a frame of new data waits for the other replies asked for with it. */
const DATA_COALESCE_MS = 100;
/** How late the metrics frame after next may be before the clock's own tick draws one. */
const TICK_GRACE_MS = 100;

export class App {
  readonly state = new AppState();
  readonly session: Session;
  /** The cgroups view (`s`) and its drill-down into the table. */
  readonly cgroups: CgroupsBrowser;
  private readonly term: TerminalIO;
  private readonly ctx: Omit<RenderContext, "now">;
  private readonly clock: Clock;
  private readonly frames: FrameWriter;
  private readonly input: AppInput;
  private layout: Layout | null = null;
  private scheduled = false;
  private tickTimer: unknown = null;
  /** Data arrived while more replies were due: the frame waits for them (see dataChanged). */
  private dataTimer: unknown = null;
  private details: DetailsView | null = null;
  /** Processes under the open details view (a parent opened with p, a child with Enter): Esc goes back down. */
  private detailsTrail: { pid: number; name: string }[] = [];
  private detailsOf: { pid: number; name: string } | null = null;
  private quitting = false;
  /** Data applied since the last frame (see dataChanged). */
  private dataUnshown = false;
  private readonly link: LinkContext;
  /** False while a fleet view is in front: no frames are drawn for nobody. */
  private visible = true;

  constructor(private readonly options: AppOptions) {
    this.term = options.terminal;
    this.clock = options.clock ?? realClock;
    const shown = redactUrl(options.url);
    this.ctx = {
      theme: options.theme,
      target: hostPort(options.url),
      url: shown,
      tls: options.tls,
      tlsCa: options.tlsCa ?? null,
      verifyHostname: options.verifyHostname ?? false,
      version: options.version,
      intervals: options.intervals,
      demo: options.demo ?? false,
    };
    this.link = {
      target: this.ctx.target,
      host: hostOf(options.url),
      pinned: !!options.tlsCa,
      verifyHostname: options.verifyHostname ?? false,
      secure: options.url.startsWith("wss:"),
    };
    this.frames = new FrameWriter(this.term);
    this.input = new AppInput({
      state: this.state,
      layout: () => this.layout,
      details: () => this.details,
      openDetails: () => this.openDetails(),
      openCgroups: () => this.openCgroups(),
      closeDetails: () => this.closeDetails(),
      quit: () => this.quit(),
      back: () => (this.options.onBack ? this.options.onBack() : this.quit()),
      retryNow: () => this.session.retryNow(),
      signalSender: () => {
        const client = this.session.client;
        return client?.signal ? (pid, sig) => client.signal!(pid, sig) : null;
      },
      invalidate: () => this.invalidate(),
      now: () => this.clock.now(),
    });
    this.session = new Session({
      source: options.source,
      intervals: options.intervals,
      clock: this.clock,
      ...(options.gridOrigin !== undefined ? { gridOrigin: options.gridOrigin } : {}),
      listener: {
        status: (s) => this.onStatus(s),
        metrics: (m, at) => this.onMetrics(m, at),
        processes: (p, at) => this.onProcesses(p, at),
        disks: (d, at) => this.onDisks(d, at),
        load: (l) => {
          this.state.load = l;
          this.dataChanged();
        },
        diskIo: (io) => {
          this.state.diskIo = new Map(io.map((e) => [e.name, e]));
          this.dataChanged();
        },
        settled: () => {
          if (this.dataUnshown) this.flushData();
        },
      },
    });
    this.cgroups = new CgroupsBrowser({
      table: this.state.table,
      client: () => this.session.client,
      intervalMs: () => this.session.currentIntervals.processesMs,
      invalidate: () => this.invalidate(),
      clock: this.clock,
    });
  }

  start(): void {
    this.term.onKey((name, isChar) => this.handleKey(name, isChar));
    this.term.onMouse((e) => this.handleMouse(e));
    this.term.onResize(() => {
      this.frames.forget();
      this.invalidate();
    });
    this.session.start();
    this.invalidate();
  }

  /**
   * There is no agent to come back (the demo's own agent died): stop
   * retrying and keep the cause on screen until the user quits.
   */
  halt(title: string, detail: string): void {
    void this.session.stop();
    const c = this.state.conn;
    c.phase = "stopped";
    c.error = title;
    c.errorDetail = detail;
    c.errorCode = null;
    c.retryAt = null;
    c.rttMs = null;
    this.invalidate();
  }

  async stop(): Promise<void> {
    this.quitting = true;
    if (this.tickTimer !== null) this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    if (this.dataTimer !== null) this.clock.clearTimeout(this.dataTimer);
    this.dataTimer = null;
    this.details?.dispose?.();
    this.cgroups.dispose();
    await this.session.stop();
  }

  /**
   * The clock in the header and any countdown change once a second. While
   * metrics arrive at least that often, their frames carry the new second (a
   * fraction of a second late) and a wake-up of its own is not worth it: this
   * timer, re-armed after every frame, fires only when they stop (a stalled
   * link, a lost connection, slower intervals), and then once a second. It is
   * due after the next two metrics frames: a cleared timer still wakes the
   * process when it was due if it was the earliest one then, and one due
   * before the next poll's timer is armed always is (measured with strace: a
   * wake-up 100 ms after every frame with a grace of one interval). A hidden
   * view (behind the fleet view) draws nothing and is not re-armed.
   */
  private scheduleTick(now: number): void {
    if (this.tickTimer !== null) this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    if (this.quitting || !this.visible) return;
    const nextSecond = now - (now % 1000) + 1000 + 2;
    const metricsMs = this.session.currentIntervals.metricsMs;
    const flowing = this.state.conn.phase === "open" && metricsMs <= 1000;
    const at = flowing ? Math.max(nextSecond, now + 2 * metricsMs + TICK_GRACE_MS) : nextSecond;
    this.tickTimer = this.clock.setTimeout(() => {
      this.tickTimer = null;
      this.invalidate();
    }, at - now);
  }

  /** Hidden (behind the fleet view) or shown again, from a blank terminal. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) {
      this.frames.forget();
      this.invalidate();
    }
  }

  invalidate(): void {
    if (this.scheduled || this.quitting || !this.visible) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.renderNow();
    });
  }

  /** Draw the frame and write what changed. Public for tests. */
  renderNow(): Layout {
    const now = this.clock.now();
    this.dataUnshown = false;
    this.scheduleTick(now);
    const ctx: RenderContext = { ...this.ctx, now };
    const details = this.details;
    this.layout = this.frames.paint((screen) => renderFrame(screen, this.state, ctx, details ? { render: (s, a, c) => details.render(s, a, c) } : null));
    return this.layout;
  }

  /** The frame currently on the terminal (tests read it). */
  get screen(): Screen | null {
    return this.frames.screen;
  }

  /** Frames drawn and bytes written: for the benchmark and tests. */
  get stats(): FrameStats {
    return this.frames.stats;
  }

  private onStatus(s: SessionStatus): void {
    const c = this.state.conn;
    const wasOpen = c.phase === "open";
    c.phase = s.phase;
    c.retryAt = s.retryAt;
    c.attempt = s.attempt;
    c.rttMs = s.rttMs;
    c.connectedAt = s.connectedAt;
    if (s.error) {
      const d = describeConnectionError(s.error, this.link);
      c.error = d.title;
      c.errorDetail = d.detail;
      c.errorCode = (s.error as { code?: string }).code ?? null;
    } else {
      c.error = null;
      c.errorDetail = null;
      c.errorCode = null;
    }
    if (s.info) {
      c.agentVersion = s.info.agentVersion;
      c.protocolVersion = s.info.protocolVersion;
      c.capabilities = s.info.capabilities;
      c.legacy = s.info.legacy;
    }
    if (s.phase === "open" && !wasOpen) this.state.resetRates();
    this.invalidate();
  }

  private onMetrics(m: Metrics, at: number): void {
    this.state.applyMetrics(m, at);
    this.dataChanged(true);
  }

  private onProcesses(p: ProcessListReply, at: number): void {
    this.state.applyProcesses(p, at);
    this.dataChanged();
  }

  private onDisks(d: DiskInfo[], at: number): void {
    this.state.applyDisks(d, at);
    this.dataChanged();
  }

  /**
   * New data: one frame once the replies asked for together are all in
   * (metrics and the process list every 2 s; disks, load and disk I/O every
   * 5 s), not one per reply. Replies come in request order, so while a
   * metrics request is in flight the frame waits for its reply without a
   * timer (a cleared timer still wakes the process when it was due). Other
   * replies still due after metrics: at most DATA_COALESCE_MS late when one
   * is slow. Keys and link changes still draw at once.
   */
  private dataChanged(metrics = false): void {
    // Hidden behind the fleet view: no frame to draw, so nothing to wait for.
    if (!this.visible) return;
    this.dataUnshown = true;
    if (this.session.pending === 0) {
      this.flushData();
      return;
    }
    if (!metrics && this.session.metricsInFlight) return;
    if (this.dataTimer === null) this.dataTimer = this.clock.setTimeout(() => this.flushData(), DATA_COALESCE_MS);
  }

  private flushData(): void {
    if (this.dataTimer !== null) this.clock.clearTimeout(this.dataTimer);
    this.dataTimer = null;
    this.invalidate();
  }

  quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.options.onQuit();
  }

  private openDetails(): void {
    const table = this.state.table;
    if (table.selectedIndex() < 0) table.moveSelection(0);
    const p = table.selected();
    if (!p || !this.options.details) return;
    this.detailsTrail = [];
    this.showDetails(p.pid, p.name);
  }

  private showDetails(pid: number, name: string): void {
    const factory = this.options.details;
    if (!factory) return;
    this.details?.dispose?.();
    this.detailsOf = { pid, name };
    this.details = factory({
      pid,
      name,
      client: () => this.session.client,
      invalidate: () => this.invalidate(),
      open: (p, n) => {
        // Opened on top: closing it returns to this one.
        if (this.detailsOf) this.detailsTrail.push(this.detailsOf);
        this.showDetails(p, n);
      },
    });
  }

  /** The cgroups view, in the details view's place (Enter there drills down into the table). */
  private openCgroups(): void {
    this.details?.dispose?.();
    this.detailsTrail = [];
    this.detailsOf = null;
    this.details = this.cgroups.open();
  }

  /** Close the details view: back to the process it was opened from, else to the table. */
  private closeDetails(): void {
    this.details?.dispose?.();
    this.details = null;
    this.detailsOf = null;
    const below = this.detailsTrail.pop();
    if (below) this.showDetails(below.pid, below.name);
  }

  handleKey(name: string, isCharacter: boolean): void {
    if (name === "CTRL_C") {
      this.quit();
      return;
    }
    this.input.key(name, isCharacter);
    this.invalidate();
  }

  handleMouse(e: MouseInput): void {
    this.input.mouse(e);
  }
}
