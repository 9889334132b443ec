/** The details view's state rules, without a terminal: histories, rates, sorting, selection, exits. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DetailsState,
  IoRateTracker,
  isProcessGone,
  sortThreads,
} from "../src/details-state.js";
import { cpuScale } from "../src/details-widgets.js";
import { formatCpuTime, formatShortDate, formatSince } from "../src/format.js";
import { DEFAULT_COLOR, DIM, BOLD, styleAttrs, styleFg } from "../src/screen.js";
import { createTheme, journalStyle } from "../src/theme.js";
import { agentError, child, journal, metricsReply, NO_JOURNAL, NOW, PID, START, thread } from "./helpers/details-fixtures.js";
import { socktopError } from "./helpers/fixtures.js";

test("CPU history: every reply adds a sample; average, current and peak of the newest n", () => {
  const s = new DetailsState(PID, "api-server");
  assert.deepEqual(s.cpuStats(10), { values: [], current: null, average: null, peak: 0 });
  [2, 4, 6, 8, 250, Number.NaN].forEach((cpu, i) => s.applyDetails(metricsReply({ cpu_usage: cpu }), NOW + i * 1000));
  // Out-of-range and broken figures are clamped rather than wrecking the scale.
  assert.deepEqual(s.cpuHistory.tail(10), [2, 4, 6, 8, 100, 0]);
  const last3 = s.cpuStats(3);
  assert.deepEqual(last3.values, [8, 100, 0]);
  assert.equal(last3.current, 0);
  assert.equal(last3.average, 36);
  assert.equal(last3.peak, 100);
  assert.equal(s.cpuStats(2).average, 50);
  assert.equal(cpuScale(0), 1);
  assert.equal(cpuScale(0.4), 1);
  assert.equal(cpuScale(3.2), 5);
  assert.equal(cpuScale(49), 50);
  assert.equal(cpuScale(51), 100);
});

test("I/O rates from successive counters: first sample, steady rates, time standing still", () => {
  const t = new IoRateTracker();
  assert.deepEqual(t.update(1000, 500, 0), { read: null, write: null, readable: { read: true, write: true } });
  assert.deepEqual(t.update(3000, 1500, 2000), { read: 1000, write: 500, readable: { read: true, write: true } });
  assert.deepEqual(t.update(3000, 1500, 2000), { read: null, write: null, readable: { read: true, write: true } }, "no interval, no rate");
  assert.deepEqual(t.update(3000, 4500, 3000), { read: 0, write: 3000, readable: { read: true, write: true } });
});

test("I/O rates: a counter reset gives no figure once, then rates resume from the new baseline", () => {
  const t = new IoRateTracker();
  t.update(1e9, 1e9, 0);
  const reset = t.update(100, 2e9, 1000);
  assert.equal(reset.read, null, "went backwards: not a negative rate, not a burst");
  assert.equal(reset.write, 1e9);
  assert.equal(t.update(2100, 2e9, 2000).read, 2000);
});

test("I/O rates: counters the agent may not read are n/a, not zero", () => {
  const t = new IoRateTracker();
  t.update(null, 100, 0);
  const r = t.update(null, 300, 1000);
  assert.deepEqual(r, { read: null, write: 200, readable: { read: false, write: true } });
  // A counter that becomes readable starts with no figure, then measures.
  assert.equal(t.update(5000, 300, 2000).read, null);
  assert.equal(t.update(6000, 300, 3000).read, 1000);

  const s = new DetailsState(PID, "x");
  s.applyDetails(metricsReply({ read_bytes: null, write_bytes: null }), NOW);
  s.applyDetails(metricsReply({ read_bytes: null, write_bytes: null }), NOW + 1000);
  assert.deepEqual(s.io.readable, { read: false, write: false });
  s.applyDetails(metricsReply({ read_bytes: 0, write_bytes: 0 }), NOW + 2000);
  s.applyDetails(metricsReply({ read_bytes: 4096, write_bytes: 1024 }), NOW + 4000);
  assert.equal(s.io.read, 2048);
  assert.equal(s.io.write, 512);
});

test("threads sort by CPU time (busiest first) or TID; ties by TID; s toggles, r reverses", () => {
  const list = [thread(12, "b", 100, 0), thread(10, "a", 50, 50), thread(11, "c", 300, 5), thread(13, "d", 0, 0)];
  assert.deepEqual(sortThreads(list, "cpu", true).map((t) => t.tid), [11, 10, 12, 13]);
  assert.deepEqual(sortThreads(list, "cpu", false).map((t) => t.tid), [13, 10, 12, 11]);
  assert.deepEqual(sortThreads(list, "tid", false).map((t) => t.tid), [10, 11, 12, 13]);

  const s = new DetailsState(PID, "x");
  s.applyDetails(metricsReply({ threads: list }), NOW);
  assert.deepEqual(s.threads().map((t) => t.tid), [11, 10, 12, 13]);
  s.toggleThreadSort();
  assert.equal(s.threadSort, "tid");
  assert.equal(s.threadDescending, false);
  assert.deepEqual(s.threads().map((t) => t.tid), [10, 11, 12, 13]);
  s.reverseThreads();
  assert.deepEqual(s.threads().map((t) => t.tid), [13, 12, 11, 10]);
  s.toggleThreadSort();
  assert.equal(s.threadSort, "cpu");
  assert.equal(s.threadDescending, true);
  // A new reply is sorted the same way.
  s.applyDetails(metricsReply({ threads: [thread(10, "a", 900, 0), ...list.slice(0, 1)] }), NOW + 1000);
  assert.deepEqual(s.threads().map((t) => t.tid), [10, 12]);
});

test("thread and journal scrolling is clamped to what is there", () => {
  const s = new DetailsState(PID, "x");
  s.applyDetails(metricsReply({ threads: Array.from({ length: 30 }, (_, i) => thread(100 + i, `t${i}`, i, 0)) }), NOW);
  s.applyJournal(journal(), NOW);
  s.setPage("threads", 10);
  s.setPage("journal", 5);
  s.move(-3);
  assert.equal(s.threadScroll, 0);
  s.move(1e9);
  assert.equal(s.threadScroll, 20);
  s.cycleFocus(2);
  assert.equal(s.focus, "journal");
  s.move(2);
  assert.equal(s.journalScroll, 2);
  s.move(100);
  assert.equal(s.journalScroll, 3, "8 entries, 5 rows");
  s.scroll("threads", -7);
  assert.equal(s.threadScroll, 13, "the wheel scrolls any section");
  // Fewer threads in the next reply pull the scroll back.
  s.applyDetails(metricsReply({ threads: Array.from({ length: 12 }, (_, i) => thread(100 + i, `t${i}`, i, 0)) }), NOW + 1000);
  assert.equal(s.threadScroll, 2);
});

test("focus cycles threads → children → journal, both ways", () => {
  const s = new DetailsState(PID, "x");
  assert.equal(s.focus, "threads");
  s.cycleFocus(1);
  assert.equal(s.focus, "children");
  s.cycleFocus(1);
  assert.equal(s.focus, "journal");
  s.cycleFocus(1);
  assert.equal(s.focus, "threads");
  s.cycleFocus(-1);
  assert.equal(s.focus, "journal");
});

test("child selection: the first child, kept by pid across refreshes, a neighbour when it exits", () => {
  const s = new DetailsState(PID, "x");
  const kids = [child(501, "a", "a"), child(502, "b", "b"), child(503, "c", "c"), child(504, "d", "d")];
  s.applyDetails(metricsReply({ child_processes: kids }), NOW);
  assert.equal(s.selectedChild()?.pid, 501);
  s.setFocus("children");
  s.move(2);
  assert.equal(s.selectedChild()?.pid, 503);
  s.move(10);
  assert.equal(s.selectedChild()?.pid, 504, "clamped at the last child");
  s.move(-1);
  // The list changes order: the selection stays on the same pid.
  s.applyDetails(metricsReply({ child_processes: [kids[2]!, kids[0]!, kids[1]!, kids[3]!] }), NOW + 1000);
  assert.equal(s.selectedChild()?.pid, 503);
  assert.equal(s.selectedChildIndex(), 0);
  // 503 exits: the child now in its place takes over.
  s.applyDetails(metricsReply({ child_processes: [kids[0]!, kids[1]!, kids[3]!] }), NOW + 2000);
  assert.equal(s.selectedChild()?.pid, 501);
  s.applyDetails(metricsReply({ child_processes: [] }), NOW + 3000);
  assert.equal(s.selectedChild(), null);
  s.move(1);
  assert.equal(s.selectedChild(), null);
  // A page of 2 rows: moving down scrolls the list.
  s.applyDetails(metricsReply({ child_processes: kids }), NOW + 4000);
  s.setPage("children", 2);
  s.move(3);
  assert.equal(s.selectedChild()?.pid, 504);
  assert.equal(s.childScroll, 2);
});

test("the process exits: the view says so, keeps the last data, and takes no more", () => {
  const s = new DetailsState(PID, "api-server");
  s.applyDetails(metricsReply({ cpu_usage: 7 }), NOW);
  s.applyJournal(journal(), NOW);
  assert.equal(s.applyDetailsError(agentError(`Process ${PID} not found`, "NOT_FOUND"), NOW + 1000), false, "polling stops");
  assert.equal(s.exited, true);
  assert.equal(s.exitedAt, NOW + 1000);
  assert.equal(s.details?.command, "node /srv/api/server.js --port 8080 --workers 4");
  assert.equal(s.journalEntries().length, 8);
  assert.equal(s.applyDetails(metricsReply({ cpu_usage: 50 }), NOW + 2000), false);
  assert.deepEqual(s.cpuHistory.tail(5), [7]);

  // Protocol-1 agents (ours and the original) say it in words only.
  const legacy = new DetailsState(PID, "x");
  legacy.applyDetails(metricsReply(), NOW);
  legacy.applyDetailsError(agentError(`Process ${PID} not found`), NOW);
  assert.equal(legacy.exited, true);
  assert.equal(isProcessGone(agentError("Process 7 not found")), true);
  assert.equal(isProcessGone(agentError("Cannot read the journal: journalctl not found")), false);
  assert.equal(isProcessGone(socktopError("TIMEOUT", "Process 7 not found")), false, "only the agent's answer counts");
});

test("a pid that now belongs to another process counts as an exit", () => {
  const s = new DetailsState(PID, "api-server");
  s.applyDetails(metricsReply(), NOW);
  assert.equal(s.applyDetails(metricsReply({ name: "other", start_time: START + 500 }), NOW + 1000), false);
  assert.equal(s.exited, true);
  assert.equal(s.details?.name, "api-server");
});

test("no details at all: a kernel thread is not an exit; link errors are not shown here", () => {
  const k = new DetailsState(2, "kthreadd");
  const message = "Process 2 not found: 2 (kthreadd) is a kernel thread, which has no process details";
  assert.equal(k.applyDetailsError(agentError(message, "NOT_FOUND", 2), NOW), false);
  assert.equal(k.exited, false);
  assert.equal(k.unavailable, message);

  const gone = new DetailsState(PID, "x");
  gone.applyDetailsError(agentError(`Process ${PID} not found`, "NOT_FOUND"), NOW);
  assert.equal(gone.exited, true, "exited between the table's refresh and the first reply");

  const s = new DetailsState(PID, "x");
  assert.equal(s.applyDetailsError(socktopError("TIMEOUT", "timed out"), NOW), true);
  assert.equal(s.detailsError, null);
  assert.equal(s.applyDetailsError(agentError("Unknown command get_process_metrics"), NOW), true);
  assert.equal(s.detailsError, "Unknown command get_process_metrics");
  s.applyDetails(metricsReply(), NOW);
  assert.equal(s.detailsError, null);
});

test("journal: entries, a machine without a journal, an exited process", () => {
  const s = new DetailsState(PID, "x");
  assert.equal(s.applyJournalError(agentError(NO_JOURNAL, "UNAVAILABLE")), true);
  assert.equal(s.journalError, NO_JOURNAL);
  assert.equal(s.journal, null);
  s.applyJournal(journal(), NOW);
  assert.equal(s.journalError, null);
  assert.equal(s.journalEntries()[0]!.priority, "Error");
  assert.equal(s.applyJournalError(agentError(`Process ${PID} not found`)), false, "the journal stops asking");
  assert.equal(s.journalEntries().length, 8, "entries kept");
});

test("journal priority → style: red errors, yellow warnings, plain notices, dim debug; NO_COLOR keeps no colour", () => {
  const color = createTheme(true);
  const plain = createTheme(false);
  for (const p of ["Emergency", "Alert", "Critical", "Error"]) {
    assert.equal(styleFg(journalStyle(color, p)), 1, `${p} is red`);
    assert.equal(styleFg(journalStyle(plain, p)), DEFAULT_COLOR);
    assert.ok(styleAttrs(journalStyle(plain, p)) & BOLD, `${p} stands out without colour`);
  }
  assert.equal(styleFg(journalStyle(color, "Warning")), 3, "yellow");
  assert.equal(styleFg(journalStyle(plain, "Warning")), DEFAULT_COLOR);
  for (const p of ["Notice", "Info", "anything else"]) {
    assert.equal(journalStyle(color, p), color.text);
    assert.equal(journalStyle(plain, p), plain.text);
  }
  assert.equal(styleFg(journalStyle(color, "Debug")), DEFAULT_COLOR);
  assert.ok(styleAttrs(journalStyle(color, "Debug")) & DIM);
  assert.ok(styleAttrs(journalStyle(plain, "Debug")) & DIM);
});

test("formatting: CPU time, journal timestamps, start times", () => {
  assert.equal(formatCpuTime(0), "0:00.00");
  assert.equal(formatCpuTime(1_234_567), "0:01.23");
  assert.equal(formatCpuTime(754_560_000), "12:34.56");
  assert.equal(formatCpuTime(99 * 60e6 + 59.99e6), "99:59.99");
  assert.equal(formatCpuTime(2 * 3600e6 + 3 * 60e6), "2h03m");
  assert.equal(formatCpuTime(200 * 3600e6), "8d08h");
  assert.equal(formatCpuTime(null), "–");
  const d = new Date(2024, 4, 7, 9, 5, 3);
  assert.equal(formatShortDate(d), "May  7 09:05:03");
  assert.equal(formatSince(d, new Date(2024, 4, 7, 23, 0, 0)), "09:05:03");
  assert.equal(formatSince(d, new Date(2024, 4, 8, 1, 0, 0)), "May  7 09:05");
});
