import { test } from "node:test";
import assert from "node:assert/strict";
import { AppState, matchesFilter, ProcessTable, RateTracker, Ring, sortProcesses } from "../src/state.js";
import { manyProcesses, metrics, proc, processes } from "./helpers/fixtures.js";

const pids = (t: ProcessTable): number[] => t.rows().map((p) => p.pid);

test("Ring keeps the newest values in order", () => {
  const r = new Ring(3);
  assert.equal(r.last(), null);
  for (const v of [1, 2, 3, 4, 5]) r.push(v);
  assert.equal(r.length, 3);
  assert.deepEqual(r.tail(10), [3, 4, 5]);
  assert.deepEqual(r.tail(2), [4, 5]);
  assert.equal(r.last(), 5);
  r.clear();
  assert.deepEqual(r.tail(3), []);
});

test("rates come from per-interface deltas, without loopback", () => {
  const t = new RateTracker();
  assert.equal(t.update([{ name: "eth0", received: 1000, transmitted: 500 }, { name: "lo", received: 0, transmitted: 0 }], 0), null);
  const r = t.update([{ name: "eth0", received: 3000, transmitted: 1500 }, { name: "lo", received: 1e9, transmitted: 1e9 }], 2000);
  assert.deepEqual(r, { rx: 1000, tx: 500 });
});

test("rates: a counter reset or a new interface is not a burst", () => {
  const t = new RateTracker();
  t.update([{ name: "eth0", received: 1e9, transmitted: 1e9 }], 0);
  // eth0 reset to a small number, wlan0 appeared with a large total.
  const r = t.update([{ name: "eth0", received: 100, transmitted: 100 }, { name: "wlan0", received: 5e9, transmitted: 5e9 }], 1000);
  assert.deepEqual(r, { rx: 0, tx: 0 });
  const r2 = t.update([{ name: "eth0", received: 1100, transmitted: 600 }, { name: "wlan0", received: 5e9 + 2000, transmitted: 5e9 }], 2000);
  assert.deepEqual(r2, { rx: 3000, tx: 500 });
  // Time that does not move forward gives no rate rather than a division by zero.
  assert.equal(t.update([], 2000), null);
});

test("sorting by each column, ties broken by PID", () => {
  const list = [proc(3, "b", 5, 10), proc(1, "A", 5, 30), proc(2, "c", 9, 20)];
  assert.deepEqual(sortProcesses(list, "cpu", true).map((p) => p.pid), [2, 1, 3]);
  assert.deepEqual(sortProcesses(list, "cpu", false).map((p) => p.pid), [1, 3, 2]);
  assert.deepEqual(sortProcesses(list, "mem", true).map((p) => p.pid), [1, 2, 3]);
  assert.deepEqual(sortProcesses(list, "mem%", false).map((p) => p.pid), [3, 2, 1]);
  assert.deepEqual(sortProcesses(list, "pid", false).map((p) => p.pid), [1, 2, 3]);
  assert.deepEqual(sortProcesses(list, "name", false).map((p) => p.name), ["A", "b", "c"]);
});

test("sortBy: a new column gets its natural direction, the same column reverses", () => {
  const t = new ProcessTable();
  t.setProcesses(processes().processes);
  assert.equal(t.sortKey, "cpu");
  assert.equal(t.descending, true);
  assert.deepEqual(pids(t).slice(0, 2), [314, 42]);
  t.sortBy("pid");
  assert.equal(t.descending, false);
  assert.deepEqual(pids(t), [1, 42, 314, 2718, 9000]);
  t.sortBy("pid");
  assert.equal(t.descending, true);
  assert.deepEqual(pids(t), [9000, 2718, 314, 42, 1]);
  t.sortBy("mem");
  assert.equal(t.descending, true);
  assert.equal(pids(t)[0], 42);
  t.reverse();
  assert.equal(pids(t)[0], 2718);
  t.cycleSort(1);
  assert.equal(t.sortKey, "mem%");
  t.cycleSort(1);
  assert.equal(t.sortKey, "pid");
  t.cycleSort(-1);
  assert.equal(t.sortKey, "mem%");
});

test("filter: case-insensitive name substring or PID prefix", () => {
  assert.ok(matchesFilter(proc(42, "Postgres", 0, 0), "post"));
  assert.ok(matchesFilter(proc(4242, "x", 0, 0), "42"));
  assert.ok(!matchesFilter(proc(142, "x", 0, 0), "42"));
  assert.ok(matchesFilter(proc(1, "anything", 0, 0), "  "));
});

test("live filter, Enter keeps it and selects the first hit, clear restores", () => {
  const t = new ProcessTable();
  t.setProcesses(processes().processes);
  t.beginFilter();
  assert.equal(t.filterEditing, true);
  t.setFilter("n");
  assert.deepEqual(pids(t), [314, 9000]); // node, nginx (by CPU)
  t.setFilter("ng");
  assert.deepEqual(pids(t), [9000]);
  t.setFilter("n");
  t.acceptFilter();
  assert.equal(t.filterEditing, false);
  assert.equal(t.filter, "n");
  assert.equal(t.selectedPid, 314);
  t.clearFilter();
  assert.equal(t.filter, "");
  assert.equal(t.length, 5);
  // The selection survives clearing the filter.
  assert.equal(t.selectedPid, 314);
  t.setFilter("zzz");
  assert.equal(t.length, 0);
  assert.equal(t.selectedPid, null);
});

test("the selection follows its PID when rows move", () => {
  const t = new ProcessTable();
  t.setPageSize(3);
  t.setProcesses([proc(1, "a", 50, 1), proc(2, "b", 40, 1), proc(3, "c", 30, 1), proc(4, "d", 20, 1)]);
  t.selectIndex(1);
  assert.equal(t.selectedPid, 2);
  // pid 2 drops to the bottom, out of the visible page: the view follows it.
  t.setProcesses([proc(1, "a", 50, 1), proc(2, "b", 1, 1), proc(3, "c", 30, 1), proc(4, "d", 20, 1)]);
  assert.equal(t.selected()?.pid, 2);
  assert.equal(t.selectedIndex(), 3);
  assert.ok(t.scroll <= 3 && 3 < t.scroll + t.pageSize);
});

test("a selected process that exits hands the selection to its neighbour", () => {
  const t = new ProcessTable();
  t.setProcesses([proc(1, "a", 50, 1), proc(2, "b", 40, 1), proc(3, "c", 30, 1)]);
  t.selectIndex(1);
  t.setProcesses([proc(1, "a", 50, 1), proc(3, "c", 30, 1)]);
  assert.equal(t.selectedPid, 3);
  t.setProcesses([]);
  assert.equal(t.selected(), null);
});

test("wheel scrolling moves the view, not the selection, and is not undone by new data", () => {
  const t = new ProcessTable();
  t.setPageSize(10);
  t.setProcesses(manyProcesses(100).processes);
  t.selectIndex(0);
  t.scrollBy(30);
  assert.equal(t.scroll, 30);
  assert.equal(t.selectedIndex(), 0);
  t.setProcesses(manyProcesses(100).processes);
  assert.equal(t.scroll, 30);
  t.scrollBy(1000);
  assert.equal(t.scroll, 90);
  t.scrollBy(-1000);
  assert.equal(t.scroll, 0);
});

test("keyboard navigation: arrows, pages, home/end keep the selection visible", () => {
  const t = new ProcessTable();
  t.setPageSize(10);
  t.sortBy("pid");
  t.setProcesses(manyProcesses(50).processes);
  t.moveSelection(1); // nothing selected: the first visible row
  assert.equal(t.selectedIndex(), 0);
  t.moveSelection(1);
  assert.equal(t.selectedIndex(), 1);
  t.moveSelection(-5);
  assert.equal(t.selectedIndex(), 0);
  t.moveSelection(9);
  t.moveSelection(9);
  assert.equal(t.selectedIndex(), 18);
  assert.equal(t.scroll, 9);
  t.selectLast();
  assert.equal(t.selectedIndex(), 49);
  assert.equal(t.scroll, 40);
  t.selectFirst();
  assert.equal(t.scroll, 0);
  t.selectVisibleRow(4);
  assert.equal(t.selectedIndex(), 4);
});

test("scrollbar fractions map onto the scroll range", () => {
  const t = new ProcessTable();
  t.setPageSize(10);
  t.setProcesses(manyProcesses(110).processes);
  t.scrollToFraction(0);
  assert.equal(t.scroll, 0);
  t.scrollToFraction(1);
  assert.equal(t.scroll, 100);
  t.scrollToFraction(0.5);
  assert.equal(t.scroll, 50);
  t.scrollToFraction(7);
  assert.equal(t.scroll, 100);
});

test("a smaller page keeps a visible selection on screen", () => {
  const t = new ProcessTable();
  t.setPageSize(20);
  t.setProcesses(manyProcesses(50).processes);
  t.selectIndex(15);
  t.setPageSize(5);
  assert.ok(t.selectedIndex() >= t.scroll && t.selectedIndex() < t.scroll + 5);
});

test("AppState: histories, rates, counts and staleness", () => {
  const s = new AppState();
  assert.equal(s.hasData, false);
  assert.equal(s.stale, false);
  s.conn.phase = "open";
  s.applyMetrics(metrics({ cpu_total: 10 }), 1000);
  s.applyMetrics(
    metrics({ cpu_total: 150, networks: [{ name: "eth0", received: 1_000_000 + 4096, transmitted: 200_000 + 1024 }] }),
    1500,
  );
  assert.deepEqual(s.cpuHistory.tail(5), [10, 100]);
  assert.deepEqual(s.rates, { rx: 8192, tx: 2048 });
  assert.equal(s.processCount, 5);
  s.applyProcesses(processes([proc(1, "x", 0, 1)]), 1600);
  assert.equal(s.processCount, 1);
  assert.equal(s.stale, false);
  s.conn.phase = "retrying";
  assert.equal(s.stale, true);
});

test("per-core scrolling is clamped to the cores there are", () => {
  const s = new AppState();
  s.applyMetrics(metrics({ cpu_per_core: new Array(32).fill(5) }), 0);
  s.scrollCores(100, 6, 1);
  assert.equal(s.coreScroll, 26);
  s.scrollCores(-100, 6, 1);
  assert.equal(s.coreScroll, 0);
  s.scrollCores(5, 6, 2);
  assert.equal(s.coreScroll, 5);
  s.scrollCores(50, 6, 2);
  assert.equal(s.coreScroll, 10);
});
