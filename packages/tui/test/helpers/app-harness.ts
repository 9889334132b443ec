/** The App with a fake terminal, a fake connector and a hand-driven clock (app and view tests). */
import { App, type DetailsViewFactory } from "../../src/app.js";
import { DEFAULT_INTERVALS } from "../../src/session.js";
import { createTheme } from "../../src/theme.js";
import { FakeClient, FakeTerminal, flush, ManualClock } from "./fixtures.js";

export interface Harness<C extends FakeClient = FakeClient> {
  app: App;
  term: FakeTerminal;
  clock: ManualClock;
  client: C;
  /** Times the App asked to quit. */
  quits: number;
  /** Draws a frame now and returns the screen's text. */
  render(): string;
}

export interface HarnessOptions<C extends FakeClient> {
  w?: number;
  h?: number;
  details?: DetailsViewFactory;
  /** The connection (a fresh FakeClient by default). */
  client?: C;
  /** The clock (a fresh one by default): pass it when the details view needs the same clock. */
  clock?: ManualClock;
}

/** Starts an App on ws://…?token=secret (tests check the token never shows) and lets its first replies arrive. */
export async function harness<C extends FakeClient = FakeClient>(options: HarnessOptions<C> = {}): Promise<Harness<C>> {
  const term = new FakeTerminal(options.w ?? 80, options.h ?? 24);
  const clock = options.clock ?? new ManualClock();
  const client = options.client ?? (new FakeClient() as C);
  const h: Harness<C> = {
    term,
    clock,
    client,
    quits: 0,
    app: null as unknown as App,
    render() {
      h.app.renderNow();
      return h.app.screen!.text();
    },
  };
  h.app = new App({
    terminal: term,
    source: async () => client,
    url: "ws://127.0.0.1:3231/ws?token=secret",
    intervals: { ...DEFAULT_INTERVALS },
    theme: createTheme(true),
    version: "0.1.0",
    tls: false,
    clock,
    ...(options.details ? { details: options.details } : {}),
    onQuit: () => h.quits++,
  });
  h.app.start();
  await clock.advance(0);
  await flush();
  return h;
}
