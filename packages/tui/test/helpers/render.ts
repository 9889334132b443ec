/** Drawing the single-host view in tests: one render context, one connected state, one frame at a size. */
import { renderFrame } from "../../src/render.js";
import { Screen } from "../../src/screen.js";
import { DEFAULT_INTERVALS } from "../../src/session.js";
import { AppState } from "../../src/state.js";
import { createTheme } from "../../src/theme.js";
import type { RenderContext } from "../../src/widgets.js";
import { metrics, processes } from "./fixtures.js";

/** What the App would pass to the renderers for ws://127.0.0.1:3231/ws, with colours on. */
export function renderContext(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    theme: createTheme(true),
    now: Date.now(),
    target: "127.0.0.1:3231",
    url: "ws://127.0.0.1:3231/ws",
    tls: false,
    tlsCa: null,
    verifyHostname: false,
    version: "0.1.0",
    intervals: { ...DEFAULT_INTERVALS },
    demo: false,
    ...overrides,
  };
}

/** A connected state with one metrics reply and the fixture process list, both at `at`. */
export function connectedState(at: number, list = processes()): AppState {
  const s = new AppState();
  s.conn.phase = "open";
  s.applyMetrics(metrics(), at);
  s.applyProcesses(list, at);
  return s;
}

/** One frame of `state` on a w×h screen. */
export function drawFrame(state: AppState, w: number, h: number, ctx: RenderContext = renderContext()): Screen {
  const screen = new Screen(w, h);
  renderFrame(screen, state, ctx);
  return screen;
}

/** The smallest usual terminal and a large one: layouts are checked at both. */
export const BOTH_SIZES: readonly (readonly [number, number])[] = [
  [80, 24],
  [200, 60],
];
