/**
 * Rendering tests: draw into the cell buffer and assert on the text grid
 * (and on styles where colour or highlight is the point).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SeedGpu } from "@socktop/protocol";
import { KEY_TABLE } from "../src/keys.js";
import { computeLayout } from "../src/layout.js";
import { scrollThumb, type RenderContext } from "../src/widgets.js";
import { DIM, diffScreens, INVERSE, Screen, styleAttrs, styleBg, styleFg, DEFAULT_COLOR } from "../src/screen.js";
import { AppState } from "../src/state.js";
import { colorEnabled, createTheme } from "../src/theme.js";
import { disks, manyProcesses, metrics, processes } from "./helpers/fixtures.js";
import { BOTH_SIZES, drawFrame, renderContext } from "./helpers/render.js";

const NOW = new Date(2024, 4, 17, 13, 37, 42).getTime();

function ctx(overrides: Partial<RenderContext> = {}): RenderContext {
  return renderContext({ now: NOW, ...overrides });
}

function liveState(): AppState {
  const s = new AppState();
  s.conn.phase = "open";
  s.conn.rttMs = 3.2;
  s.conn.agentVersion = "0.1.0";
  s.conn.protocolVersion = 2;
  let rx = 1_000_000;
  let tx = 200_000;
  for (let i = 0; i < 40; i++) {
    rx += i === 30 ? 5_000_000 : 100_000;
    tx += 20_000;
    s.applyMetrics(
      metrics({
        cpu_total: 20 + (i % 10) * 5,
        networks: [
          { name: "lo", received: 0, transmitted: 0 },
          { name: "eth0", received: rx, transmitted: tx },
        ],
      }),
      NOW - (40 - i) * 500,
    );
  }
  s.applyProcesses(processes(), NOW - 100);
  s.applyDisks(disks(), NOW - 100);
  return s;
}

function draw(state: AppState, w: number, h: number, c: RenderContext = ctx()): Screen {
  return drawFrame(state, w, h, c);
}

function findRow(screen: Screen, needle: string): number {
  for (let y = 0; y < screen.height; y++) if (screen.rowText(y).includes(needle)) return y;
  return -1;
}

test("80×24: every panel is on screen", () => {
  const screen = draw(liveState(), 80, 24);
  const text = screen.text();
  const rows = text.split("\n");
  assert.equal(rows.length, 24);
  // Header: hostname, agent version, state with RTT, process count, clock.
  assert.match(rows[0]!, /socktop {2}testhost/);
  assert.match(rows[0]!, /● connected 3 ms/);
  assert.match(rows[0]!, /5 procs/);
  assert.match(rows[0]!, /13:37:42/);
  // CPU history (current and average) with temperature, and the per-core bars.
  assert.match(text, /CPU 65\.0% ─+ avg 42\.5% · 54°C/);
  assert.match(text, /54°C/);
  assert.match(text, /Cores/);
  assert.match(text, /c0 +[█▏▎▍▌▋▊▉░]+ +10%/);
  // Memory and swap in human units.
  assert.match(text, /Mem +[█▏▎▍▌▋▊▉░]+ 6\.0 GiB \/ 16 GiB +38%/);
  assert.match(text, /Swap +[█▏▎▍▌▋▊▉░]+ 256 MiB \/ 2\.0 GiB +13%/);
  // Disks with partitions indented.
  assert.match(text, /\n nvme0n1 /);
  assert.match(text, /\n {3}nvme0n1p1 /);
  // Network rates and peaks.
  assert.match(text, /↓ 195 KiB\/s/);
  assert.match(text, /▲ peak 9\.\d MiB\/s/);
  assert.match(text, /↑ 39 KiB\/s/);
  // Process table header and rows, sorted by CPU.
  assert.match(text, /PID NAME +▼CPU% +MEM +MEM%/);
  const node = findRow(screen, " node ");
  const postgres = findRow(screen, " postgres ");
  assert.ok(node > 0 && postgres > node, "node (33%) above postgres (12%)");
  assert.match(screen.rowText(node), /314 node +33\.3% +256M +1\.6%/);
  // Footer key hints.
  assert.match(rows[23]!, /q quit {2}h help {2}\/ filter/);
  // Nothing spills past the right edge.
  for (const r of rows) assert.ok([...r].length <= 80);
});

test("200×60: the same panels with more room; cores side by side", () => {
  const s = liveState();
  s.applyMetrics(metrics({ cpu_per_core: Array.from({ length: 64 }, (_, i) => i) }), NOW);
  const screen = draw(s, 200, 60);
  const text = screen.text();
  assert.match(text, /socktop {2}testhost {2}agent 0\.1\.0/);
  assert.match(text, /c0 /);
  // Several cores per row at this width.
  const row = screen.rowText(findRow(screen, "c0 "));
  assert.match(row, /c0 .*c1 /);
  assert.match(text, /nvme0n1p2/);
  assert.match(text, /Processes 5/);
  const layout = computeLayout(200, 60, s);
  assert.ok(layout.coresPerRow >= 3);
  assert.ok((layout.procRows?.h ?? 0) > 30);
});

test("many cores scroll, with a range and arrows", () => {
  const s = liveState();
  s.applyMetrics(metrics({ cpu_per_core: Array.from({ length: 32 }, () => 50) }), NOW);
  let screen = draw(s, 80, 24);
  assert.match(screen.text(), /Cores ─+ 1–6\/32 \[ \]/);
  assert.match(screen.text(), /▼/);
  s.scrollCores(3, 6, 1);
  screen = draw(s, 80, 24);
  assert.match(screen.text(), /4–9\/32/);
  assert.match(screen.text(), /c3 /);
});

test("GPU panel appears only with GPUs", () => {
  const s = liveState();
  assert.equal(findRow(draw(s, 80, 24), "GPU"), -1);
  const gpu: SeedGpu = { name: "NVIDIA RTX 4090", usage: 37, memory_total: 24 * 1024 ** 3, memory_used: 6 * 1024 ** 3, temp_c: 61 };
  s.applyMetrics(metrics({ gpus: [gpu] }), NOW);
  for (const [w, h] of BOTH_SIZES) {
    const screen = draw(s, w, h);
    const text = screen.text();
    assert.match(text, /─ GPU ─/);
    assert.match(text, /NVIDIA RTX 4090/);
    assert.match(text, /37%/);
    assert.match(text, /61°C/);
    assert.match(text, /6\.0 GiB \/ 24 GiB/);
  }
});

test("the selected row is highlighted in reverse video", () => {
  const s = liveState();
  s.table.selectIndex(1);
  const screen = draw(s, 80, 24);
  const y = findRow(screen, " postgres ");
  const x = screen.rowText(y).indexOf("postgres");
  assert.ok(styleAttrs(screen.styleAt(x, y)) & INVERSE);
  const other = findRow(screen, " node ");
  assert.equal(styleAttrs(screen.styleAt(screen.rowText(other).indexOf("node"), other)) & INVERSE, 0);
});

test("a long list gets a scrollbar whose thumb moves", () => {
  const s = liveState();
  s.applyProcesses(manyProcesses(1000), NOW);
  let screen = draw(s, 80, 24);
  const layout = computeLayout(80, 24, s);
  const sb = layout.scrollbar!;
  assert.equal(screen.charAt(sb.x, sb.y), "█");
  s.table.scrollToFraction(1);
  screen = draw(s, 80, 24);
  assert.equal(screen.charAt(sb.x, sb.y + sb.h - 1), "█");
  assert.equal(screen.charAt(sb.x, sb.y), "│");
  assert.deepEqual(scrollThumb(1000, 10, 0, 10), { start: 0, size: 1 });
  assert.deepEqual(scrollThumb(5, 10, 0, 10), { start: 0, size: 10 });
});

test("filtering shows the count, the filter and the prompt", () => {
  const s = liveState();
  s.table.beginFilter();
  s.table.setFilter("gre");
  const screen = draw(s, 80, 24);
  const text = screen.text();
  assert.match(text, /Processes 1\/5/);
  assert.match(text, /filter “gre”/);
  assert.match(screen.rowText(23), /^ \/ gre█ +Enter keep · Esc clear/);
  s.table.acceptFilter();
  assert.match(draw(s, 80, 24).rowText(23), /filter “gre” c clears/);
  s.table.setFilter("nothing-matches");
  assert.match(draw(s, 80, 24).text(), /no process matches the filter/);
});

test("connecting screen before any data, then the error with a countdown", () => {
  const s = new AppState();
  let screen = draw(s, 80, 24);
  assert.match(screen.text(), /Connecting to ws:\/\/127\.0\.0\.1:3231\/ws …/);
  assert.match(screen.rowText(0), /◌ connecting…/);
  s.conn.phase = "retrying";
  s.conn.error = "connection refused: no agent listening on 127.0.0.1:3231";
  s.conn.errorDetail = "The agent at ws://127.0.0.1:3231/ws refused the connection: is socktop_agent running?";
  s.conn.retryAt = NOW + 3500;
  s.conn.attempt = 2;
  screen = draw(s, 80, 24);
  const text = screen.text();
  assert.match(text, /✖ connection refused: no agent listening on 127\.0\.0\.1:3231/);
  assert.match(text, /is socktop_agent\s+running\?/);
  assert.match(text, /Retrying in 4s \(attempt 2\)/);
  assert.match(screen.rowText(0), /✖ retry 4s/);
});

test("stale data stays visible, dimmed, under an error banner with the countdown", () => {
  const s = liveState();
  s.conn.phase = "retrying";
  s.conn.error = "authentication failed: wrong or missing token (check ?token= in the URL)";
  s.conn.retryAt = NOW + 2000;
  s.conn.attempt = 3;
  for (const [w, h] of BOTH_SIZES) {
    const screen = draw(s, w, h);
    const text = screen.text();
    assert.match(screen.rowText(0), /✖ stale · retry 2s/);
    assert.match(screen.rowText(1), /⚠ authentication failed: wrong or missing token \(check \?token= in the URL\)/);
    assert.match(screen.rowText(2), /retrying in 2s \(attempt 3\) · stale data from 0s ago · R retries now/);
    // Data still there, dimmed.
    const y = findRow(screen, " postgres ");
    assert.ok(y > 2);
    assert.ok(styleAttrs(screen.styleAt(screen.rowText(y).indexOf("postgres"), y)) & DIM);
    assert.match(text, /CPU 65\.0%/);
  }
});

test("help lists every key; about shows versions and the redacted URL", () => {
  const s = liveState();
  s.modal = { kind: "help", scroll: 0 };
  const help = draw(s, 80, 24).text();
  for (const k of KEY_TABLE) {
    if (k.keys) assert.ok(help.includes(k.keys), `help shows ${k.keys}`);
    assert.ok(help.includes(k.action.slice(0, 30)), `help shows ${k.action}`);
  }
  s.modal = { kind: "about" };
  const about = draw(s, 80, 24, ctx({ url: "ws://h:1/ws?token=•••", tls: true, tlsCa: "/etc/ca.pem" })).text();
  assert.match(about, /socktop +0\.1\.0/);
  assert.match(about, /agent version +0\.1\.0/);
  assert.match(about, /token=•••/);
  assert.match(about, /pinned CA \/etc\/ca\.pem/);
});

test("help scrolls when the terminal is short", () => {
  const s = liveState();
  s.modal = { kind: "help", scroll: 0 };
  const short = draw(s, 80, 14).text();
  assert.match(short, /↑↓ scroll/);
  assert.ok(!short.includes("drag the scrollbar"));
  s.modal = { kind: "help", scroll: 100 };
  // Scrolled to the end: the last key of the last view (the help lists every view's keys).
  assert.match(draw(s, 80, 14).text(), /click a host: select it; double-click: open it/);
});

test("a terminal that is too small says so", () => {
  const text = draw(liveState(), 30, 8).text();
  assert.match(text, /socktop needs 40×12/);
  assert.match(text, /now 30×8/);
});

test("TLS marker and a narrow header drop the least important parts", () => {
  const s = liveState();
  const wide = draw(s, 120, 30, ctx({ tls: true })).rowText(0);
  assert.match(wide, /TLS/);
  assert.match(wide, /agent 0\.1\.0/);
  const narrow = draw(s, 40, 20, ctx({ tls: true })).rowText(0);
  assert.match(narrow, /testhost/);
  assert.match(narrow, /● connected/);
  assert.ok(!narrow.includes("agent 0.1.0"));
});

test("at 80 columns the TLS marker outranks the load average (a slow round trip must not hide it)", () => {
  const s = liveState();
  s.conn.rttMs = 160;
  s.load = { load_1: 11.31, load_5: 7.92, load_15: 4.72, runnable: 2, tasks: 130, uptime_seconds: 11_460, boot_time: 1_700_000_000 };
  const header = draw(s, 80, 24, ctx({ tls: true })).rowText(0);
  assert.match(header, /● connected 160 ms {2}TLS {2}/);
});

test("NO_COLOR: no colour at all, only attributes", () => {
  assert.equal(colorEnabled({ NO_COLOR: "1" }), false);
  assert.equal(colorEnabled({ NO_COLOR: "" }), true);
  assert.equal(colorEnabled({}), true);
  const s = liveState();
  s.conn.phase = "retrying";
  s.conn.error = "connection to x lost";
  s.conn.retryAt = NOW + 1000;
  const screen = draw(s, 80, 24, ctx({ theme: createTheme(false) }));
  for (let y = 0; y < 24; y++) {
    for (let x = 0; x < 80; x++) {
      assert.equal(styleFg(screen.styleAt(x, y)), DEFAULT_COLOR);
      assert.equal(styleBg(screen.styleAt(x, y)), DEFAULT_COLOR);
    }
  }
  const out = diffScreens(null, screen);
  assert.ok(!/\x1b\[[0-9;]*(3[0-7]|9[0-7]|4[0-7]|10[0-7])[;m]/.test(out.replace(/\x1b\[0m/g, "")), "no colour SGR codes");
});

test("with colour, bars and states use only the 16 theme-following colours", () => {
  const screen = draw(liveState(), 80, 24);
  for (let y = 0; y < 24; y++) {
    for (let x = 0; x < 80; x++) {
      const fg = styleFg(screen.styleAt(x, y));
      assert.ok(fg === DEFAULT_COLOR || fg < 16);
    }
  }
});
