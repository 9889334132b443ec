/**
 * The fleet view running: one single-host App per host, each with its own
 * connection, intervals, TLS pin and token (so one slow or dead host never
 * delays another), behind an overview of all of them.
 *
 * Drilling in shows that host's own App on the terminal; Esc brings the
 * overview back. Nothing is reconnected either way: the hosts' Apps live for
 * the whole run and only their visibility and polling rates change. Hidden
 * Apps draw nothing; hosts off screen are polled slowly, the one drilled into
 * at its full rate (see intervalsFor).
 */
import { App, type DetailsViewFactory } from "./app.js";
import { connectorSource } from "./connector-source.js";
import { hostPort } from "./format.js";
import { renderFleet, type FleetLayout } from "./fleet-render.js";
import { fleetRow, FleetState, intervalsFor, type FleetRow, type Visibility } from "./fleet-state.js";
import { FrameWriter, type FrameStats } from "./frame-writer.js";
import { DoubleClick, filterKey, helpScrollKey, KeyMap, listBindings } from "./keymap.js";
import { contains, type Screen } from "./screen.js";
import { realClock, type Clock, type DataSource } from "./session.js";
import type { HostTarget } from "./targets.js";
import type { MouseInput, TerminalIO } from "./terminal.js";
import type { Theme } from "./theme.js";

export interface FleetAppOptions {
  terminal: TerminalIO;
  targets: readonly HostTarget[];
  theme: Theme;
  version: string;
  details?: DetailsViewFactory;
  clock?: Clock;
  /** The connection of each host (tests may replace it). */
  sourceFor?: (target: HostTarget) => DataSource;
  onQuit: () => void;
}

/** A host's App sees this terminal: the real one while it is in front, nothing otherwise. */
class HostTerminal implements TerminalIO {
  active = false;
  readonly keyListeners: ((name: string, isCharacter: boolean) => void)[] = [];
  readonly mouseListeners: ((event: MouseInput) => void)[] = [];
  readonly resizeListeners: ((w: number, h: number) => void)[] = [];

  constructor(private readonly real: TerminalIO) {}

  get width(): number {
    return this.real.width;
  }
  get height(): number {
    return this.real.height;
  }
  write(data: string): void {
    if (this.active) this.real.write(data);
  }
  onKey(listener: (name: string, isCharacter: boolean) => void): void {
    this.keyListeners.push(listener);
  }
  onMouse(listener: (event: MouseInput) => void): void {
    this.mouseListeners.push(listener);
  }
  onResize(listener: (w: number, h: number) => void): void {
    this.resizeListeners.push(listener);
  }
  enter(): void {}
  restore(): void {}
}

interface Host {
  target: HostTarget;
  app: App;
  term: HostTerminal;
  visibility: Visibility | null;
}

/**
 * The overview redraws once a second, on the clock's second: the header's
 * clock and the retry countdowns change then, and rows on screen are asked
 * for metrics once a second (FLEET_VISIBLE_MIN), so each frame shows every
 * row's newest reply. Replies do not draw by themselves: ten hosts answering
 * at ten different moments would be ten frames a second. Keys, mouse and
 * resizes draw at once.
 */
export const FLEET_FRAME_MS = 1000;

/**
 * Every host is polled on one grid, this long before each frame: the hosts'
 * requests go out together and their replies are in before the frame that
 * shows them (not a second later), and ten hosts wake the TUI once a second,
 * not ten times at moments of their own.
 */
export const FLEET_POLL_LEAD_MS = 250;

export class FleetApp {
  readonly state = new FleetState();
  readonly hosts: Host[];
  private readonly term: TerminalIO;
  private readonly clock: Clock;
  private active: Host | null = null;
  private readonly frames: FrameWriter;
  private readonly keys: KeyMap;
  private readonly hostClicks = new DoubleClick<string>();
  private layout: FleetLayout | null = null;
  private scheduled = false;
  private timer: unknown = null;
  private quitting = false;

  constructor(private readonly options: FleetAppOptions) {
    this.term = options.terminal;
    this.clock = options.clock ?? realClock;
    this.frames = new FrameWriter(this.term);
    this.keys = this.keyMap();
    const sourceFor =
      options.sourceFor ??
      ((t: HostTarget) => connectorSource(t.url, { tlsCa: t.tlsCa, verifyHostname: t.verifyHostname, ...(t.token ? { token: t.token } : {}) }));
    this.hosts = options.targets.map((target) => {
      const term = new HostTerminal(this.term);
      const host: Host = { target, term, visibility: null, app: null as unknown as App };
      host.app = new App({
        terminal: term,
        source: sourceFor(target),
        url: target.url,
        intervals: target.intervals,
        theme: options.theme,
        version: options.version,
        tls: target.url.startsWith("wss:"),
        tlsCa: target.tlsCa,
        verifyHostname: target.verifyHostname,
        ...(options.details ? { details: options.details } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
        gridOrigin: -FLEET_POLL_LEAD_MS,
        onQuit: () => this.quit(),
        onBack: () => this.back_(),
      });
      host.app.setVisible(false);
      return host;
    });
  }

  start(): void {
    this.term.onKey((name, isChar) => this.handleKey(name, isChar));
    this.term.onMouse((e) => this.handleMouse(e));
    this.term.onResize((w, h) => {
      this.frames.forget();
      if (this.active) for (const l of this.active.term.resizeListeners) l(w, h);
      else this.invalidate();
    });
    // Slow until the first frame says which hosts are on screen.
    for (const h of this.hosts) this.setVisibility(h, "hidden");
    for (const h of this.hosts) h.app.start();
    this.tick();
    this.invalidate();
  }

  async stop(): Promise<void> {
    this.quitting = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    await Promise.all(this.hosts.map((h) => h.app.stop()));
  }

  /** The host drilled into, or null on the overview. */
  get drilled(): string | null {
    return this.active?.target.name ?? null;
  }

  private tick(): void {
    if (this.quitting) return;
    // Just after the second turns, so the clock drawn is the new one.
    const now = this.clock.now();
    this.timer = this.clock.setTimeout(() => {
      this.invalidate();
      this.tick();
    }, FLEET_FRAME_MS - (now % FLEET_FRAME_MS) + 2);
  }

  private setVisibility(h: Host, v: Visibility): void {
    if (h.visibility === v) return;
    h.visibility = v;
    h.app.session.setIntervals(intervalsFor(v, h.target.intervals));
  }

  rows(): FleetRow[] {
    const now = this.clock.now();
    return this.hosts.map((h) => fleetRow(h.target.name, hostPort(h.target.url), h.app.state, h.app.session.status, now));
  }

  invalidate(): void {
    if (this.scheduled || this.quitting || this.active) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.active && !this.quitting) this.renderNow();
    });
  }

  /** Draw the overview and write what changed. Public for tests and the benchmark. */
  renderNow(): FleetLayout {
    const rows = this.rows();
    const ctx = { theme: this.options.theme, now: this.clock.now(), version: this.options.version };
    const layout = this.frames.paint((screen) => renderFleet(screen, rows, this.state, ctx));
    this.layout = layout;
    // Poll what is on screen at the overview's rate, the rest slowly.
    const shown = new Set(layout.hosts.map((x) => x.name));
    for (const host of this.hosts) this.setVisibility(host, shown.has(host.target.name) ? "visible" : "hidden");
    return layout;
  }

  get screen(): Screen | null {
    return this.frames.screen;
  }

  /** Frames drawn and bytes written: for the benchmark and tests. */
  get stats(): FrameStats {
    return this.frames.stats;
  }

  open(name: string): void {
    const host = this.hosts.find((h) => h.target.name === name);
    if (!host) return;
    for (const h of this.hosts) if (h !== host) this.setVisibility(h, "hidden");
    this.setVisibility(host, "drilled");
    this.active = host;
    host.term.active = true;
    host.app.setVisible(true);
  }

  /** Esc from a host: back to the overview, connection kept. */
  private back_(): void {
    const host = this.active;
    if (!host) return;
    host.term.active = false;
    host.app.setVisible(false);
    this.active = null;
    this.frames.forget();
    this.invalidate();
  }

  quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.options.onQuit();
  }

  handleKey(name: string, isCharacter: boolean): void {
    if (name === "CTRL_C") {
      this.quit();
      return;
    }
    if (this.active) {
      for (const l of this.active.term.keyListeners) l(name, isCharacter);
      return;
    }
    this.handleFleetKey(name, isCharacter);
    this.invalidate();
  }

  private keyMap(): KeyMap {
    const s = this.state;
    const cols = (): number => this.layout?.columns ?? 1;
    return new KeyMap([
      ...listBindings({
        quit: () => this.quit(),
        back: () => (s.filter !== "" ? s.clearFilter() : this.quit()),
        help: () => {
          s.modal = "help";
          s.helpScroll = 0;
        },
        rowStep: cols,
        pageStep: () => Math.max(1, (this.layout?.perPage ?? 10) - cols()),
        move: (delta) => s.move(delta),
        first: () => s.selectEdge(false),
        last: () => s.selectEdge(true),
        open: () => {
          if (s.selected !== null) this.open(s.selected);
        },
        beginFilter: () => s.beginFilter(),
        clearFilter: () => s.clearFilter(),
        cycleSort: (dir) => s.cycleSort(dir),
        retryNow: () => this.hosts.find((h) => h.target.name === s.selected)?.app.session.retryNow(),
      }),
      [["LEFT"], () => s.move(-1)],
      [["RIGHT"], () => s.move(1)],
      [["P"], () => s.sortBy("cpu")],
      [["M"], () => s.sortBy("mem")],
      [["O"], () => s.sortBy("name")],
    ]);
  }

  private handleFleetKey(name: string, isCharacter: boolean): void {
    const s = this.state;
    if (s.modal === "help") {
      const scroll = helpScrollKey(name, s.helpScroll);
      if (scroll !== null) s.helpScroll = scroll;
      else if (name === "q" || name === "Q") this.quit();
      else s.modal = null;
      return;
    }
    if (s.filterEditing) {
      const target = {
        filter: s.filter,
        setFilter: (text: string) => s.setFilter(text),
        accept: () => {
          s.filterEditing = false;
          s.selectEdge(false);
        },
        clear: () => s.clearFilter(),
      };
      if (filterKey(target, name, isCharacter) === "handled") return;
    }
    this.keys.dispatch(name);
  }

  handleMouse(e: MouseInput): void {
    if (this.active) {
      for (const l of this.active.term.mouseListeners) l(e);
      return;
    }
    if (this.state.modal) {
      if (e.kind === "press") this.state.modal = null;
      this.invalidate();
      return;
    }
    const cols = this.layout?.columns ?? 1;
    if (e.kind === "wheel-up" || e.kind === "wheel-down") {
      this.state.move(e.kind === "wheel-up" ? -cols : cols);
      this.invalidate();
      return;
    }
    if (e.kind !== "press" || e.button !== "left" || !this.layout) return;
    const hit = this.layout.hosts.find((x) => contains(x.rect, e.x, e.y));
    if (!hit) return;
    // A double click opens the host it selected (not one the keyboard moved away from in between).
    if (this.hostClicks.click(hit.name, this.clock.now()) && this.state.selected === hit.name) {
      this.open(hit.name);
      return;
    }
    this.state.selected = hit.name;
    this.invalidate();
  }
}
