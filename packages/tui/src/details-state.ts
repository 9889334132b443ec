/**
 * What the process details view shows, and the rules that change it. Like
 * state.ts: no terminal and no socket here. The view's pollers feed replies
 * and errors in, key and mouse handlers move the focus and the scroll
 * positions, and the renderer reads the result.
 */
import type { JournalReply, ProcessDetails, ProcessMetricsReply, ThreadInfo } from "@socktop/protocol";
import { Ring } from "./state.js";

/** Ten minutes of CPU% samples at one a second. */
export const DETAILS_HISTORY = 600;

export type ThreadSortKey = "cpu" | "tid";
export type DetailsFocus = "threads" | "children" | "journal";
export const FOCUS_ORDER: readonly DetailsFocus[] = ["threads", "children", "journal"];

export function threadCpuTime(t: ThreadInfo): number {
  return t.cpu_time_user + t.cpu_time_system;
}

/**
 * Busiest first by CPU time, or by TID. Ties go to the lower TID whatever the
 * direction, so equal rows never swap places between refreshes.
 */
export function sortThreads(threads: readonly ThreadInfo[], key: ThreadSortKey, descending: boolean): ThreadInfo[] {
  const dir = descending ? -1 : 1;
  const cmp = key === "cpu" ? (a: ThreadInfo, b: ThreadInfo) => threadCpuTime(a) - threadCpuTime(b) : (a: ThreadInfo, b: ThreadInfo) => a.tid - b.tid;
  return [...threads].sort((a, b) => dir * cmp(a, b) || a.tid - b.tid);
}

/**
 * Bytes per second. `null` means "not measured": no earlier sample yet, or
 * the counter went backwards. A counter the agent may not read at all is a
 * different thing, reported by `IoRates.readable`.
 */
export interface IoRates {
  read: number | null;
  write: number | null;
  /** False when the agent could not read the counters (another user's process): shown as "n/a". */
  readable: { read: boolean; write: boolean };
}

/** I/O rates from successive cumulative rchar/wchar readings. */
export class IoRateTracker {
  private prev: { read: number | null; write: number | null; at: number } | null = null;

  update(read: number | null, write: number | null, atMs: number): IoRates {
    const prev = this.prev;
    this.prev = { read, write, at: atMs };
    const readable = { read: read !== null, write: write !== null };
    if (prev === null || atMs <= prev.at) return { read: null, write: null, readable };
    const dt = (atMs - prev.at) / 1000;
    // A counter that went backwards belongs to something else (a reused pid,
    // a counter reset): no figure this time, the new reading is the baseline.
    const rate = (cur: number | null, old: number | null): number | null =>
      cur === null || old === null || cur < old ? null : (cur - old) / dt;
    return { read: rate(read, prev.read), write: rate(write, prev.write), readable };
  }

  reset(): void {
    this.prev = null;
  }
}

interface ErrorLike {
  code?: unknown;
  agentCode?: unknown;
  agentMessage?: unknown;
  message?: unknown;
}

/** The agent answered with an error object (as opposed to the link failing). */
export function isAgentError(error: unknown): boolean {
  return (error as ErrorLike | null)?.code === "AGENT_ERROR";
}

/** The agent's own words of an AgentError, else the error's message. */
export function agentMessage(error: unknown): string {
  const e = error as ErrorLike | null;
  if (typeof e?.agentMessage === "string") return e.agentMessage;
  if (typeof e?.message === "string") return e.message;
  return String(error);
}

/**
 * "Process N not found", from either protocol: protocol 2 says NOT_FOUND,
 * protocol-1 agents (ours and the original) only have the message.
 */
export function isProcessGone(error: unknown): boolean {
  if (!isAgentError(error)) return false;
  const e = error as ErrorLike;
  return e.agentCode === "NOT_FOUND" || /^Process \d+ not found\b/i.test(agentMessage(error));
}

export class DetailsState {
  readonly pid: number;
  /** The table's name until the first reply, then the agent's. */
  name: string;
  details: ProcessDetails | null = null;
  /** Epoch ms of the last details reply. */
  detailsAt: number | null = null;
  readonly cpuHistory = new Ring(DETAILS_HISTORY);
  io: IoRates = { read: null, write: null, readable: { read: true, write: true } };
  /** The process is gone; what was last seen stays on screen. */
  exited = false;
  exitedAt: number | null = null;
  /** The agent has no details for this pid at all (a kernel thread, a thread id): its words. */
  unavailable: string | null = null;
  /** The last failed details request that did not end the view (e.g. an agent without the request). */
  detailsError: string | null = null;
  journal: JournalReply | null = null;
  journalAt: number | null = null;
  /** Why there is no journal (no systemd journal on the agent's machine, no permission…). */
  journalError: string | null = null;

  threadSort: ThreadSortKey = "cpu";
  threadDescending = true;
  threadScroll = 0;
  journalScroll = 0;
  childScroll = 0;
  selectedChildPid: number | null = null;
  focus: DetailsFocus = "threads";
  /** Rows each section shows at once; the renderer sets them every frame. */
  readonly pages: Record<DetailsFocus, number> = { threads: 10, children: 5, journal: 5 };

  private readonly ioTracker = new IoRateTracker();
  private sorted: ThreadInfo[] | null = null;

  constructor(pid: number, name: string) {
    this.pid = pid;
    this.name = name;
  }

  /** Returns false when the reply was not taken (the process already exited). */
  applyDetails(reply: ProcessMetricsReply, atMs: number): boolean {
    if (this.exited || this.unavailable !== null) return false;
    const p = reply.process;
    // Same pid, other start time: the process we were showing exited and the
    // pid went to a new one, which is not what the user opened.
    if (this.details !== null && p.start_time !== this.details.start_time) {
      this.markExited(atMs);
      return false;
    }
    const prevChild = this.selectedChildIndex();
    this.details = p;
    this.detailsAt = atMs;
    this.detailsError = null;
    if (p.name) this.name = p.name;
    this.cpuHistory.push(Math.max(0, Math.min(100, Number.isFinite(p.cpu_usage) ? p.cpu_usage : 0)));
    this.io = this.ioTracker.update(p.read_bytes, p.write_bytes, atMs);
    this.sorted = null;
    this.clampScrolls();
    this.followChildSelection(prevChild);
    return true;
  }

  /** Returns true when polling should go on. */
  applyDetailsError(error: unknown, atMs: number): boolean {
    if (isProcessGone(error)) {
      const message = agentMessage(error);
      // "Process N not found: N (kworker/0:1) is a kernel thread…": nothing to
      // show ever, and not an exit. A plain "not found" is an exit, even one
      // that happened between the table's last refresh and the first reply.
      if (this.details === null && /not found:\s*\S/i.test(message)) this.unavailable = message;
      else this.markExited(atMs);
      return false;
    }
    // Link failures are the header's business (and the session reconnects);
    // only the agent's own refusal is worth saying here.
    if (isAgentError(error)) this.detailsError = agentMessage(error);
    return true;
  }

  markExited(atMs: number): void {
    if (this.exited) return;
    this.exited = true;
    this.exitedAt = atMs;
  }

  applyJournal(reply: JournalReply, atMs: number): void {
    this.journal = reply;
    this.journalAt = atMs;
    this.journalError = null;
    this.clampScrolls();
  }

  /** Returns true when polling should go on. */
  applyJournalError(error: unknown): boolean {
    // The details poll decides about exits; the journal just stops asking.
    if (isProcessGone(error)) return false;
    if (isAgentError(error)) this.journalError = agentMessage(error);
    return true;
  }

  /** The threads in the chosen order (computed once per reply and sort change). */
  threads(): readonly ThreadInfo[] {
    this.sorted ??= sortThreads(this.details?.threads ?? [], this.threadSort, this.threadDescending);
    return this.sorted;
  }

  children(): readonly ProcessDetails[] {
    return this.details?.child_processes ?? [];
  }

  journalEntries(): JournalReply["entries"] {
    return this.journal?.entries ?? [];
  }

  /** `s`: CPU time (busiest first) and TID (in order) take turns. */
  toggleThreadSort(): void {
    this.threadSort = this.threadSort === "cpu" ? "tid" : "cpu";
    this.threadDescending = this.threadSort === "cpu";
    this.sorted = null;
  }

  reverseThreads(): void {
    this.threadDescending = !this.threadDescending;
    this.sorted = null;
  }

  /** The average and latest CPU% of the newest `n` samples. */
  cpuStats(n: number): { values: number[]; current: number | null; average: number | null; peak: number } {
    const values = this.cpuHistory.tail(n);
    if (values.length === 0) return { values, current: null, average: null, peak: 0 };
    let sum = 0;
    let peak = 0;
    for (const v of values) {
      sum += v;
      if (v > peak) peak = v;
    }
    return { values, current: values[values.length - 1]!, average: sum / values.length, peak };
  }

  cycleFocus(delta: number): void {
    const i = FOCUS_ORDER.indexOf(this.focus);
    this.focus = FOCUS_ORDER[(i + delta + FOCUS_ORDER.length) % FOCUS_ORDER.length]!;
    if (this.focus === "children") this.followChildSelection();
  }

  setFocus(focus: DetailsFocus): void {
    this.focus = focus;
    if (focus === "children") this.followChildSelection();
  }

  selectedChild(): ProcessDetails | null {
    const pid = this.selectedChildPid;
    return pid === null ? null : (this.children().find((c) => c.pid === pid) ?? null);
  }

  selectedChildIndex(): number {
    const pid = this.selectedChildPid;
    return pid === null ? -1 : this.children().findIndex((c) => c.pid === pid);
  }

  selectChildIndex(i: number): void {
    const list = this.children();
    if (list.length === 0) return;
    const j = Math.max(0, Math.min(list.length - 1, i));
    this.selectedChildPid = list[j]!.pid;
    const page = Math.max(1, this.pages.children);
    if (j < this.childScroll) this.childScroll = j;
    else if (j >= this.childScroll + page) this.childScroll = j - page + 1;
  }

  /** Arrows, pages, Home/End: scroll the focused section, or move the child selection. */
  move(delta: number): void {
    switch (this.focus) {
      case "threads":
        this.threadScroll += delta;
        break;
      case "journal":
        this.journalScroll += delta;
        break;
      case "children":
        this.selectChildIndex(this.selectedChildIndex() + delta);
        return;
    }
    this.clampScrolls();
  }

  /** The mouse wheel scrolls whatever is under it, focused or not. */
  scroll(section: DetailsFocus, delta: number): void {
    if (section === "threads") this.threadScroll += delta;
    else if (section === "journal") this.journalScroll += delta;
    else this.childScroll += delta;
    this.clampScrolls();
  }

  setPage(section: DetailsFocus, rows: number): void {
    this.pages[section] = Math.max(1, rows);
    this.clampScrolls();
  }

  maxScroll(section: DetailsFocus): number {
    const n = section === "threads" ? this.threads().length : section === "journal" ? this.journalEntries().length : this.children().length;
    return Math.max(0, n - this.pages[section]);
  }

  private clampScrolls(): void {
    const clamp = (v: number, section: DetailsFocus): number => Math.max(0, Math.min(v, this.maxScroll(section)));
    this.threadScroll = clamp(this.threadScroll, "threads");
    this.journalScroll = clamp(this.journalScroll, "journal");
    this.childScroll = clamp(this.childScroll, "children");
  }

  /**
   * Keep the child selection on the same pid across refreshes; when that
   * child exits, its neighbour takes over (as in the process table), and
   * with nothing selected yet the first child is.
   */
  private followChildSelection(prevIndex = -1): void {
    const list = this.children();
    if (list.length === 0) {
      this.selectedChildPid = null;
      this.childScroll = 0;
      return;
    }
    if (this.selectedChildPid !== null && this.selectedChildIndex() >= 0) return;
    this.selectChildIndex(prevIndex >= 0 ? Math.min(prevIndex, list.length - 1) : 0);
  }
}
