import { test } from "node:test";
import assert from "node:assert/strict";
import { BOLD, diffScreens, INVERSE, makeStyle, PLAIN, Screen, sgr, styleAttrs, styleBg, styleFg } from "../src/screen.js";

test("styles pack and unpack", () => {
  const s = makeStyle(2, 1, BOLD | INVERSE);
  assert.equal(styleFg(s), 2);
  assert.equal(styleBg(s), 1);
  assert.equal(styleAttrs(s), BOLD | INVERSE);
  assert.equal(sgr(s), "\x1b[0;1;7;32;41m");
  assert.equal(sgr(PLAIN), "\x1b[0m");
  assert.equal(sgr(makeStyle(9, 12)), "\x1b[0;91;104m");
  assert.equal(sgr(makeStyle(200)), "\x1b[0;38;5;200m");
});

test("put clips to the screen and to maxWidth", () => {
  const s = new Screen(10, 2);
  assert.equal(s.put(7, 0, "abcdef"), 10);
  assert.equal(s.rowText(0), "       abc");
  s.put(0, 1, "hello world", PLAIN, 5);
  assert.equal(s.rowText(1), "hello     ");
  s.put(-2, 1, "xyz");
  assert.equal(s.rowText(1), "zello     ");
  s.put(0, 5, "off screen");
  assert.equal(s.text(), "       abc\nzello");
});

test("wide characters take two cells and are never split", () => {
  const s = new Screen(5, 1);
  s.put(0, 0, "漢字x");
  assert.equal(s.rowText(0), "漢字x");
  assert.equal(s.charAt(1, 0), "");
  // Writing over the right half of a wide character blanks its left half.
  s.put(1, 0, "a");
  assert.equal(s.rowText(0), " a字x");
  // A wide character that does not fit leaves a blank instead.
  const t = new Screen(3, 1);
  t.put(0, 0, "ab漢");
  assert.equal(t.rowText(0), "ab ");
});

test("combining marks stay with their base character", () => {
  const s = new Screen(4, 1);
  s.put(0, 0, "e\u0301x");
  assert.equal(s.charAt(0, 0), "e\u0301");
  assert.equal(s.charAt(1, 0), "x");
});

test("the first frame clears and draws; an identical frame writes nothing", () => {
  const a = new Screen(6, 2);
  a.put(0, 0, "hi");
  const first = diffScreens(null, a);
  assert.ok(first.startsWith("\x1b[0m\x1b[2J"));
  assert.ok(first.includes("hi"));
  const b = new Screen(6, 2);
  b.copyFrom(a);
  assert.equal(diffScreens(a, b), "");
});

test("only changed cells are written, with one cursor move per run", () => {
  const a = new Screen(20, 3);
  a.put(0, 1, "CPU 12.5%");
  const b = new Screen(20, 3);
  b.put(0, 1, "CPU 13.0%");
  const out = diffScreens(a, b);
  // Row 2, from column 6 ("3.0" replaces "2.5").
  assert.equal(out, "\x1b[2;6H\x1b[0m3.0\x1b[0m");
});

test("small gaps are bridged instead of moving the cursor", () => {
  const a = new Screen(20, 1);
  a.put(0, 0, "a.b.c");
  const b = new Screen(20, 1);
  b.put(0, 0, "x.y.z");
  assert.equal(diffScreens(a, b), "\x1b[1;1H\x1b[0mx.y.z\x1b[0m");
});

test("a style change alone is written", () => {
  const a = new Screen(5, 1);
  a.put(0, 0, "abc");
  const b = new Screen(5, 1);
  b.put(0, 0, "abc");
  b.setStyle({ x: 1, y: 0, w: 1, h: 1 }, makeStyle(256, 256, INVERSE));
  assert.equal(diffScreens(a, b), "\x1b[1;2H\x1b[0;7mb\x1b[0m");
});

test("a resized screen is redrawn in full", () => {
  const a = new Screen(5, 1);
  const b = new Screen(6, 1);
  b.put(0, 0, "x");
  assert.ok(diffScreens(a, b).startsWith("\x1b[0m\x1b[2J"));
});

test("addAttrs marks a region (stale data) without touching characters", () => {
  const s = new Screen(4, 2);
  s.put(0, 0, "abcd", makeStyle(2));
  s.addAttrs({ x: 0, y: 0, w: 2, h: 1 }, BOLD);
  assert.equal(styleAttrs(s.styleAt(0, 0)), BOLD);
  assert.equal(styleFg(s.styleAt(0, 0)), 2);
  assert.equal(styleAttrs(s.styleAt(2, 0)), 0);
  assert.equal(s.rowText(0), "abcd");
});
