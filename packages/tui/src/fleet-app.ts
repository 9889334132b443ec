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
import { contains, diffScreens, Screen } from "./screen.js";
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

const DOUBLE_CLICK_MS = 400;
/** The overview redraws at this pace (countdowns, sparklines); data only moves it forward. */
export const FLEET_FRAME_MS = 500;

export class FleetApp {
  readonly state = new FleetState();
  readonly hosts: Host[];
  private readonly term: TerminalIO;
  private readonly clock: Clock;
  private active: Host | null = null;
  private front: Screen | null = null;
  private back: Screen;
  private layout: FleetLayout | null = null;
  private scheduled = false;
  private timer: unknown = null;
  private quitting = false;
  private lastClick = { at: 0, name: "" };
  readonly stats = { frames: 0, bytes: 0, renderMs: 0 };

  constructor(private readonly options: FleetAppOptions) {
    this.term = options.terminal;
    this.clock = options.clock ?? realClock;
    this.back = new Screen(this.term.width, this.term.height);
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
      this.front = null;
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
    this.timer = this.clock.setTimeout(() => {
      this.invalidate();
      this.tick();
    }, FLEET_FRAME_MS);
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
    const t0 = performance.now();
    const w = this.term.width;
    const h = this.term.height;
    if (this.back.width !== w || this.back.height !== h) {
      this.back.resize(w, h);
      this.front = null;
    }
    this.layout = renderFleet(this.back, this.rows(), this.state, { theme: this.options.theme, now: this.clock.now(), version: this.options.version });
    const out = diffScreens(this.front, this.back);
    if (out) {
      this.term.write(out);
      this.stats.bytes += out.length;
    }
    const old = this.front;
    this.front = this.back;
    this.back = old && old.width === w && old.height === h ? old : new Screen(w, h);
    this.stats.frames++;
    this.stats.renderMs += performance.now() - t0;
    // Poll what is on screen at the overview's rate, the rest slowly.
    const shown = new Set(this.layout.hosts.map((x) => x.name));
    for (const host of this.hosts) this.setVisibility(host, shown.has(host.target.name) ? "visible" : "hidden");
    return this.layout;
  }

  get screen(): Screen | null {
    return this.front;
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
    this.front = null;
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

  private handleFleetKey(name: string, isCharacter: boolean): void {
    const s = this.state;
    if (s.modal === "help") {
      if (name === "UP" || name === "k") s.helpScroll = Math.max(0, s.helpScroll - 1);
      else if (name === "DOWN" || name === "j") s.helpScroll++;
      else if (name === "q" || name === "Q") this.quit();
      else s.modal = null;
      return;
    }
    if (s.filterEditing) {
      switch (name) {
        case "ENTER":
          s.filterEditing = false;
          s.selectEdge(false);
          return;
        case "ESCAPE":
          s.clearFilter();
          return;
        case "BACKSPACE":
          s.setFilter(s.filter.slice(0, -1));
          return;
        case "CTRL_U":
          s.setFilter("");
          return;
        default:
          if (isCharacter) {
            s.setFilter(s.filter + name);
            return;
          }
      }
    }
    const cols = this.layout?.columns ?? 1;
    const page = Math.max(1, (this.layout?.perPage ?? 10) - cols);
    switch (name) {
      case "q":
      case "Q":
        this.quit();
        return;
      case "ESCAPE":
        if (s.filter !== "") s.clearFilter();
        else this.quit();
        return;
      case "h":
      case "H":
      case "?":
        s.modal = "help";
        s.helpScroll = 0;
        return;
      case "UP":
      case "k":
        s.move(-cols);
        return;
      case "DOWN":
      case "j":
        s.move(cols);
        return;
      case "LEFT":
        s.move(-1);
        return;
      case "RIGHT":
        s.move(1);
        return;
      case "PAGE_UP":
        s.move(-page);
        return;
      case "PAGE_DOWN":
        s.move(page);
        return;
      case "HOME":
      case "g":
        s.selectEdge(false);
        return;
      case "END":
      case "G":
        s.selectEdge(true);
        return;
      case "ENTER":
        if (s.selected !== null) this.open(s.selected);
        return;
      case "/":
        s.beginFilter();
        return;
      case "c":
      case "C":
        s.clearFilter();
        return;
      case "P":
        s.sortBy("cpu");
        return;
      case "M":
        s.sortBy("mem");
        return;
      case "O":
        s.sortBy("name");
        return;
      case "<":
        s.cycleSort(-1);
        return;
      case ">":
        s.cycleSort(1);
        return;
      case "R":
        this.hosts.find((h) => h.target.name === s.selected)?.app.session.retryNow();
        return;
      default:
        return;
    }
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
    const now = this.clock.now();
    if (this.state.selected === hit.name && this.lastClick.name === hit.name && now - this.lastClick.at < DOUBLE_CLICK_MS) {
      this.lastClick = { at: 0, name: "" };
      this.open(hit.name);
      return;
    }
    this.state.selected = hit.name;
    this.lastClick = { at: now, name: hit.name };
    this.invalidate();
  }
}
