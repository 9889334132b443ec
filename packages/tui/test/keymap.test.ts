/** The key dispatch both views share: bindings, filter typing, double clicks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DOUBLE_CLICK_MS, DoubleClick, filterKey, KeyMap, listBindings, type ListActions } from "../src/keymap.js";

test("a key bound twice is refused when the map is built, not resolved by order", () => {
  assert.throws(() => new KeyMap([[["q"], () => {}], [["x", "q"], () => {}]]), /key q is bound twice/);
  const done: string[] = [];
  const map = new KeyMap([[["a", "A"], () => done.push("about")]]);
  assert.equal(map.dispatch("A"), true);
  assert.equal(map.dispatch("z"), false);
  assert.deepEqual(done, ["about"]);
});

test("the shared list keys move by the view's own steps", () => {
  const moves: number[] = [];
  const noop = (): void => {};
  const actions: ListActions = {
    quit: noop, back: noop, help: noop, first: noop, last: noop, open: noop, beginFilter: noop, clearFilter: noop, cycleSort: noop, retryNow: noop,
    rowStep: () => 3,
    pageStep: () => 12,
    move: (d) => moves.push(d),
  };
  const map = new KeyMap(listBindings(actions));
  for (const k of ["UP", "j", "PAGE_DOWN", "PAGE_UP"]) map.dispatch(k);
  assert.deepEqual(moves, [-3, 3, 12, -12]);
});

test("while a filter is typed, letters are text and arrows keep their meaning", () => {
  let filter = "";
  const events: string[] = [];
  const target = {
    get filter() {
      return filter;
    },
    setFilter: (t: string) => (filter = t),
    accept: () => events.push("accept"),
    clear: () => events.push("clear"),
  };
  assert.equal(filterKey(target, "q", true), "handled");
  assert.equal(filterKey(target, "x", true), "handled");
  assert.equal(filter, "qx");
  assert.equal(filterKey(target, "BACKSPACE", false), "handled");
  assert.equal(filter, "q");
  assert.equal(filterKey(target, "DOWN", false), "pass");
  assert.equal(filterKey(target, "ENTER", false), "handled");
  assert.equal(filterKey(target, "ESCAPE", false), "handled");
  assert.deepEqual(events, ["accept", "clear"]);
});

test("a double click is two clicks on the same thing within the limit", () => {
  const clicks = new DoubleClick<number>();
  assert.equal(clicks.click(7, 1000), false);
  assert.equal(clicks.click(7, 1000 + DOUBLE_CLICK_MS - 1), true);
  assert.equal(clicks.click(7, 1000 + DOUBLE_CLICK_MS), false, "a double click is forgotten once used");
  assert.equal(clicks.click(8, 1000 + DOUBLE_CLICK_MS + 1), false, "another row starts over");
  assert.equal(clicks.click(8, 1000 + 3 * DOUBLE_CLICK_MS), false, "too slow");
});
