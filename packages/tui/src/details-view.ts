/**
 * The process details view: Enter on a process row opens it full screen.
 * It polls its own two requests while open (details about every second,
 * journal about every five, never more than one of each kind in flight),
 * stops when closed, and draws into the app's cell buffer like every panel.
 *
 *   ─ name · PID n ──────────────────────────────── state ─
 *    cmd  …                                   (1–3 rows)
 *    user … parent … started … up … threads … fds … cwd … exe …
 *   ─ CPU x% ─────── avg ─┬─ Memory & I/O ─────────────────
 *    sparkline            │ RSS … virtual … shared …
 *                         │ read …/s · write …/s
 *   ─ Threads n ─── sort ─┬─ Children n ───────────────────
 *    TID NAME  CPU TIME…  │ PID NAME CPU% MEM
 *   ─ Journal n ───────────────────────────────────────────
 *    May 17 13:37:42 ERR    message
 *    Esc back  Tab focus  …
 */
import type { DetailsContext, DetailsView, DetailsViewFactory } from "./app.js";
import { type DetailsLayout, sectionAt } from "./details-layout.js";
import { renderDetails } from "./details-render.js";
import { DetailsState } from "./details-state.js";
import { DoubleClick } from "./keymap.js";
import { contains, type Rect, type Screen } from "./screen.js";
import { type AgentClient, type Clock, realClock } from "./session.js";
import type { MouseInput } from "./terminal.js";
import type { RenderContext } from "./widgets.js";

export const DETAILS_INTERVAL_MS = 1000;

export const JOURNAL_INTERVAL_MS = 5000;


const WHEEL_ROWS = 3;

export interface DetailsViewOptions {
  clock?: Clock;
  detailsIntervalMs?: number;
  journalIntervalMs?: number;
}

/** The factory `run()` hands to the app; one view per opened pid. */
export function detailsViewFactory(options: DetailsViewOptions = {}): DetailsViewFactory {
  return (ctx) => new ProcessDetailsView(ctx, options);
}

// ---------------------------------------------------------------- layout

type PollKind = "details" | "journal";

export class ProcessDetailsView implements DetailsView {
  readonly state: DetailsState;
  private readonly clock: Clock;
  private readonly intervals: Record<PollKind, number>;
  private readonly timers = new Map<PollKind, unknown>();
  private readonly stopped: Record<PollKind, boolean> = { details: false, journal: false };
  /** Requests waiting for their reply, by kind: never more than one each. */
  readonly inFlight: Record<PollKind, boolean> = { details: false, journal: false };
  private disposed = false;
  private help = false;
  private layout: DetailsLayout | null = null;
  private readonly childClicks = new DoubleClick<number>();

  constructor(
    private readonly ctx: DetailsContext,
    options: DetailsViewOptions = {},
  ) {
    this.state = new DetailsState(ctx.pid, ctx.name);
    this.clock = options.clock ?? realClock;
    this.intervals = {
      details: options.detailsIntervalMs ?? DETAILS_INTERVAL_MS,
      journal: options.journalIntervalMs ?? JOURNAL_INTERVAL_MS,
    };
    void this.poll("details");
    void this.poll("journal");
  }

  /** Whether a poll of this kind is still scheduled or running (tests). */
  polling(kind: PollKind): boolean {
    return this.timers.has(kind) || this.inFlight[kind];
  }

  private schedule(kind: PollKind, ms: number): void {
    if (this.disposed || this.stopped[kind]) return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(kind);
      void this.poll(kind);
    }, ms);
    this.timers.set(kind, timer);
  }

  private async poll(kind: PollKind): Promise<void> {
    if (this.disposed || this.stopped[kind] || this.inFlight[kind]) return;
    const interval = this.intervals[kind];
    const client: AgentClient | null = this.ctx.client();
    if (client === null) {
      // Reconnecting: look again soon, so the view resumes with the link.
      this.schedule(kind, Math.min(interval, DETAILS_INTERVAL_MS));
      return;
    }
    const started = this.clock.now();
    this.inFlight[kind] = true;
    let goOn = true;
    try {
      if (kind === "details") {
        const reply = await client.processMetrics(this.state.pid);
        if (this.disposed) return;
        this.state.applyDetails(reply, this.clock.now());
      } else {
        const reply = await client.journalEntries(this.state.pid);
        if (this.disposed) return;
        this.state.applyJournal(reply, this.clock.now());
      }
    } catch (error) {
      if (this.disposed) return;
      goOn = kind === "details" ? this.state.applyDetailsError(error, this.clock.now()) : this.state.applyJournalError(error);
    } finally {
      this.inFlight[kind] = false;
    }
    if (!goOn) this.stopped[kind] = true;
    // An exited process's pid may soon belong to another one (applyDetails
    // also ends up here when it sees that happen): stop asking altogether.
    if (this.state.exited || this.state.unavailable !== null) this.stopAll();
    this.ctx.invalidate();
    // Next request one interval after this one started, never queued behind a slow reply.
    this.schedule(kind, Math.max(0, interval - (this.clock.now() - started)));
  }

  render(screen: Screen, area: Rect, ctx: RenderContext): void {
    this.layout = renderDetails(screen, area, this.state, ctx, { connected: this.ctx.client() !== null, help: this.help });
  }

  handleKey(name: string, _isCharacter: boolean): "handled" | "ignored" | "close" {
    const s = this.state;
    if (this.help) {
      if (name === "ESCAPE" || name === "q" || name === "h" || name === "?" || name === "ENTER") this.help = false;
      return "handled";
    }
    switch (name) {
      case "ESCAPE":
      case "q":
      case "x":
      case "X":
        return "close";
      case "h":
      case "?":
        this.help = true;
        return "handled";
      case "TAB":
        s.cycleFocus(1);
        return "handled";
      case "SHIFT_TAB":
        s.cycleFocus(-1);
        return "handled";
      case "UP":
      case "k":
        s.move(-1);
        return "handled";
      case "DOWN":
      case "j":
        s.move(1);
        return "handled";
      case "PAGE_UP":
        s.move(-Math.max(1, s.pages[s.focus] - 1));
        return "handled";
      case "PAGE_DOWN":
        s.move(Math.max(1, s.pages[s.focus] - 1));
        return "handled";
      case "HOME":
      case "g":
        s.move(-1e9);
        return "handled";
      case "END":
      case "G":
        s.move(1e9);
        return "handled";
      case "ENTER": {
        const child = s.focus === "children" ? s.selectedChild() : null;
        if (child) this.ctx.open(child.pid, child.name);
        return "handled";
      }
      case "p": {
        const parent = s.details?.parent_pid ?? null;
        if (parent !== null && parent > 0) this.ctx.open(parent, "");
        return "handled";
      }
      case "[":
      case "]":
        s.scroll("journal", name === "[" ? -1 : 1);
        return "handled";
      case "d":
      case "u":
        s.scroll("threads", (name === "d" ? 1 : -1) * Math.max(1, s.pages.threads - 1));
        return "handled";
      case "s":
        s.toggleThreadSort();
        return "handled";
      case "r":
        s.reverseThreads();
        return "handled";
      default:
        return "ignored";
    }
  }

  handleMouse(e: MouseInput, _area: Rect): void {
    const layout = this.layout;
    if (!layout) return;
    if (this.help) {
      if (e.kind === "press") this.help = false;
      return;
    }
    const section = sectionAt(layout, e.x, e.y);
    if (section === null) return;
    if (e.kind === "wheel-up" || e.kind === "wheel-down") {
      this.state.scroll(section, (e.kind === "wheel-up" ? -1 : 1) * WHEEL_ROWS);
      return;
    }
    if (e.kind !== "press" || e.button !== "left") return;
    this.state.setFocus(section);
    const rows = layout.childRows;
    if (section !== "children" || !contains(rows, e.x, e.y)) return;
    const i = this.state.childScroll + (e.y - rows.y);
    const child = this.state.children()[i];
    if (!child) return;
    const before = this.state.selectedChildPid;
    this.state.selectChildIndex(i);
    if (this.childClicks.click(child.pid, this.clock.now()) && before === child.pid) this.ctx.open(child.pid, child.name);
  }

  private stopAll(): void {
    this.stopped.details = true;
    this.stopped.journal = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  dispose(): void {
    this.disposed = true;
    this.stopAll();
  }
}
