/**
 * Rendering tests of the details view: the whole frame (the app's header
 * included) drawn into the cell buffer from fixture replies, asserted on as
 * text, and on styles where colour or highlight is the point.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DetailsState } from "../src/details-state.js";
import type { DetailsLayout } from "../src/details-layout.js";
import { renderDetails, type DetailsRenderOptions } from "../src/details-render.js";
import { helpText } from "../src/args.js";
import { DETAILS_KEY_TABLE } from "../src/keys.js";
import { renderFrame } from "../src/render.js";
import type { RenderContext } from "../src/widgets.js";
import { DEFAULT_COLOR, DIM, INVERSE, Screen, styleAttrs, styleBg, styleFg } from "../src/screen.js";
import { AppState } from "../src/state.js";
import { createTheme } from "../src/theme.js";
import { agentError, child, details, entry, journal, metricsReply, NO_JOURNAL, NOW, PID, thread } from "./helpers/details-fixtures.js";
import { connectedState, renderContext } from "./helpers/render.js";

function ctx(color = true): RenderContext {
  return renderContext({ theme: createTheme(color), now: NOW });
}

function appState(): AppState {
  const s = connectedState(NOW);
  s.conn.rttMs = 3;
  s.conn.agentVersion = "0.2.0";
  return s;
}

/** A view that has been open for a minute, with the journal read. */
function liveDetails(overrides: Parameters<typeof metricsReply>[0] = {}): DetailsState {
  const s = new DetailsState(PID, "api-server");
  for (let i = 0; i < 60; i++) {
    s.applyDetails(metricsReply({ cpu_usage: 2 + (i % 7), read_bytes: 1_000_000 + i * 150_000, write_bytes: 500_000 + i * 2048, ...overrides }), NOW - (60 - i) * 1000);
  }
  s.applyJournal(journal(), NOW);
  return s;
}

function draw(state: DetailsState, w: number, h: number, options: Partial<DetailsRenderOptions> & { color?: boolean } = {}): { screen: Screen; layout: DetailsLayout; text: string; rows: string[] } {
  const screen = new Screen(w, h);
  let layout: DetailsLayout | null = null;
  renderFrame(screen, appState(), ctx(options.color ?? true), {
    render: (sc, area, c) => {
      layout = renderDetails(sc, area, state, c, { connected: options.connected ?? true, help: options.help ?? false });
    },
  });
  const text = screen.text();
  return { screen, layout: layout!, text, rows: text.split("\n") };
}

function rowWith(rows: string[], needle: string | RegExp): number {
  return rows.findIndex((r) => (typeof needle === "string" ? r.includes(needle) : needle.test(r)));
}

test("80×24: name, pid, command line, metadata, CPU, memory and I/O, threads, children, journal, keys", () => {
  const { text, rows } = draw(liveDetails(), 80, 24);
  assert.equal(rows.length, 24);
  for (const r of rows) assert.ok([...r].length <= 80, `fits: ${r}`);
  // The app's header stays on top.
  assert.match(rows[0]!, /socktop {2}testhost/);
  assert.match(rows[1]!, /^─ api-server · PID 4242 ─+ Sleeping ─$/);
  assert.match(rows[2]!, /^ cmd {2}node \/srv\/api\/server\.js --port 8080 --workers 4$/);
  assert.match(text, /user alice \(1000\) {2}parent 1 {2}started 12:35:39 {2}up 1h 2m {2}threads 12 {2}fds 23/);
  assert.match(text, /cwd \/srv\/api {2}exe \/usr\/bin\/node/);
  assert.match(text, /─ CPU 5\.0% ─+ avg 4\.8% ─┬─ Memory & I\/O ─/);
  assert.match(text, /RSS 256 MiB {2}virt 1\.2 GiB {2}shr 12 MiB/);
  assert.match(text, /read {2}146 KiB\/s +total 9\.4 MiB/);
  assert.match(text, /write 2\.0 KiB\/s +total 606 KiB/);
  // Threads, busiest first, with the main thread on top.
  assert.match(text, /─ Threads 12 ─+ by CPU time ▼ ─┬─ Children 2 ─/);
  assert.match(text, /TID NAME +▼CPU TIME STATE/);
  const main = rowWith(rows, /^ +4242 api-server +1:05\.73 Running/);
  assert.ok(main > 0);
  assert.match(rows[main + 1]!, /^ +4247 node-5 +0:05\.54 Sleeping/);
  // Children beside them.
  assert.match(rows[main]!, /│ +4250 sleep +0\.0% +1\.0M$/);
  assert.match(rows[main + 1]!, /│ +4251 report-wo… +1\.5% +48M$/);
  // The journal, newest first, with journalctl's timestamps and short priorities.
  assert.match(text, /─ Journal 8 ─+ newest first ─/);
  assert.match(text, /May 17 13:37:37 ERR {4}upstream timed out after 30s: GET \/v1\/reports/);
  assert.match(text, /May 17 13:37:30 WARN {3}slow query/);
  assert.match(text, /NOTICE reloaded configuration/);
  assert.match(rows[23]!, /^ Esc back {2}Tab focus {2}↑↓ scroll {2}Enter open child {2}p parent {2}s sort {2}\? keys/);
  // 12 threads in 6 rows: the list scrolls and says so with a scrollbar.
  assert.equal(rows.filter((r) => /^ +\d+ (api-server|node-|libuv-)/.test(r)).length, 6);
  assert.match(rows[main]!, /█│/);
});

test("200×60: more room, more columns, every thread, a wrapped command line", () => {
  const long = `java -Xmx4g -Dconfig=/etc/app/${"x".repeat(200)}.yaml -jar /opt/app/app.jar --mode=server`;
  const s = liveDetails({ command: long });
  const { text, rows } = draw(s, 200, 60);
  assert.equal(rows.length, 60);
  for (const r of rows) assert.ok([...r].length <= 200);
  assert.match(rows[1]!, /─ api-server · PID 4242 ─+ Sleeping ─$/);
  // The command line gets up to three rows before it is cut.
  assert.match(rows[2]!, /^ cmd {2}java -Xmx4g/);
  assert.match(rows[3]!, /^ {6}x+/);
  assert.match(text, /--mode=server/);
  assert.match(text, /user alice \(1000\) {2}parent 1 {2}started 12:35:39 {2}up 1h 2m {2}threads 12 {2}fds 23 {2}cwd \/srv\/api {2}exe \/usr\/bin\/node/);
  assert.match(text, /RSS 256 MiB {2}virtual 1\.2 GiB {2}shared 12 MiB/);
  assert.match(text, /CPU time user 1:05\.73 {2}system 0:05\.20/);
  assert.match(text, /TID NAME +▼CPU TIME +USER +SYS STATE/);
  assert.match(text, /4242 api-server +1:05\.73 +1:01\.23 +0:04\.50 Running/);
  assert.equal(rows.filter((r) => /^ +\d+ (api-server|node-|libuv-)/.test(r)).length, 12, "all 12 threads");
  assert.match(text, /PID NAME +CPU% +MEM COMMAND/);
  assert.match(text, /4251 report-worker +1\.5% +48M node \/srv\/api\/report-worker\.js --queue/);
  // All eight journal entries, every priority.
  for (const p of ["ERR", "WARN", "NOTICE", "INFO", "DEBUG", "CRIT", "ALERT", "EMERG"]) assert.match(text, new RegExp(`\\d\\d:\\d\\d:\\d\\d ${p} `));
});

test("journal lines are coloured by priority; NO_COLOR drops every colour", () => {
  const s = liveDetails();
  const { screen, rows } = draw(s, 200, 60);
  const fgOf = (needle: string): number => {
    const y = rowWith(rows, needle);
    return styleFg(screen.styleAt(rows[y]!.indexOf(needle), y));
  };
  assert.equal(fgOf("upstream timed out"), 1, "Error: red");
  assert.equal(fgOf("worker 3 crashed"), 1, "Critical: red");
  assert.equal(fgOf("disk almost full"), 1, "Alert: red");
  assert.equal(fgOf("cannot continue"), 1, "Emergency: red");
  assert.equal(fgOf("slow query"), 3, "Warning: yellow");
  assert.equal(fgOf("reloaded configuration"), DEFAULT_COLOR, "Notice: default");
  assert.equal(fgOf("listening on"), DEFAULT_COLOR, "Info: default");
  const dy = rowWith(rows, "gc: 12 ms");
  assert.ok(styleAttrs(screen.styleAt(rows[dy]!.indexOf("gc:"), dy)) & DIM, "Debug: dim");

  const plain = draw(s, 200, 60, { color: false }).screen;
  for (let y = 0; y < 60; y++) {
    for (let x = 0; x < 200; x++) {
      assert.equal(styleFg(plain.styleAt(x, y)), DEFAULT_COLOR);
      assert.equal(styleBg(plain.styleAt(x, y)), DEFAULT_COLOR);
    }
  }
});

test("no systemd journal: the agent's words in the journal section, the rest goes to the threads", () => {
  const s = liveDetails();
  s.journal = null;
  s.applyJournalError(agentError(NO_JOURNAL, "UNAVAILABLE"));
  const { text, rows } = draw(s, 80, 24);
  assert.match(text, /─ Journal ─+ unavailable ─/);
  assert.match(text, /No systemd journal on this machine: journalctl found no journal files/);
  assert.equal(rows.filter((r) => /^ +\d+ (api-server|node-|libuv-)/.test(r)).length, 9, "threads get the room");
  const loading = liveDetails();
  loading.journal = null;
  assert.match(draw(loading, 80, 24).text, /─ Journal ─+\n loading…/);
  const empty = liveDetails();
  empty.applyJournal(journal([]), NOW);
  assert.match(draw(empty, 80, 24).text, /no journal entries for this process/);
});

test("the process exited: said in the title, last data kept (dimmed)", () => {
  const s = liveDetails();
  s.applyDetailsError(agentError(`Process ${PID} not found`, "NOT_FOUND"), NOW);
  const { screen, text, rows } = draw(s, 80, 24);
  assert.match(rows[1]!, /─ api-server · PID 4242 ─+ ✖ process exited ─$/);
  assert.match(text, /cmd {2}node \/srv\/api\/server\.js/);
  assert.match(text, /4242 api-server +1:05\.73 Running/);
  assert.match(text, /4250 sleep/);
  assert.match(text, /upstream timed out/);
  const y = rowWith(rows, "4242 api-server");
  assert.ok(styleAttrs(screen.styleAt(rows[y]!.indexOf("api-server"), y)) & DIM);
  for (const [w, h] of [[200, 60], [40, 12]] as const) assert.match(draw(s, w, h).text, /process exited/);
});

test("while the agent is away the view waits, keeps its data and fades it", () => {
  const { screen, rows } = draw(liveDetails(), 80, 24, { connected: false });
  assert.match(rows[1]!, /◌ waiting for the agent… ─$/);
  const y = rowWith(rows, "4242 api-server");
  assert.ok(styleAttrs(screen.styleAt(rows[y]!.indexOf("api-server"), y)) & DIM);
});

test("fields the agent may not read show n/a; a process without argv shows its name in brackets", () => {
  const s = new DetailsState(PID, "x");
  const reply = metricsReply({
    command: "",
    name: "kworker-ish",
    user_id: null,
    user_name: null,
    fd_count: null,
    shared_mem_bytes: null,
    read_bytes: null,
    write_bytes: null,
    working_directory: null,
    executable_path: null,
    parent_pid: null,
  });
  s.applyDetails(reply, NOW - 1000);
  s.applyDetails(reply, NOW);
  const text = draw(s, 80, 24).text;
  assert.match(text, /cmd {2}\[kworker-ish\]/);
  assert.match(text, /user n\/a {2}parent – {2}started/);
  assert.match(text, /fds n\/a/);
  assert.match(text, /cwd n\/a\s+exe n\/a/);
  assert.match(text, /shr n\/a/);
  assert.match(text, /read {2}n\/a +total n\/a/);
  assert.match(text, /write n\/a +total n\/a/);
  assert.doesNotMatch(text, /p parent/, "no parent to jump to");
  // The first reading has nothing to compare with: no rate yet, but not n/a either.
  const first = new DetailsState(PID, "x");
  first.applyDetails(metricsReply(), NOW);
  assert.match(draw(first, 80, 24).text, /read {2}– +total 10 MiB/);
});

test("focus: the focused section's title is reversed; the selected child is highlighted only there", () => {
  const s = liveDetails();
  let { screen, rows } = draw(s, 80, 24);
  const titleY = rowWith(rows, "Threads 12");
  assert.ok(styleAttrs(screen.styleAt(rows[titleY]!.indexOf("Threads"), titleY)) & INVERSE);
  const sleepY = rowWith(rows, "4250 sleep");
  const at = (y: number, needle: string): number => styleAttrs(screen.styleAt([...rows[y]!].indexOf(needle[0]!, rows[y]!.indexOf("│")), y));
  assert.equal(at(sleepY, "4") & INVERSE, 0);
  s.setFocus("children");
  s.move(1);
  ({ screen, rows } = draw(s, 80, 24));
  const workerY = rowWith(rows, "4251 report-wo");
  assert.ok(at(workerY, "4") & INVERSE, "selected child highlighted");
  assert.equal(at(sleepY, "4") & INVERSE, 0);
  assert.match(rows[titleY]!, /Children 2 ─+ Enter opens ─/);
  assert.match(rows[23]!, /↑↓ select/);
});

test("scrolling shows later threads and journal entries", () => {
  const s = liveDetails();
  s.setPage("threads", 6);
  s.move(1e9);
  const { text } = draw(s, 80, 24);
  assert.doesNotMatch(text, /4242 api-server/);
  assert.match(text, /4253 node-11/);
  s.setFocus("journal");
  s.move(3);
  const j = draw(s, 80, 24).text;
  assert.doesNotMatch(j, /upstream timed out/);
  assert.match(j, /DEBUG {2}gc: 12 ms/);
  s.toggleThreadSort();
  assert.match(draw(s, 80, 24).text, /by TID ▲/);
});

test("before the first reply, a kernel thread, an agent without the request", () => {
  const loading = new DetailsState(PID, "api-server");
  let text = draw(loading, 80, 24).text;
  assert.match(text, /api-server · PID 4242 ─+ loading… ─/);
  assert.match(text, /Loading the details of PID 4242…/);
  assert.match(text, /Esc goes back to the process table/);

  const k = new DetailsState(2, "kthreadd");
  k.applyDetailsError(agentError("Process 2 not found: 2 (kthreadd) is a kernel thread, which has no process details", "NOT_FOUND", 2), NOW);
  text = draw(k, 80, 24).text;
  assert.match(text, /no details ─/);
  assert.match(text, /No details for PID 2: Process 2 not found: 2 \(kthreadd\) is a kernel/);

  const gone = new DetailsState(PID, "api-server");
  gone.applyDetailsError(agentError(`Process ${PID} not found`), NOW);
  assert.match(draw(gone, 80, 24).text, /✖ process exited[\s\S]*PID 4242 exited before its details arrived/);

  const old = new DetailsState(PID, "api-server");
  old.applyDetailsError(agentError("Unknown command"), NOW);
  assert.match(draw(old, 80, 24).text, /The agent cannot show details: Unknown command/);
});

test("many children scroll; the smallest terminal still fits everything in its cells", () => {
  const kids = Array.from({ length: 20 }, (_, i) => child(5000 + i, `kid-${i}`, `kid --n ${i}`));
  const s = new DetailsState(PID, "x");
  s.applyDetails(metricsReply({ child_processes: kids, threads: [thread(PID, "x", 1, 1)] }), NOW);
  s.setFocus("children");
  s.move(15);
  const { text } = draw(s, 80, 24);
  assert.match(text, /Children 20/);
  assert.match(text, /5015 kid-15/);
  assert.doesNotMatch(text, /5000 kid-0 /);
  const small = draw(liveDetails(), 40, 12);
  assert.equal(small.rows.length, 12);
  for (const r of small.rows) assert.ok([...r].length <= 40);
  assert.match(small.text, /PID 4242/);
  assert.match(small.text, /Threads 12/);
  assert.match(small.text, /Journal 8/);
});

test("? shows the details keys over the view; --help lists them too", () => {
  const { text } = draw(liveDetails(), 80, 24, { help: true });
  for (const k of DETAILS_KEY_TABLE) assert.ok(text.includes(k.action), `the box shows ${k.action}`);
  const help = helpText();
  assert.match(help, /Keys in the process details view \(Enter on a row\):/);
  for (const k of DETAILS_KEY_TABLE) assert.ok(help.includes(k.action), `--help shows ${k.action}`);
  assert.match(text, /─ Details keys ─/);
  assert.match(text, /Tab, Shift-Tab +focus threads \/ children \/ journal/);
  assert.match(text, /p +open the parent process/);
  assert.match(text, /Esc\/\?\/h close/);
});

test("details of a child carry no threads or children of their own: the lists say so", () => {
  const s = new DetailsState(4250, "sleep");
  s.applyDetails({ process: details({ pid: 4250, name: "sleep", command: "sleep 600", child_processes: [], threads: [] }), cached_at: 0 }, NOW);
  s.applyJournal(journal([entry("Info", "hello", 1)]), NOW);
  const { text } = draw(s, 80, 24);
  assert.match(text, /no threads could be read/);
  assert.match(text, /no child processes/);
  assert.doesNotMatch(text, /Enter open child/);
});
