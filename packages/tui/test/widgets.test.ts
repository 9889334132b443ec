/** Shared drawing pieces (widgets.ts), on a real Screen. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Screen, makeStyle } from "../src/screen.js";
import { drawBar, drawSparkline, scrollThumb, wrap } from "../src/widgets.js";

test("wrap breaks on words and hard-cuts long words", () => {
  assert.deepEqual(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
  assert.deepEqual(wrap("abcdefghijkl", 5).every((l) => l.length <= 5), true);
});

test("drawBar fills eighths of a cell and shades the rest of the track", () => {
  const s = new Screen(10, 1);
  drawBar(s, 0, 0, 4, 50, makeStyle(1), makeStyle(2));
  assert.equal(s.text().split("\n")[0]!.slice(0, 4), "██░░");
  const t = new Screen(10, 1);
  drawBar(t, 0, 0, 4, 5.2, makeStyle(1), makeStyle(2)); // 5.2 % of 32 eighths ≈ 2 eighths
  assert.equal(t.text().split("\n")[0]!.slice(0, 4), "▎░░░");
  const u = new Screen(10, 1);
  drawBar(u, 0, 0, 4, Number.NaN, makeStyle(1), makeStyle(2));
  assert.equal(u.text().split("\n")[0]!.slice(0, 4), "░░░░");
});

test("drawSparkline: newest sample at the right edge, scaled to max; any activity gets a sliver", () => {
  const s = new Screen(5, 2);
  drawSparkline(s, { x: 0, y: 0, w: 5, h: 2 }, [0, 0.01, 50, 100], 100, makeStyle());
  const [top, bottom] = s.text().split("\n");
  assert.equal(bottom, "  ▁██");
  assert.equal(top, "    █");
});

test("scrollThumb: proportional size, at least one cell, at the ends at the ends", () => {
  assert.deepEqual(scrollThumb(100, 10, 0, 10), { start: 0, size: 1 });
  assert.deepEqual(scrollThumb(100, 10, 90, 10).start + scrollThumb(100, 10, 90, 10).size, 10);
  assert.deepEqual(scrollThumb(20, 10, 0, 10), { start: 0, size: 5 });
});
