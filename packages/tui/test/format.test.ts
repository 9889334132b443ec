import { test } from "node:test";
import assert from "node:assert/strict";
import {
  charWidth,
  fit,
  formatBytes,
  formatBytesShort,
  formatClock,
  formatDuration,
  formatPercent,
  formatRate,
  formatTemp,
  hostPort,
  redactUrl,
  sanitize,
  textWidth,
  truncate,
} from "../src/format.js";

test("bytes in binary units, never four digits before the unit", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1000), "1.0 KiB");
  assert.equal(formatBytes(4096), "4.0 KiB");
  assert.equal(formatBytes(312 * 1024 ** 2), "312 MiB");
  assert.equal(formatBytes(1010 * 1024 ** 2), "1.0 GiB");
  assert.equal(formatBytes(5.2 * 1024 ** 3), "5.2 GiB");
  assert.equal(formatBytes(3 * 1024 ** 4), "3.0 TiB");
  assert.equal(formatBytes(null), "–");
  assert.equal(formatBytes(Number.NaN), "–");
  assert.equal(formatBytes(-5), "0 B");
});

test("short bytes fit table cells", () => {
  assert.equal(formatBytesShort(0), "0B");
  assert.equal(formatBytesShort(4 * 1024), "4.0K");
  assert.equal(formatBytesShort(312 * 1024 ** 2), "312M");
  assert.equal(formatBytesShort(15.5 * 1024 ** 3), "16G");
  for (const n of [1, 999, 1000, 123456, 999_999_999, 1e12, 1e15]) assert.ok(formatBytesShort(n).length <= 4, String(n));
});

test("rates, percents, temperatures", () => {
  assert.equal(formatRate(0), "0 B/s");
  assert.equal(formatRate(1.5 * 1024 ** 2), "1.5 MiB/s");
  assert.equal(formatRate(null), "–");
  assert.equal(formatPercent(3.456), "3.5%");
  assert.equal(formatPercent(0), "0.0%");
  assert.equal(formatPercent(99.96), "100%");
  assert.equal(formatPercent(120), "100%");
  assert.equal(formatPercent(45.4, 0), "45%");
  assert.equal(formatPercent(null), "–");
  assert.equal(formatTemp(54.4), "54°C");
  assert.equal(formatTemp(null), "");
});

test("durations and the clock", () => {
  assert.equal(formatDuration(4_200), "4s");
  assert.equal(formatDuration(192_000), "3m 12s");
  assert.equal(formatDuration(2 * 3600_000 + 5 * 60_000), "2h 5m");
  assert.equal(formatDuration(3 * 86400_000 + 4 * 3600_000), "3d 4h");
  assert.equal(formatClock(new Date(2024, 0, 1, 9, 5, 7)), "09:05:07");
});

test("cell widths: wide CJK, zero-width combining marks", () => {
  assert.equal(charWidth("a".codePointAt(0)!), 1);
  assert.equal(charWidth("漢".codePointAt(0)!), 2);
  assert.equal(charWidth(0x0301), 0);
  assert.equal(textWidth("ab漢字"), 6);
  assert.equal(textWidth("e\u0301"), 1);
});

test("truncate and fit work in cells and mark the cut", () => {
  assert.equal(truncate("postgres", 10), "postgres");
  assert.equal(truncate("postgres: writer", 8), "postgre…");
  assert.equal(truncate("漢字漢字", 5), "漢字…");
  assert.equal(truncate("abc", 0), "");
  assert.equal(fit("ab", 5), "ab   ");
  assert.equal(fit("ab", 5, "right"), "   ab");
  assert.equal(fit("abcdefgh", 5), "abcd…");
  assert.equal(textWidth(fit("漢字漢字", 5)), 5);
});

test("control characters from the agent are neutralised", () => {
  assert.equal(sanitize("evil\x1b[2Jname"), "evil?[2Jname");
  assert.equal(sanitize("tab\there"), "tab?here");
  assert.equal(sanitize("plain"), "plain");
});

test("tokens are hidden from anything shown", () => {
  assert.equal(redactUrl("ws://h:3000/ws?token=s3cret"), "ws://h:3000/ws?token=•••");
  assert.equal(redactUrl("ws://h/ws?a=1&token=x&b=2"), "ws://h/ws?a=1&token=•••&b=2");
  assert.equal(hostPort("ws://example.org:3000/ws?token=x"), "example.org:3000");
});
