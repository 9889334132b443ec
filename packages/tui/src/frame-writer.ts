/**
 * Double-buffered frames for one terminal: a frame is drawn from scratch into
 * the back buffer, only its difference from what the terminal shows is
 * written, and the buffers swap. Shared by the single-host view and the fleet
 * overview so that both count, size and swap their frames the same way.
 */
import { diffScreens, Screen } from "./screen.js";
import type { TerminalIO } from "./terminal.js";

/** Frames drawn, bytes written and time spent drawing: for the benchmark and tests. */
export interface FrameStats {
  frames: number;
  bytes: number;
  renderMs: number;
}

export class FrameWriter {
  private front: Screen | null = null;
  private back: Screen;
  readonly stats: FrameStats = { frames: 0, bytes: 0, renderMs: 0 };

  constructor(private readonly term: TerminalIO) {
    this.back = new Screen(term.width, term.height);
  }

  /** The frame currently on the terminal, or null before the first one (tests read it). */
  get screen(): Screen | null {
    return this.front;
  }

  /** The terminal no longer shows our last frame (resized, or another view drew over it): the next frame is written whole. */
  forget(): void {
    this.front = null;
  }

  /** Draws a frame with `draw` at the terminal's current size and writes what changed. */
  paint<T>(draw: (screen: Screen) => T): T {
    // process.hrtime, not performance.now(): the `performance` global loads node's perf_hooks (~0.8 MB of RSS).
    const t0 = process.hrtime.bigint();
    const w = this.term.width;
    const h = this.term.height;
    if (this.back.width !== w || this.back.height !== h) {
      this.back.resize(w, h);
      this.front = null;
    }
    const result = draw(this.back);
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
    this.stats.renderMs += Number(process.hrtime.bigint() - t0) / 1e6;
    return result;
  }
}
