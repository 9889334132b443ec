/** The App with a fake terminal, a fake connector and a hand-driven clock (app and view tests). */
import { App, type DetailsContext, type DetailsView } from "../../src/app.js";
import { DEFAULT_INTERVALS, type AgentClient } from "../../src/session.js";
import { createTheme } from "../../src/theme.js";
import { FakeClient, FakeTerminal, flush, ManualClock } from "./fixtures.js";

export interface Harness {
  app: App;
  term: FakeTerminal;
  clock: ManualClock;
  client: FakeClient;
  quits: number;
  render(): string;
}

export async function harness(
  options: { w?: number; h?: number; details?: (ctx: DetailsContext) => DetailsView; source?: () => Promise<AgentClient>; client?: FakeClient } = {},
): Promise<Harness> {
  const term = new FakeTerminal(options.w ?? 80, options.h ?? 24);
  const clock = new ManualClock();
  const client = options.client ?? new FakeClient();
  const h: Harness = {
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
    source: options.source ?? (async () => client),
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
