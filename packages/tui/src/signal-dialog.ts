/**
 * The signal dialog (`t`, the original's kill key): names the process and the
 * signal, sends nothing until confirmed, then shows the agent's answer. The
 * agent only accepts signals when started with --allow-signals; its typed
 * refusals become one clear sentence each.
 */
import type { SignalName, SignalReply } from "@socktop/protocol";
import { modalRect } from "./layout.js";
import { sanitize, truncate } from "./format.js";
import type { Screen } from "./screen.js";
import { wrap, type RenderContext } from "./widgets.js";

export const SIGNALS: readonly SignalName[] = ["TERM", "INT", "HUP", "KILL", "STOP", "CONT"];

export type SignalPhase = "confirm" | "sending" | "sent" | "failed";

/** Sends the signal; the App passes the connection's signal(). */
export type SignalSender = (pid: number, signal: SignalName) => Promise<SignalReply>;

/** The agent's refusal (an AgentError) or any other failure, as one sentence. */
export function describeSignalError(error: unknown, signal: SignalName, pid: number): string {
  const e = error as { agentCode?: unknown; agentMessage?: unknown; message?: unknown } | null;
  const code = typeof e?.agentCode === "string" ? e.agentCode : null;
  const said = typeof e?.agentMessage === "string" && e.agentMessage !== "" ? `: ${e.agentMessage}` : "";
  switch (code) {
    case "UNKNOWN_REQUEST":
      return "This agent does not accept signals: start it with --allow-signals (and a token unless it listens on loopback only).";
    case "FORBIDDEN":
      return `The agent refused to send ${signal} to ${pid}${said}.`;
    case "PERMISSION_DENIED":
      return `Permission denied: the agent's user may not signal ${pid}${said}.`;
    case "NOT_FOUND":
      return `Process ${pid} no longer exists.`;
    default:
      return `${signal} to ${pid} failed: ${typeof e?.message === "string" ? e.message : String(error)}`;
  }
}

export class SignalDialog {
  index = 0;
  phase: SignalPhase = "confirm";
  message = "";

  constructor(
    readonly pid: number,
    readonly name: string,
    private readonly send: SignalSender | null,
    private readonly changed: () => void,
  ) {}

  get signal(): SignalName {
    return SIGNALS[this.index]!;
  }

  /** "close" when the dialog should go away. */
  handleKey(key: string): "close" | "handled" {
    if (this.phase === "sending") return key === "ESCAPE" ? "close" : "handled";
    if (this.phase !== "confirm") return "close";
    switch (key) {
      case "ESCAPE":
      case "q":
      case "n":
        return "close";
      case "LEFT":
      case "SHIFT_TAB":
      case "UP":
        this.index = (this.index + SIGNALS.length - 1) % SIGNALS.length;
        return "handled";
      case "RIGHT":
      case "TAB":
      case "DOWN":
        this.index = (this.index + 1) % SIGNALS.length;
        return "handled";
      case "ENTER":
      case "y":
        void this.confirm();
        return "handled";
      default: {
        // The first letter picks a signal: T I H K S C.
        const i = SIGNALS.findIndex((s) => s[0] === key.toUpperCase() && key.length === 1);
        if (i >= 0) this.index = i;
        return "handled";
      }
    }
  }

  async confirm(): Promise<void> {
    const signal = this.signal;
    if (!this.send) {
      this.phase = "failed";
      this.message = "Not connected to the agent.";
      this.changed();
      return;
    }
    this.phase = "sending";
    this.changed();
    try {
      const reply = await this.send(this.pid, signal);
      this.phase = "sent";
      this.message = `Sent ${reply.signal} to ${reply.pid} (${sanitize(reply.name)}).`;
    } catch (error) {
      this.phase = "failed";
      this.message = describeSignalError(error, signal, this.pid);
    }
    this.changed();
  }

  render(screen: Screen, ctx: RenderContext, box: (screen: Screen, rect: { x: number; y: number; w: number; h: number }, title: string, ctx: RenderContext) => void): void {
    const { theme } = ctx;
    const rect = modalRect(screen.width, screen.height, 64, 9);
    box(screen, rect, "Signal", ctx);
    const w = rect.w - 4;
    const x = rect.x + 2;
    screen.put(x, rect.y + 1, truncate(`Send ${this.signal} to ${this.pid} ${sanitize(this.name)}?`, w), theme.bold);
    let cx = x;
    for (let i = 0; i < SIGNALS.length; i++) {
      const s = SIGNALS[i]!;
      cx = screen.put(cx, rect.y + 3, ` ${s} `, i === this.index ? theme.selected : theme.text, rect.x + rect.w - 2 - cx);
    }
    const status =
      this.phase === "confirm" ? "Enter/y send · ←→ or T I H K S C pick · Esc cancel" : this.phase === "sending" ? "sending…" : `${this.message}  (any key closes)`;
    // Two lines: the agent's own reason must stay readable.
    const lines = wrap(status, w).slice(0, 2);
    lines.forEach((line, i) => screen.put(x, rect.y + 5 + i, truncate(line, w), this.phase === "failed" ? theme.error : this.phase === "confirm" ? theme.muted : theme.text));
  }
}
