/**
 * Draws the whole frame from the state into a Screen. Every frame is drawn
 * from scratch; the diff writer (screen.ts) makes that cheap on the wire.
 */
import { fit, formatClock, formatDuration, sanitize, textWidth, truncate } from "./format.js";
import { helpSections } from "./keys.js";
import { computeLayout, type Layout, MIN_HEIGHT, MIN_WIDTH, modalRect } from "./layout.js";
import { renderCores, renderCpu, renderDisks, renderGpus, renderMemory, renderNetwork, renderProcesses } from "./panels.js";
import { DIM, type Rect, type Screen, type Style } from "./screen.js";
import type { AppState } from "./state.js";
import { box, type RenderContext, wrap } from "./widgets.js";

/** Something drawn over the main screen (the process details view plugs in here). */
export interface Overlay {
  render(screen: Screen, area: Rect, ctx: RenderContext): void;
}

export function renderFrame(screen: Screen, state: AppState, ctx: RenderContext, overlay?: Overlay | null): Layout {
  const { theme } = ctx;
  screen.clear(theme.text);
  const layout = computeLayout(screen.width, screen.height, state);
  if (layout.tooSmall) {
    renderTooSmall(screen, ctx);
    return layout;
  }
  renderHeader(screen, layout.header, state, ctx);
  if (overlay) {
    const area = { x: 0, y: 1, w: screen.width, h: screen.height - 1 };
    overlay.render(screen, area, ctx);
    renderModal(screen, state, ctx);
    return layout;
  }
  if (!state.hasData) {
    renderConnecting(screen, layout.body, state, ctx);
  } else {
    if (layout.cpu) renderCpu(screen, layout.cpu, state, ctx);
    if (layout.cores) renderCores(screen, layout, state, ctx);
    if (layout.mem) renderMemory(screen, layout.mem, state, ctx);
    if (layout.gpu) renderGpus(screen, layout.gpu, state.metrics?.gpus ?? [], ctx);
    if (layout.disks) renderDisks(screen, layout.disks, state.disks, ctx, state.diskIo);
    if (layout.net) renderNetwork(screen, layout.net, state, ctx);
    if (layout.procs) renderProcesses(screen, layout, state, ctx);
    // Stale data stays readable but visibly faded.
    if (state.stale) screen.addAttrs(layout.body, DIM);
    if (layout.banner) renderBanner(screen, layout.banner, state, ctx);
  }
  renderFooter(screen, layout.footer, state, ctx);
  renderModal(screen, state, ctx);
  state.signalDialog?.render(screen, ctx, box);
  return layout;
}

function renderModal(screen: Screen, state: AppState, ctx: RenderContext): void {
  if (state.modal?.kind === "help") renderHelp(screen, state, ctx);
  else if (state.modal?.kind === "about") renderAbout(screen, state, ctx);
}

function renderTooSmall(screen: Screen, ctx: RenderContext): void {
  const lines = [`socktop needs ${MIN_WIDTH}×${MIN_HEIGHT}`, `(now ${screen.width}×${screen.height})`, "q quits"];
  const y0 = Math.max(0, Math.floor((screen.height - lines.length) / 2));
  lines.forEach((line, i) => {
    const x = Math.max(0, Math.floor((screen.width - textWidth(line)) / 2));
    screen.put(x, y0 + i, line, i === 0 ? ctx.theme.bold : ctx.theme.text, screen.width);
  });
}

function renderHeader(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const m = state.metrics;
  const conn = state.conn;
  const left: { text: string; style: Style; prio: number }[] = [
    { text: " socktop", style: theme.bold, prio: 0 },
    { text: m ? sanitize(m.hostname) : ctx.target, style: theme.bold, prio: 0 },
  ];
  if (conn.agentVersion) left.push({ text: `agent ${conn.agentVersion}`, style: theme.muted, prio: 3 });
  if (ctx.demo) left.push({ text: "demo", style: theme.muted, prio: 4 });

  let stateText: string;
  let stateStyle: Style;
  if (conn.phase === "open") {
    stateText = conn.rttMs !== null ? `● connected ${Math.round(conn.rttMs)} ms` : "● connected";
    stateStyle = theme.ok;
  } else if (conn.phase === "connecting") {
    stateText = state.hasData ? "◌ reconnecting…" : "◌ connecting…";
    stateStyle = theme.warn;
  } else if (conn.phase === "stopped") {
    stateText = "✖ stopped";
    stateStyle = theme.error;
  } else {
    const secs = conn.retryAt !== null ? Math.max(0, Math.ceil((conn.retryAt - ctx.now) / 1000)) : 0;
    stateText = state.hasData ? `✖ stale · retry ${secs}s` : `✖ retry ${secs}s`;
    stateStyle = theme.error;
  }
  const right: { text: string; style: Style; prio: number }[] = [{ text: stateText, style: stateStyle, prio: 0 }];
  // Whether the link is encrypted matters more than the load average: it drops last.
  if (ctx.tls) right.push({ text: "TLS", style: theme.bold, prio: 1 });
  if (state.processCount !== null) right.push({ text: `${state.processCount} procs`, style: theme.text, prio: 1 });
  if (state.load) {
    const l = state.load;
    right.push({ text: `load ${l.load_1.toFixed(2)} ${l.load_5.toFixed(2)} ${l.load_15.toFixed(2)}`, style: theme.text, prio: 2 });
    right.push({ text: `up ${formatDuration(l.uptime_seconds * 1000)}`, style: theme.text, prio: 3 });
  }
  right.push({ text: `${formatClock(new Date(ctx.now))} `, style: theme.text, prio: 1 });

  // Drop the least important pieces until the line fits.
  const sep = "  ";
  const widthOf = (items: { text: string }[]): number =>
    items.reduce((s, it) => s + textWidth(it.text), 0) + sep.length * Math.max(0, items.length - 1);
  for (let prio = 4; prio > 0; prio--) {
    if (widthOf(left) + widthOf(right) + 2 <= rect.w) break;
    for (const list of [left, right]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.prio === prio) list.splice(i, 1);
    }
  }
  let x = rect.x;
  for (const [i, it] of left.entries()) {
    if (i > 0) x = screen.put(x, rect.y, sep, theme.text);
    x = screen.put(x, rect.y, it.text, it.style, rect.x + rect.w - x);
  }
  const rw = widthOf(right);
  let rx = Math.max(x + 1, rect.x + rect.w - rw);
  for (const [i, it] of right.entries()) {
    if (i > 0) rx = screen.put(rx, rect.y, sep, theme.text);
    rx = screen.put(rx, rect.y, it.text, it.style, rect.x + rect.w - rx);
  }
}

function renderBanner(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const conn = state.conn;
  screen.fill(rect, " ", theme.banner);
  let countdown: string;
  if (conn.phase === "retrying" && conn.retryAt !== null) {
    const secs = Math.max(0, Math.ceil((conn.retryAt - ctx.now) / 1000));
    countdown = `retrying in ${secs}s (attempt ${conn.attempt})`;
  } else if (conn.phase === "connecting") {
    countdown = `reconnecting (attempt ${conn.attempt})…`;
  } else {
    countdown = "";
  }
  const age = state.lastDataAt !== null ? `stale data from ${formatDuration(ctx.now - state.lastDataAt)} ago` : "stale data";
  const message = ` ⚠ ${conn.error ?? ""}`;
  if (rect.h > 1) {
    screen.put(rect.x, rect.y, truncate(message, rect.w), theme.banner, rect.w);
    const line2 =
      conn.phase === "stopped"
        ? ["q quits", conn.errorDetail, age].filter(Boolean).join(" · ")
        : [countdown, age, conn.phase === "retrying" ? "R retries now" : ""].filter(Boolean).join(" · ");
    screen.put(rect.x, rect.y + 1, `   ${line2}`, theme.banner, rect.w);
  } else {
    // One row: keep the countdown visible even when the message is cut.
    const suffix = countdown ? ` — ${countdown}` : "";
    const room = rect.w - textWidth(suffix);
    screen.put(rect.x, rect.y, truncate(message, Math.max(10, room)) + suffix, theme.banner, rect.w);
  }
}

function renderConnecting(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const conn = state.conn;
  const lines: { text: string; style: Style }[] = [];
  lines.push({ text: `Connecting to ${ctx.url}${conn.phase === "connecting" ? " …" : ""}`, style: theme.bold });
  lines.push({ text: "", style: theme.text });
  const textW = Math.max(20, Math.min(rect.w - 4, 76));
  if (conn.error) {
    for (const l of wrap(`✖ ${conn.error}`, textW)) lines.push({ text: l, style: theme.error });
    if (conn.errorDetail) {
      for (const l of wrap(conn.errorDetail, textW)) lines.push({ text: l, style: theme.text });
    }
    lines.push({ text: "", style: theme.text });
  }
  if (conn.phase === "retrying" && conn.retryAt !== null) {
    const secs = Math.max(0, Math.ceil((conn.retryAt - ctx.now) / 1000));
    lines.push({ text: `Retrying in ${secs}s (attempt ${conn.attempt}) · R retries now · q quits`, style: theme.text });
  } else if (conn.phase === "stopped") {
    lines.push({ text: "Not retrying · q quits", style: theme.text });
  } else if (conn.attempt > 1) {
    lines.push({ text: `Attempt ${conn.attempt}… · q quits`, style: theme.text });
  } else {
    lines.push({ text: "q quits", style: theme.muted });
  }
  const maxW = Math.min(rect.w - 2, Math.max(...lines.map((l) => textWidth(l.text))));
  const x = rect.x + Math.max(1, Math.floor((rect.w - maxW) / 2));
  const y0 = rect.y + Math.max(0, Math.floor((rect.h - lines.length) / 2));
  lines.forEach((l, i) => {
    if (y0 + i < rect.y + rect.h) screen.put(x, y0 + i, truncate(l.text, rect.w - 2), l.style);
  });
}

function renderFooter(screen: Screen, rect: Rect, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const table = state.table;
  if (table.filterEditing) {
    let x = screen.put(rect.x, rect.y, " / ", theme.key);
    x = screen.put(x, rect.y, table.filter, theme.filter, rect.w - x - 30);
    x = screen.put(x, rect.y, "█", theme.text);
    screen.put(x + 2, rect.y, "Enter keep · Esc clear", theme.muted, rect.x + rect.w - x - 2);
    return;
  }
  const hints: [string, string][] = [
    ["q", "quit"],
    ["h", "help"],
    ["/", "filter"],
    ["P M N", "sort"],
    ["↑↓", "select"],
    ["a", "about"],
  ];
  if (state.conn.phase === "retrying") hints.splice(2, 0, ["R", "retry now"]);
  let x = rect.x + 1;
  if (table.filter.trim() !== "") {
    x = screen.put(x, rect.y, `filter “${table.filter}”`, theme.filter, rect.w - 2);
    x = screen.put(x, rect.y, " c clears  ", theme.muted, rect.x + rect.w - x);
  }
  if (table.scope) {
    // A group's processes (the cgroups view's drill-down): Esc goes back to the groups.
    x = screen.put(x, rect.y, `cgroup ${sanitize(table.scope.label)}`, theme.filter, rect.x + rect.w - x);
    x = screen.put(x, rect.y, " Esc back  ", theme.muted, rect.x + rect.w - x);
  }
  for (const [k, label] of hints) {
    const need = textWidth(k) + 1 + textWidth(label) + 2;
    if (x + need > rect.x + rect.w) break;
    x = screen.put(x, rect.y, k, theme.key);
    x = screen.put(x, rect.y, ` ${label}  `, theme.text);
  }
}

/** Every key of every view, this one first (the others under a heading). */
export function helpLines(): { keys: string; action: string }[] {
  return helpSections("host").flatMap((s, i) => [
    ...(i === 0 ? [] : [{ keys: "", action: "" }, { keys: s.title, action: `(${s.note})` }]),
    ...s.keys.map((k) => ({ keys: k.keys, action: k.action })),
  ]);
}

function renderHelp(screen: Screen, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const lines = helpLines();
  const keyW = Math.max(...lines.map((l) => textWidth(l.keys)));
  const contentW = Math.max(...lines.map((l) => keyW + 2 + textWidth(l.action)));
  const rect = modalRect(screen.width, screen.height, contentW + 4, lines.length + 4);
  box(screen, rect, "Keys", ctx);
  const rows = rect.h - 4;
  const modal = state.modal as { kind: "help"; scroll: number };
  const maxScroll = Math.max(0, lines.length - rows);
  modal.scroll = Math.max(0, Math.min(modal.scroll, maxScroll));
  for (let i = 0; i < rows && modal.scroll + i < lines.length; i++) {
    const l = lines[modal.scroll + i]!;
    const y = rect.y + 1 + i;
    screen.put(rect.x + 2, y, fit(l.keys, keyW), theme.key, rect.w - 4);
    screen.put(rect.x + 2 + keyW + 2, y, l.action, theme.text, rect.w - keyW - 6);
  }
  const more = maxScroll > 0 ? " · ↑↓ scroll" : "";
  screen.put(rect.x + 2, rect.y + rect.h - 2, `Esc/h/q close${more}`, theme.muted, rect.w - 4);
}

function renderAbout(screen: Screen, state: AppState, ctx: RenderContext): void {
  const { theme } = ctx;
  const c = state.conn;
  const rows: [string, string][] = [
    ["socktop", `${ctx.version} (TypeScript) · MIT license`],
    ["agent", ctx.url],
    ["agent version", c.agentVersion ?? "unknown (legacy agent)"],
    ["protocol", c.protocolVersion !== null ? `${c.protocolVersion}${c.legacy ? " (legacy commands)" : ""}` : "–"],
    ["capabilities", c.capabilities.length ? c.capabilities.join(", ") : "–"],
    ["TLS", ctx.tls ? `yes${ctx.tlsCa ? `, pinned CA ${ctx.tlsCa}` : ""}${ctx.verifyHostname ? ", hostname verified" : ""}` : "no"],
    [
      "intervals",
      `metrics ${ctx.intervals.metricsMs} ms · processes ${ctx.intervals.processesMs} ms · disks ${ctx.intervals.disksMs} ms`,
    ],
    ["connected", c.phase === "open" && c.connectedAt !== null ? `for ${formatDuration(ctx.now - c.connectedAt)}` : c.phase],
  ];
  const labelW = Math.max(...rows.map(([k]) => k.length));
  const contentW = Math.max(...rows.map(([, v]) => labelW + 2 + textWidth(v)));
  const rect = modalRect(screen.width, screen.height, Math.min(contentW + 4, 90), rows.length + 4);
  box(screen, rect, "About", ctx);
  rows.forEach(([k, v], i) => {
    if (i >= rect.h - 4) return;
    const y = rect.y + 1 + i;
    screen.put(rect.x + 2, y, k.padEnd(labelW), theme.bold);
    screen.put(rect.x + 2 + labelW + 2, y, truncate(v, rect.w - labelW - 6), theme.text);
  });
  screen.put(rect.x + 2, rect.y + rect.h - 2, "Esc/a/q close", theme.muted, rect.w - 4);
}
