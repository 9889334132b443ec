/**
 * The details view inside the real App, with a fake connector and a manual
 * clock: what it asks for and how often, opening children and the parent,
 * going back with the selection intact, exits, reconnections, the mouse.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { JournalReply, ProcessMetricsReply } from "@socktop/protocol";
import { detailsViewFactory, ProcessDetailsView } from "../src/details-view.js";
import { agentError, child, journal, metricsReply, NO_JOURNAL, PID } from "./helpers/details-fixtures.js";
import { FakeClient, ManualClock, proc, processes, socktopError } from "./helpers/fixtures.js";
import { harness as startApp, type Harness as AppHarness } from "./helpers/app-harness.js";

/** The table holds our process (pid 4242), its parent (1) and its children. */
function tableWithOurProcess() {
  return processes([proc(1, "systemd", 0.1, 12), proc(42, "postgres", 12.5, 512), proc(PID, "api-server", 3.5, 256), proc(4250, "sleep", 0, 1), proc(4251, "report-worker", 1.5, 48)]);
}

interface Harness extends AppHarness {
  calls(kind: "processMetrics" | "journalEntries", pid?: number): number;
  view(): ProcessDetailsView | null;
}

async function harness(): Promise<Harness> {
  const client = new FakeClient();
  client.processesReply = async () => tableWithOurProcess();
  // Every pid answers with the fixture, under its own pid and name.
  client.processMetricsReply = async (pid) => {
    if (pid === PID) return metricsReply();
    const c = child(pid, pid === 1 ? "systemd" : `p${pid}`, `cmd-of-${pid}`);
    return { process: { ...c, parent_pid: pid === 1 ? null : PID }, cached_at: 0 };
  };
  client.journalReply = async () => journal();
  const clock = new ManualClock();
  const h = await startApp({ client, clock, details: detailsViewFactory({ clock }) });
  return {
    ...h,
    render: () => h.render(),
    calls(kind, pid = PID) {
      return client.calls.filter((c) => c === `${kind}:${pid}`).length;
    },
    view() {
      return (h.app as unknown as { details: ProcessDetailsView | null }).details;
    },
  };
}

/** Select our process in the table the way a user would: filter, Enter. */
async function openOurs(h: Harness): Promise<void> {
  h.term.key("/");
  h.term.type("api-server");
  h.term.key("ENTER");
  assert.equal(h.app.state.table.selectedPid, PID);
  h.term.key("c");
  h.term.key("ENTER");
  await h.clock.advance(0);
}

test("Enter opens the view; it asks every second for details and every five for the journal", async () => {
  const h = await harness();
  await openOurs(h);
  const text = h.render();
  assert.match(text, /api-server · PID 4242 ─+ Sleeping/);
  assert.match(text, /cmd {2}node \/srv\/api\/server\.js --port 8080 --workers 4/);
  assert.match(text, /upstream timed out/);
  assert.equal(h.calls("processMetrics"), 1);
  assert.equal(h.calls("journalEntries"), 1);
  await h.clock.advance(10_000);
  assert.equal(h.calls("processMetrics"), 11);
  assert.equal(h.calls("journalEntries"), 3);
  // Ten seconds of history, newest at the right.
  assert.equal(h.view()!.state.cpuHistory.length, 11);
  await h.app.stop();
});

test("never more than one request of each kind in flight", async () => {
  const h = await harness();
  const pending: ((r: ProcessMetricsReply) => void)[] = [];
  const pendingJournal: ((r: JournalReply) => void)[] = [];
  h.client.processMetricsReply = () => new Promise((resolve) => pending.push(resolve));
  h.client.journalReply = () => new Promise((resolve) => pendingJournal.push(resolve));
  await openOurs(h);
  await h.clock.advance(12_000);
  assert.equal(h.calls("processMetrics"), 1, "a slow reply is not stacked up behind");
  assert.equal(h.calls("journalEntries"), 1);
  assert.ok(h.view()!.inFlight.details);
  // It answers late (12 s after it was asked): the next request goes out at once.
  pending[0]!(metricsReply());
  await h.clock.advance(0);
  assert.equal(h.calls("processMetrics"), 2);
  pendingJournal[0]!(journal());
  await h.clock.advance(0);
  assert.equal(h.calls("journalEntries"), 2);
  await h.app.stop();
});

test("Esc closes the view, stops its polling, and leaves the table selection where it was", async () => {
  const h = await harness();
  await openOurs(h);
  const view = h.view()!;
  h.term.key("ESCAPE");
  assert.equal(h.view(), null);
  assert.equal(h.app.state.table.selectedPid, PID);
  assert.match(h.render(), /PID NAME/);
  const before = [h.calls("processMetrics"), h.calls("journalEntries")];
  await h.clock.advance(20_000);
  assert.deepEqual([h.calls("processMetrics"), h.calls("journalEntries")], before, "nothing asked after closing");
  assert.equal(view.polling("details"), false);
  assert.equal(view.polling("journal"), false);
  // A reply that was on its way when the view closed is dropped.
  let late: ((r: ProcessMetricsReply) => void) | null = null;
  h.client.processMetricsReply = () => new Promise((resolve) => (late = resolve));
  h.term.key("ENTER");
  await h.clock.advance(0);
  const second = h.view()!;
  h.term.key("q");
  (late as unknown as (r: ProcessMetricsReply) => void)(metricsReply({ cpu_usage: 99 }));
  await h.clock.advance(0);
  assert.equal(second.state.details, null);
  assert.equal(h.app.state.table.selectedPid, PID);
  await h.app.stop();
});

test("Tab to the children, Enter opens a child; p opens the parent on top; Esc walks back, then lands on the same row", async () => {
  const h = await harness();
  await openOurs(h);
  h.term.key("TAB");
  h.term.key("DOWN");
  let text = h.render();
  assert.match(text, /Children 2 ─+ Enter opens/);
  h.term.key("ENTER");
  await h.clock.advance(0);
  text = h.render();
  assert.match(text, /p4251 · PID 4251/);
  assert.match(text, /cmd {2}cmd-of-4251/);
  assert.equal(h.calls("processMetrics", 4251), 1);
  // The parent's view polls no more once the child's is open.
  const parentCalls = h.calls("processMetrics");
  await h.clock.advance(3000);
  assert.equal(h.calls("processMetrics"), parentCalls);
  assert.equal(h.calls("processMetrics", 4251), 4);
  h.term.key("p");
  await h.clock.advance(0);
  assert.match(h.render(), /api-server · PID 4242/);
  h.term.key("p");
  await h.clock.advance(0);
  text = h.render();
  assert.match(text, /systemd · PID 1/);
  // PID 1 has no parent: p stays put.
  h.term.key("p");
  await h.clock.advance(0);
  assert.match(h.render(), /systemd · PID 1/);
  // Each view was opened on top of the one before: Esc returns to it (as in the original).
  h.term.key("ESCAPE");
  await h.clock.advance(0);
  assert.match(h.render(), /api-server · PID 4242/, "Esc on the parent returns to the child");
  h.term.key("ESCAPE");
  await h.clock.advance(0);
  assert.match(h.render(), /p4251 · PID 4251/);
  h.term.key("ESCAPE");
  await h.clock.advance(0);
  assert.match(h.render(), /api-server · PID 4242/);
  h.term.key("ESCAPE");
  assert.equal(h.view(), null);
  assert.equal(h.app.state.table.selectedPid, PID, "the table never moved");
  await h.app.stop();
});

test("the process exits: 'process exited', the last data stays, polling stops", async () => {
  const h = await harness();
  await openOurs(h);
  await h.clock.advance(2000);
  h.client.processMetricsReply = async (pid) => {
    throw agentError(`Process ${pid} not found`, "NOT_FOUND", pid);
  };
  h.client.journalReply = async (pid) => {
    throw agentError(`Process ${pid} not found`, "NOT_FOUND", pid);
  };
  await h.clock.advance(1000);
  const text = h.render();
  assert.match(text, /✖ process exited/);
  assert.match(text, /cmd {2}node \/srv\/api\/server\.js/);
  assert.match(text, /4242 api-server +1:05\.73/);
  assert.match(text, /upstream timed out/);
  const calls = h.calls("processMetrics") + h.calls("journalEntries");
  await h.clock.advance(20_000);
  assert.equal(h.calls("processMetrics") + h.calls("journalEntries"), calls);
  assert.equal(h.view()!.polling("details"), false);
  assert.equal(h.view()!.polling("journal"), false);
  h.term.key("ESCAPE");
  assert.equal(h.view(), null);
  await h.app.stop();
});

test("no journal on the agent's machine: said in the section, asked again at the journal's pace", async () => {
  const h = await harness();
  h.client.journalReply = async () => {
    throw agentError(NO_JOURNAL, "UNAVAILABLE");
  };
  await openOurs(h);
  const text = h.render();
  assert.match(text, /─ Journal ─+ unavailable ─/);
  assert.match(text, /No systemd journal on this machine/);
  assert.match(text, /4242 api-server/, "the rest of the view works");
  await h.clock.advance(10_000);
  assert.equal(h.calls("journalEntries"), 3);
  await h.app.stop();
});

test("while reconnecting the view waits; it resumes once the link is back", async () => {
  const h = await harness();
  const client = h.client;
  await openOurs(h);
  const asked = (): number => client.calls.filter((x) => x.startsWith("processMetrics:") || x.startsWith("journalEntries:")).length;
  client.drop(socktopError("CONNECTION_CLOSED", "closed"), h.clock.now() + 1000);
  await h.clock.advance(0);
  const before = asked();
  let text = h.render();
  assert.match(text, /◌ waiting for the agent…/);
  assert.match(text, /4242 api-server/, "last data kept");
  await h.clock.advance(900);
  assert.equal(asked(), before, "nothing asked of a dead link");
  await h.clock.advance(100);
  client.attempt();
  client.schedule(socktopError("CONNECTION_FAILED", "refused", { code: "ECONNREFUSED" }), h.clock.now() + 2000);
  await h.clock.advance(2000);
  assert.equal(asked(), before, "nor while the attempts fail");
  client.attempt();
  client.reopen();
  await h.clock.advance(0);
  text = h.render();
  assert.doesNotMatch(text, /waiting for the agent/);
  await h.clock.advance(1000);
  assert.ok(client.calls.slice(-20).includes(`processMetrics:${PID}`), "asked again on the link that is back");
  assert.ok(asked() > before);
  await h.app.stop();
});

test("mouse: click a section to focus it, double-click a child to open it, wheel scrolls", async () => {
  const h = await harness();
  await openOurs(h);
  h.render();
  const view = h.view()!;
  const layout = (view as unknown as { layout: { childRows: { x: number; y: number }; threadRows: { x: number; y: number } } }).layout;
  h.term.mouse({ kind: "wheel-down", button: null, x: layout.threadRows.x + 3, y: layout.threadRows.y + 1 });
  assert.equal(view.state.threadScroll, 3);
  assert.equal(view.state.focus, "threads", "the wheel does not move the focus");
  h.term.click(layout.childRows.x + 3, layout.childRows.y + 1);
  assert.equal(view.state.focus, "children");
  assert.equal(view.state.selectedChildPid, 4251);
  h.term.click(layout.childRows.x + 3, layout.childRows.y + 1);
  await h.clock.advance(0);
  assert.match(h.render(), /PID 4251/);
  await h.app.stop();
});

test("keys: s toggles the thread sort, ? shows the keys and Esc closes them first", async () => {
  const h = await harness();
  await openOurs(h);
  assert.match(h.render(), /by CPU time ▼/);
  h.term.key("s");
  assert.match(h.render(), /by TID ▲/);
  h.term.key("r");
  assert.match(h.render(), /by TID ▼/);
  h.term.key("?");
  assert.match(h.render(), /Details keys/);
  h.term.key("ESCAPE");
  assert.doesNotMatch(h.render(), /Details keys/);
  assert.ok(h.view(), "still in the view");
  h.term.key("z");
  assert.ok(h.view(), "unknown keys do nothing");
  // [ ] scroll the journal, d u page the threads; x closes, as in the original.
  h.term.key("]");
  h.term.key("d");
  h.term.key("u");
  h.term.key("[");
  assert.ok(h.view());
  h.term.key("x");
  assert.equal(h.view(), null);
  h.term.key("q");
  assert.equal(h.view(), null);
  await h.app.stop();
});
