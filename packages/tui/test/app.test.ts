/**
 * The App with a fake terminal and a fake connector: keys and mouse change
 * state, frames reach the terminal as diffs, the details seam works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DETAILS_KEY_TABLE, FLEET_KEY_TABLE, KEY_TABLE } from "../src/keys.js";
import { formatClock } from "../src/format.js";
import { helpLines } from "../src/render.js";
import { FakeClient, manyProcesses, socktopError } from "./helpers/fixtures.js";
import { harness } from "./helpers/app-harness.js";

function rowOf(text: string, needle: string): number {
  return text.split("\n").findIndex((r) => r.includes(needle));
}

test("data arrives and is drawn; the token never reaches the screen", async () => {
  const h = await harness();
  const text = h.render();
  assert.match(text, /testhost/);
  assert.match(text, /CPU 42\.5%/);
  assert.match(text, /postgres/);
  assert.ok(!h.term.written.includes("secret"));
  await h.app.stop();
});

test("an unchanged frame writes nothing; a changed one writes a little", async () => {
  const h = await harness();
  h.render();
  const before = h.term.written.length;
  h.render();
  assert.equal(h.term.written.length, before, "nothing changed, nothing written");
  h.term.key("j"); // select the first row
  h.render();
  const delta = h.term.written.length - before;
  assert.ok(delta > 0 && delta < 400, `selection change wrote ${delta} bytes`);
  await h.app.stop();
});

test("sort keys and header clicks change the order; a second click reverses", async () => {
  const h = await harness();
  let text = h.render();
  assert.ok(rowOf(text, " node ") < rowOf(text, " postgres "), "by CPU: node first");
  h.term.key("N");
  text = h.render();
  assert.match(text, /▲PID/);
  assert.ok(rowOf(text, " systemd ") < rowOf(text, " postgres "), "by PID ascending");
  const layout = h.app.renderNow();
  const mem = layout.columns.find((c) => c.key === "mem")!;
  h.term.click(mem.x + 1, layout.procHeaderY);
  text = h.render();
  assert.equal(h.app.state.table.sortKey, "mem");
  assert.ok(rowOf(text, " postgres ") < rowOf(text, " node "), "by memory, biggest first");
  h.term.click(mem.x + 1, layout.procHeaderY);
  assert.equal(h.app.state.table.descending, false);
  text = h.render();
  assert.ok(rowOf(text, " bash ") < rowOf(text, " postgres "), "reversed");
  h.term.key("r");
  assert.equal(h.app.state.table.descending, true);
  h.term.key(">");
  assert.equal(h.app.state.table.sortKey, "mem%");
  h.term.key("<");
  h.term.key("<");
  assert.equal(h.app.state.table.sortKey, "cpu");
  await h.app.stop();
});

test("/ filters live; Enter keeps it and selects the first hit; Esc and c clear", async () => {
  const h = await harness();
  h.term.key("/");
  h.term.type("ng");
  let text = h.render();
  assert.match(text, /Processes 1\/5/);
  assert.equal(h.app.state.table.filterEditing, true);
  // Letters are filter text while typing, not commands.
  h.term.key("q");
  assert.equal(h.quits, 0);
  h.term.key("BACKSPACE");
  h.term.key("ENTER");
  assert.equal(h.app.state.table.filter, "ng");
  assert.equal(h.app.state.table.selected()?.name, "nginx");
  text = h.render();
  assert.match(text, /filter “ng” c clears/);
  h.term.key("c");
  assert.equal(h.app.state.table.filter, "");
  h.term.key("/");
  h.term.type("post");
  h.term.key("ESCAPE");
  assert.equal(h.app.state.table.filter, "");
  assert.equal(h.app.state.table.filterEditing, false);
  // Esc with a kept filter clears it instead of quitting.
  h.term.key("/");
  h.term.type("bash");
  h.term.key("ENTER");
  h.term.key("ESCAPE");
  assert.equal(h.app.state.table.filter, "");
  assert.equal(h.quits, 0);
  await h.app.stop();
});

test("wheel, clicks and scrollbar drag", async () => {
  const h = await harness();
  h.client.processesReply = async () => manyProcesses(300);
  await h.clock.advance(2000);
  const layout = h.app.renderNow();
  const rows = layout.procRows!;
  h.term.mouse({ kind: "wheel-down", button: null, x: rows.x + 5, y: rows.y + 2 });
  assert.equal(h.app.state.table.scroll, 3);
  h.term.mouse({ kind: "wheel-up", button: null, x: rows.x + 5, y: rows.y + 2 });
  assert.equal(h.app.state.table.scroll, 0);
  h.term.click(rows.x + 10, rows.y + 4);
  assert.equal(h.app.state.table.selectedIndex(), 4);
  const sb = layout.scrollbar!;
  h.term.mouse({ kind: "press", button: "left", x: sb.x, y: sb.y });
  h.term.mouse({ kind: "drag", button: "left", x: sb.x, y: sb.y + sb.h - 1 });
  assert.equal(h.app.state.table.scroll, h.app.state.table.maxScroll());
  h.term.mouse({ kind: "drag", button: "left", x: sb.x, y: sb.y + Math.floor((sb.h - 1) / 2) });
  const mid = h.app.state.table.scroll;
  assert.ok(mid > 100 && mid < 200, `middle of the track → middle of the list (${mid})`);
  h.term.mouse({ kind: "release", button: null, x: sb.x, y: sb.y });
  h.term.mouse({ kind: "drag", button: "left", x: sb.x, y: sb.y });
  assert.equal(h.app.state.table.scroll, mid, "no drag after release");
  // Wheel over the cores scrolls the cores.
  h.client.metricsReply = async () => ({ ...(await new FakeClient().metrics()), cpu_per_core: new Array(32).fill(1) });
  await h.clock.advance(500);
  const l2 = h.app.renderNow();
  h.term.mouse({ kind: "wheel-down", button: null, x: l2.cores!.x + 3, y: l2.cores!.y + 2 });
  assert.equal(h.app.state.coreScroll, 1);
  h.term.key("]");
  assert.equal(h.app.state.coreScroll, 2);
  h.term.key("[");
  assert.equal(h.app.state.coreScroll, 1);
  await h.app.stop();
});

test("keyboard navigation of the selection", async () => {
  const h = await harness();
  h.client.processesReply = async () => manyProcesses(100);
  await h.clock.advance(2000);
  h.app.renderNow();
  const t = h.app.state.table;
  h.term.key("DOWN");
  assert.equal(t.selectedIndex(), 0);
  h.term.key("DOWN");
  h.term.key("j");
  assert.equal(t.selectedIndex(), 2);
  h.term.key("UP");
  h.term.key("k");
  assert.equal(t.selectedIndex(), 0);
  h.term.key("PAGE_DOWN");
  assert.equal(t.selectedIndex(), t.pageSize - 1);
  h.term.key("END");
  assert.equal(t.selectedIndex(), 99);
  h.term.key("PAGE_UP");
  assert.equal(t.selectedIndex(), 99 - (t.pageSize - 1));
  h.term.key("HOME");
  assert.equal(t.selectedIndex(), 0);
  h.term.key("G");
  assert.equal(t.selectedIndex(), 99);
  h.term.key("g");
  assert.equal(t.selectedIndex(), 0);
  await h.app.stop();
});

test("Enter without a details view only selects; with one, opens it and Esc comes back", async () => {
  const plain = await harness();
  plain.term.key("ENTER");
  assert.equal(plain.app.state.table.selected()?.name, "node");
  await plain.app.stop();

  const opened: number[] = [];
  let disposed = 0;
  const h = await harness({
    details: (ctx) => {
      opened.push(ctx.pid);
      assert.ok(ctx.client(), "the view can make its own requests");
      return {
        render: (screen, area) => screen.put(area.x, area.y, `DETAILS ${ctx.pid} ${ctx.name}`),
        handleKey: (name) => (name === "x" ? "close" : "ignored"),
        dispose: () => disposed++,
      };
    },
  });
  h.term.key("DOWN");
  h.term.key("DOWN");
  const pid = h.app.state.table.selectedPid;
  h.term.key("ENTER");
  assert.deepEqual(opened, [pid]);
  assert.match(h.render(), new RegExp(`DETAILS ${pid} postgres`));
  // Data keeps arriving underneath; the table keeps its selection.
  await h.clock.advance(2000);
  h.term.key("ESCAPE");
  assert.equal(disposed, 1);
  assert.equal(h.quits, 0);
  assert.equal(h.app.state.table.selectedPid, pid);
  assert.doesNotMatch(h.render(), /DETAILS/);
  // Double-click on a row opens it too.
  const layout = h.app.renderNow();
  const rows = layout.procRows!;
  h.term.click(rows.x + 10, rows.y);
  h.term.click(rows.x + 10, rows.y);
  assert.equal(opened.length, 2);
  h.term.key("x");
  assert.equal(disposed, 2);
  await h.app.stop();
});

test("help and about modals; q and Esc close them before quitting", async () => {
  const h = await harness();
  h.term.key("h");
  assert.match(h.render(), /─ Keys ─/);
  h.term.key("q");
  assert.equal(h.quits, 0);
  assert.equal(h.app.state.modal, null);
  h.term.key("?");
  assert.equal((h.app.state.modal as { kind: string } | null)?.kind, "help");
  h.term.key("a");
  assert.match(h.render(), /─ About ─/);
  assert.match(h.render(), /token=•••/);
  h.term.key("ESCAPE");
  assert.equal(h.app.state.modal, null);
  h.term.key("q");
  assert.equal(h.quits, 1);
  await h.app.stop();
});

test("Ctrl-C quits from anywhere, even while typing a filter", async () => {
  const h = await harness();
  h.term.key("/");
  h.term.key("CTRL_C");
  assert.equal(h.quits, 1);
  await h.app.stop();
});

test("connection loss: stale banner with the connector's cause and countdown, then back to live data", async () => {
  const h = await harness();
  const client = h.client;
  assert.doesNotMatch(h.render(), /stale/);
  client.drop(socktopError("CONNECTION_CLOSED", "The agent closed the connection"), h.clock.now() + 1000);
  await h.clock.advance(0);
  let text = h.render();
  assert.match(text, /✖ stale · retry 1s/);
  assert.match(text, /⚠ connection to 127\.0\.0\.1:3231 lost/);
  assert.match(text, /postgres/, "the last data stays");
  await h.clock.advance(1000);
  client.attempt();
  text = h.render();
  assert.match(text, /◌ reconnecting…/);
  assert.match(text, /reconnecting \(attempt 2\)…/);
  client.schedule(socktopError("CONNECTION_FAILED", "refused", { code: "ECONNREFUSED" }), h.clock.now() + 2000);
  text = h.render();
  assert.match(text, /connection refused: no agent listening on 127\.0\.0\.1:3231/);
  assert.match(text, /retrying in 2s \(attempt 3\)/);
  client.onRetryNow = () => client.reopen();
  h.term.key("R"); // skip the countdown: the connector's retryNow()
  assert.equal(client.retries, 1);
  await h.clock.advance(0);
  text = h.render();
  assert.doesNotMatch(text, /stale/);
  assert.match(text, /● connected/);
  await h.app.stop();
});

test("resizing redraws everything at the new size", async () => {
  const h = await harness();
  h.render();
  h.term.resize(120, 40);
  h.term.written = "";
  const text = h.render();
  assert.equal(text.split("\n").length, 40);
  assert.ok(h.term.written.startsWith("\x1b[0m\x1b[2J"));
  h.term.resize(30, 10);
  assert.match(h.render(), /socktop needs 40×12/);
  await h.app.stop();
});

test("halt (the demo's agent died): the cause stays in the banner and nothing is retried", async () => {
  const h = await harness();
  h.client.drop(socktopError("CONNECTION_CLOSED", "The agent closed the connection"), h.clock.now() + 1000);
  await h.clock.advance(0);
  h.app.halt("the demo agent stopped unexpectedly (exit status 1)", "Error: EMFILE: too many open files");
  for (let i = 0; i < 30; i++) await h.clock.advance(1000);
  h.term.key("R");
  await h.clock.advance(0);
  const text = h.render();
  assert.equal(h.client.closed, true, "the connection is closed: the connector makes no more attempts");
  assert.equal(h.client.retries, 0, "R retries nothing");
  assert.match(text, /✖ stopped/);
  assert.match(text, /⚠ the demo agent stopped unexpectedly \(exit status 1\)/);
  assert.match(text, /q quits · Error: EMFILE: too many open files · stale data from 30s ago/);
  assert.doesNotMatch(text, /retry|refused/);
  h.term.key("q");
  assert.equal(h.quits, 1);
  await h.app.stop();
});

test("the original's keys: A about, H help, Q quit, C clears the filter, x clears the selection, ← → scroll the cores, O sorts by name", async () => {
  const h = await harness();
  h.term.key("A");
  assert.equal(h.app.state.modal?.kind, "about");
  assert.equal(h.app.state.table.sortKey, "cpu", "A no longer sorts");
  h.term.key("A");
  assert.equal(h.app.state.modal, null);
  h.term.key("H");
  // (A cast: the assertion above narrowed the modal to null for the compiler.)
  assert.equal((h.app.state.modal as { kind: string } | null)?.kind, "help");
  // The help lists the keys of every view.
  const help = helpLines().map((l) => `${l.keys} ${l.action}`).join("\n");
  for (const k of [...KEY_TABLE, ...DETAILS_KEY_TABLE, ...FLEET_KEY_TABLE]) assert.ok(help.includes(k.action), k.action);
  h.term.key("H");
  h.term.key("O");
  assert.equal(h.app.state.table.sortKey, "name");
  h.term.key("/");
  h.term.type("ng");
  h.term.key("ENTER");
  assert.equal(h.app.state.table.filter, "ng");
  h.term.key("C");
  assert.equal(h.app.state.table.filter, "");
  h.term.key("DOWN");
  assert.notEqual(h.app.state.table.selectedPid, null);
  h.term.key("x");
  assert.equal(h.app.state.table.selectedPid, null);
  h.term.key("DOWN");
  h.term.key("X");
  assert.equal(h.app.state.table.selectedPid, null);
  h.client.metricsReply = async () => ({ ...(await new FakeClient().metrics()), cpu_per_core: new Array(64).fill(1) });
  await h.clock.advance(500);
  h.app.renderNow();
  h.term.key("RIGHT");
  assert.equal(h.app.state.coreScroll, 1);
  h.term.key("LEFT");
  assert.equal(h.app.state.coreScroll, 0);
  h.term.key("Q");
  assert.equal(h.quits, 1);
  await h.app.stop();
});

test("details: p opens the parent on top and Esc returns to the child; x closes", async () => {
  const opened: number[] = [];
  let disposed = 0;
  const h = await harness({
    details: (ctx) => {
      opened.push(ctx.pid);
      return {
        render: (screen, area) => screen.put(area.x, area.y, `DETAILS ${ctx.pid}`),
        handleKey: (name) => {
          if (name === "p") {
            ctx.open(1, "init");
            return "handled";
          }
          return name === "ESCAPE" || name === "x" ? "close" : "ignored";
        },
        dispose: () => disposed++,
      };
    },
  });
  h.term.key("DOWN");
  const pid = h.app.state.table.selectedPid!;
  h.term.key("ENTER");
  h.term.key("p");
  assert.match(h.render(), /DETAILS 1\b/);
  h.term.key("ESCAPE");
  assert.match(h.render(), new RegExp(`DETAILS ${pid}\\b`), "Esc on the parent returns to the child");
  assert.deepEqual(opened, [pid, 1, pid]);
  h.term.key("x");
  assert.doesNotMatch(h.render(), /DETAILS/);
  assert.equal(disposed, 3);
  assert.equal(h.quits, 0);
  await h.app.stop();
});

test("while metrics flow no timer wakes the TUI for nothing; when they stop the clock still moves each second", async () => {
  const h = await harness({ w: 120, h: 40 });
  await h.clock.advance(2000);
  const fired0 = h.clock.fired;
  const calls0 = h.client.calls.length;
  const frames0 = h.app.stats.frames;
  await h.clock.advance(10_000);
  const requests = h.client.calls.length - calls0;
  assert.ok(requests >= 25, `metrics every 500 ms, processes every 2 s (${requests})`);
  // Every timer that fired asked for something: none for the header's clock, whose
  // second the metrics frames carry.
  assert.equal(h.clock.fired - fired0, requests);
  assert.ok(h.app.stats.frames - frames0 >= 20);
  // The clock shown is at most one metrics interval old.
  const now = h.clock.now();
  assert.match(h.app.screen!.text(), new RegExp(`${formatClock(new Date(now))}|${formatClock(new Date(now - 500))}`));

  // The agent stops answering (a stalled link): the clock ticks on by itself.
  h.client.metricsReply = () => new Promise(() => undefined);
  h.client.processesReply = () => new Promise(() => undefined);
  h.client.disksReply = () => new Promise(() => undefined);
  await h.clock.advance(1500);
  for (let i = 0; i < 3; i++) {
    const frames = h.app.stats.frames;
    await h.clock.advance(1000);
    assert.equal(h.app.stats.frames, frames + 1, "one frame a second for the clock");
    assert.match(h.app.screen!.text(), new RegExp(formatClock(new Date(h.clock.now()))));
  }

  // Hidden behind the fleet view: nothing drawn, no timer of its own.
  h.app.setVisible(false);
  await h.clock.advance(1000);
  const hiddenFrames = h.app.stats.frames;
  const hiddenDelays = h.clock.delays.length;
  await h.clock.advance(5000);
  assert.equal(h.app.stats.frames, hiddenFrames);
  assert.deepEqual(h.clock.delays.slice(hiddenDelays), [], "no timer armed while hidden and nothing arrives");
  await h.app.stop();
});

test("a reply that arrives while a metrics request is in flight waits for it without a timer: one frame for both", async () => {
  const h = await harness({ w: 120, h: 40 });
  await h.clock.advance(1900);
  const deferred = <T>() => {
    let resolve!: (v: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
  };
  const fresh = new FakeClient();
  const procs = deferred<Awaited<ReturnType<FakeClient["processes"]>>>();
  const metrics = deferred<Awaited<ReturnType<FakeClient["metrics"]>>>();
  h.client.processesReply = () => procs.promise;
  h.client.metricsReply = () => metrics.promise;
  await h.clock.advance(100); // the 2 s burst: both requests out
  assert.deepEqual(h.client.calls.slice(-2).sort(), ["metrics", "processes"]);
  const frames = h.app.stats.frames;
  const delays = h.clock.delays.length;
  procs.resolve(await fresh.processes());
  await h.clock.advance(0);
  assert.equal(h.app.stats.frames, frames, "no frame for the process list alone");
  const armed = h.clock.delays.slice(delays);
  assert.ok(armed.every((ms) => ms >= 500), `only the next poll is armed, no short wait for the metrics reply (${armed.join(", ")})`);
  metrics.resolve(await fresh.metrics());
  await h.clock.advance(0);
  assert.equal(h.app.stats.frames, frames + 1, "one frame once the metrics reply is in");
  await h.app.stop();
});
