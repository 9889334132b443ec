/**
 * The running TUI: input → state, session → state, state → frame → diff →
 * terminal. Frames are drawn only when something changed (data, input, the
 * clock's second, a countdown) and at most once per event-loop turn.
 */
import type { DiskInfo, Metrics, ProcessListReply, SignalName } from "@socktop/protocol";
import { SignalDialog } from "./signal-dialog.js";
import { CgroupsBrowser } from "./cgroups-view.js";
import { hostOf, hostPort, redactUrl } from "./format.js";
import type { Layout } from "./layout.js";
import { contains, diffScreens, Screen, type Rect } from "./screen.js";
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
import { AppState, type SortKey } from "./state.js";
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
  /** Called once when the user asks to quit. */
  onQuit: () => void;
  /** When set (a host of the fleet view), Esc with nothing to back out of calls this instead of quitting. */
  onBack?: () => void;
}

// Name sorts with O: A is About, as in the original (a/A, h/H, q/Q, c/C, x/X keep its meaning).
const SORT_KEYS_BY_LETTER: Record<string, SortKey> = { P: "cpu", M: "mem", N: "pid", O: "name", U: "user" };
const DOUBLE_CLICK_MS = 400;
const WHEEL_ROWS = 3;

export class App {
  readonly state = new AppState();
  readonly session: Session;
  /** The cgroups view (`s`) and its drill-down into the table. */
  readonly cgroups: CgroupsBrowser;
  private readonly term: TerminalIO;
  private readonly ctx: Omit<RenderContext, "now">;
  private readonly clock: Clock;
  private front: Screen | null = null;
  private back: Screen;
  private layout: Layout | null = null;
  private scheduled = false;
  private tickTimer: unknown = null;
  private dragging = false;
  private lastClick = { at: 0, pid: -1 };
  private details: DetailsView | null = null;
  /** Processes under the open details view (a parent opened with p, a child with Enter): Esc goes back down. */
  private detailsTrail: { pid: number; name: string }[] = [];
  private detailsOf: { pid: number; name: string } | null = null;
  private quitting = false;
  private lastFrameAt = 0;
  private readonly link: LinkContext;
  /** False while a fleet view is in front: no frames are drawn for nobody. */
  private visible = true;
  /** Frames drawn and bytes written: for the benchmark and tests. */
  readonly stats = { frames: 0, bytes: 0, renderMs: 0 };

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
    this.back = new Screen(this.term.width, this.term.height);
    this.session = new Session({
      source: options.source,
      intervals: options.intervals,
      clock: this.clock,
      listener: {
        status: (s) => this.onStatus(s),
        metrics: (m, at) => this.onMetrics(m, at),
        processes: (p, at) => this.onProcesses(p, at),
        disks: (d, at) => this.onDisks(d, at),
        load: (l) => {
          this.state.load = l;
          this.invalidate();
        },
        diskIo: (io) => {
          this.state.diskIo = new Map(io.map((e) => [e.name, e]));
          this.invalidate();
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
      this.front = null;
      this.invalidate();
    });
    this.session.start();
    this.scheduleTick();
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
    this.details?.dispose?.();
    this.cgroups.dispose();
    await this.session.stop();
  }

  /**
   * The clock in the header and any countdown change once a second. While
   * metrics arrive at least that often, their frames carry the new second
   * (a fraction of a second late) and a frame of its own is not worth it.
   */
  private scheduleTick(): void {
    if (this.quitting) return;
    const now = this.clock.now();
    this.tickTimer = this.clock.setTimeout(() => {
      const metricsMs = this.options.intervals.metricsMs;
      const flowing = this.state.conn.phase === "open" && metricsMs <= 1000 && this.clock.now() - this.lastFrameAt < metricsMs;
      if (!flowing) this.invalidate();
      this.scheduleTick();
    }, 1000 - (now % 1000) + 2);
  }

  /** Hidden (behind the fleet view) or shown again, from a blank terminal. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) {
      this.front = null;
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
    const t0 = performance.now();
    const w = this.term.width;
    const h = this.term.height;
    if (this.back.width !== w || this.back.height !== h) {
      this.back.resize(w, h);
      this.front = null;
    }
    const ctx: RenderContext = { ...this.ctx, now: this.clock.now() };
    this.lastFrameAt = ctx.now;
    this.layout = renderFrame(this.back, this.state, ctx, this.details ? { render: (s, a, c) => this.details!.render(s, a, c) } : null);
    const out = diffScreens(this.front, this.back);
    if (out) {
      this.term.write(out);
      this.stats.bytes += out.length;
    }
    // Swap buffers instead of copying: the next frame is drawn from scratch anyway.
    const old = this.front;
    this.front = this.back;
    this.back = old && old.width === w && old.height === h ? old : new Screen(w, h);
    this.stats.frames++;
    this.stats.renderMs += performance.now() - t0;
    return this.layout;
  }

  /** The frame currently on the terminal (tests read it). */
  get screen(): Screen | null {
    return this.front;
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
    this.invalidate();
  }

  private onProcesses(p: ProcessListReply, at: number): void {
    this.state.applyProcesses(p, at);
    this.invalidate();
  }

  private onDisks(d: DiskInfo[], at: number): void {
    this.state.applyDisks(d, at);
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
    this.handleKeyInner(name, isCharacter);
    this.invalidate();
  }

  private handleKeyInner(name: string, isCharacter: boolean): void {
    const state = this.state;
    const table = state.table;

    if (this.details) {
      const r = this.details.handleKey(name, isCharacter);
      // Esc and q always lead back out, even from a view that ignores them.
      if (r === "close" || (r === "ignored" && (name === "ESCAPE" || name === "q" || name === "x" || name === "X"))) this.closeDetails();
      return;
    }

    if (state.signalDialog) {
      if (state.signalDialog.handleKey(name) === "close") state.signalDialog = null;
      return;
    }

    if (state.modal) {
      const modal = state.modal;
      if (modal.kind === "help" && (name === "UP" || name === "k")) modal.scroll = Math.max(0, modal.scroll - 1);
      else if (modal.kind === "help" && (name === "DOWN" || name === "j")) modal.scroll++;
      else if ((name === "a" || name === "A") && modal.kind === "help") state.modal = { kind: "about" };
      else if ((name === "h" || name === "H" || name === "?") && modal.kind === "about") state.modal = { kind: "help", scroll: 0 };
      else if (["ESCAPE", "q", "Q", "h", "H", "?", "a", "A", "ENTER"].includes(name)) state.modal = null;
      return;
    }

    if (table.filterEditing) {
      switch (name) {
        case "ENTER":
          table.acceptFilter();
          return;
        case "ESCAPE":
          table.clearFilter();
          return;
        case "BACKSPACE":
          table.setFilter(table.filter.slice(0, -1));
          return;
        case "CTRL_U":
          table.setFilter("");
          return;
        case "UP":
        case "DOWN":
        case "PAGE_UP":
        case "PAGE_DOWN":
          break; // fall through to navigation below
        default:
          if (isCharacter) table.setFilter(table.filter + name);
          return;
      }
    }

    const page = Math.max(1, table.pageSize - 1);
    switch (name) {
      case "q":
      case "Q":
        this.quit();
        return;
      case "ESCAPE":
        // Esc backs out one level: an active filter first, a group's processes (back to the groups), then the program.
        if (table.filter !== "") table.clearFilter();
        else if (table.scope) this.openCgroups();
        else if (this.options.onBack) this.options.onBack();
        else this.quit();
        return;
      case "h":
      case "H":
      case "?":
        state.modal = { kind: "help", scroll: 0 };
        return;
      case "a":
      case "A":
        state.modal = { kind: "about" };
        return;
      case "x":
      case "X":
        table.clearSelection();
        return;
      case "UP":
      case "k":
        table.moveSelection(-1);
        return;
      case "DOWN":
      case "j":
        table.moveSelection(1);
        return;
      case "PAGE_UP":
        table.moveSelection(-page);
        return;
      case "PAGE_DOWN":
        table.moveSelection(page);
        return;
      case "HOME":
      case "g":
        table.selectFirst();
        return;
      case "END":
      case "G":
        table.selectLast();
        return;
      case "ENTER":
        this.openDetails();
        return;
      case "/":
        table.beginFilter();
        return;
      case "c":
      case "C":
        table.clearFilter();
        return;
      case "P":
      case "M":
      case "N":
      case "O":
      case "U":
        table.sortBy(SORT_KEYS_BY_LETTER[name]!);
        return;
      case "<":
        table.cycleSort(-1);
        return;
      case ">":
        table.cycleSort(1);
        return;
      case "r":
        table.reverse();
        return;
      case "[":
      case "]":
      case "LEFT":
      case "RIGHT":
        if (this.layout) state.scrollCores(name === "[" || name === "LEFT" ? -1 : 1, this.layout.coreRowsVisible, this.layout.coresPerRow);
        return;
      case "T":
        table.toggleTree();
        return;
      case "s":
        this.openCgroups();
        return;
      case "t": {
        // The original's kill key: a dialog that names the process and the signal; nothing is sent before Enter.
        const p = table.selected();
        if (!p) return;
        const client = this.session.client;
        const send = client?.signal ? (pid: number, sig: SignalName) => client.signal!(pid, sig) : null;
        state.signalDialog = new SignalDialog(p.pid, p.name, send, () => this.invalidate());
        return;
      }
      case "R":
        this.session.retryNow();
        return;
      default:
        return;
    }
  }

  handleMouse(e: MouseInput): void {
    const layout = this.layout;
    if (!layout || layout.tooSmall || this.state.signalDialog) return;
    const state = this.state;
    const table = state.table;

    if (this.details) {
      this.details.handleMouse?.(e, { x: 0, y: 1, w: layout.width, h: layout.height - 1 });
      this.invalidate();
      return;
    }
    if (state.modal) {
      if (e.kind === "press") state.modal = null;
      else if (state.modal.kind === "help" && e.kind === "wheel-up") state.modal.scroll = Math.max(0, state.modal.scroll - 1);
      else if (state.modal.kind === "help" && e.kind === "wheel-down") state.modal.scroll++;
      this.invalidate();
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
        this.invalidate();
      }
      return;
    }
    if (e.kind === "wheel-up" || e.kind === "wheel-down") {
      const dir = e.kind === "wheel-up" ? -1 : 1;
      if (layout.procs && contains(layout.procs, e.x, e.y)) table.scrollBy(dir * WHEEL_ROWS);
      else if (layout.cores && contains(layout.cores, e.x, e.y)) state.scrollCores(dir, layout.coreRowsVisible, layout.coresPerRow);
      this.invalidate();
      return;
    }
    if (e.kind !== "press" || e.button !== "left") return;

    if (layout.procs && e.y === layout.procHeaderY) {
      const col = layout.columns.find((c) => e.x >= c.x && e.x < c.x + c.w + 1);
      if (col?.key) table.sortBy(col.key);
      this.invalidate();
      return;
    }
    if (sb && sb.h > 0 && table.length > table.pageSize && contains({ ...sb, x: sb.x, w: 1 }, e.x, e.y)) {
      this.dragging = true;
      table.scrollToFraction(sb.h > 1 ? (e.y - sb.y) / (sb.h - 1) : 0);
      this.invalidate();
      return;
    }
    const rows = layout.procRows;
    if (rows && contains(rows, e.x, e.y)) {
      const n = e.y - rows.y;
      const before = table.selectedPid;
      table.selectVisibleRow(n);
      const now = this.clock.now();
      const pid = table.selectedPid ?? -1;
      if (pid === before && pid === this.lastClick.pid && now - this.lastClick.at < DOUBLE_CLICK_MS) {
        this.openDetails();
        this.lastClick = { at: 0, pid: -1 };
      } else {
        this.lastClick = { at: now, pid };
      }
      this.invalidate();
    }
  }
}
