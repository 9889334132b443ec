/**
 * 14. Web dashboard (--web): the page's size, and what watching an agent in a
 * browser tab costs, beside the TUI at the same polling rates (metrics
 * 500 ms, processes 2 s, disks 5 s):
 *   - bundle: every file of the page, gzip level 9 (as the agent serves it);
 *   - the tab: scripting time per second of wall time, from the DevTools
 *     Protocol's Performance metrics (ScriptDuration; TaskDuration for all
 *     main-thread work), in Debian's Chromium driven by playwright-core;
 *   - the agent: its CPU while the page (or the TUI) watches it, each
 *     contender against an agent of its own, measured side by side.
 * Skipped with a reason when /usr/bin/chromium or the built page is missing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { startAgent } from "../lib/peers.mjs";
import { sampleTree, startTui, tmuxMissing } from "../lib/tui.mjs";
import { CpuMeter, fmtBytes, fmtNum, sleep } from "../lib/util.mjs";

const CHROMIUM = "/usr/bin/chromium";
const BUDGET = 150 * 1024;

function bundleSize(dir) {
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(dir);
  return files.map((p) => {
    const body = readFileSync(p);
    return { file: relative(dir, p), raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
  });
}

async function measurePage(ctx, windowS) {
  let chromium;
  try {
    ({ chromium } = await import(join(ctx.root, "node_modules", "playwright-core", "index.mjs")));
  } catch (error) {
    return { skipped: `playwright-core is not installed (${error.message})` };
  }
  const agent = await startAgent(ctx, { label: "agent-web", env: { SOCKTOP_WEB: "1" } });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`http://127.0.0.1:${agent.port}/`);
    await page.waitForSelector(".pspacer .prow", { timeout: 20_000 });
    await sleep(5000); // warm-up: JIT, first charts
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    const read = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
    const before = await read();
    const agentCpu = new CpuMeter(agent.pid);
    const t0 = performance.now();
    await sleep(windowS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const after = await read();
    const cpu = agentCpu.read();
    const rows = await page.$$eval(".pspacer .prow", (r) => r.length);
    return {
      seconds,
      scriptPerS: (after.ScriptDuration - before.ScriptDuration) / seconds,
      taskPerS: (after.TaskDuration - before.TaskDuration) / seconds,
      layoutPerS: (after.LayoutDuration - before.LayoutDuration + after.RecalcStyleDuration - before.RecalcStyleDuration) / seconds,
      heapMiB: after.JSHeapUsedSize / 1048576,
      nodes: after.Nodes,
      domRows: rows,
      agentCore: cpu.cpuSeconds / cpu.seconds,
    };
  } finally {
    await browser.close();
    await agent.stop();
  }
}

async function measureTui(ctx, windowS) {
  const cli = join(ctx.root, "packages", "tui", "dist", "cli.js");
  if (!existsSync(cli)) return { skipped: "packages/tui/dist/cli.js is absent" };
  const noTmux = tmuxMissing();
  if (noTmux) return { skipped: noTmux };
  const agent = await startAgent(ctx, { label: "agent-tui-web" });
  const tui = await startTui({ cli, args: [agent.url], xdg: join(ctx.outDir, "xdg"), cols: 160, rows: 50, socket: `socktop-bench-web-${process.pid}`, label: "tui-web", graceMs: 300 });
  try {
    if (tui.error) return { skipped: tui.error };
    await sleep(5000);
    const agentCpu = new CpuMeter(agent.pid);
    const sample = await sampleTree(tui.pid, windowS);
    const cpu = agentCpu.read();
    return { seconds: sample.seconds, tuiCore: sample.coreFraction, agentCore: cpu.cpuSeconds / cpu.seconds };
  } finally {
    if (!tui.error) await tui.stop();
    await agent.stop();
  }
}

export const title = "14. Web dashboard";

export async function run(ctx) {
  const webDir = join(ctx.root, "packages", "agent", "dist", "web");
  if (!existsSync(join(webDir, "index.html"))) return { id: "web", title, markdown: "**Skipped**: the page is not built (packages/agent/dist/web).", targets: [] };
  const files = bundleSize(webDir);
  const total = files.reduce((s, f) => s + f.gzip, 0);
  const windowS = ctx.quick ? 15 : 60;
  let page;
  let tui;
  if (!existsSync(CHROMIUM)) {
    page = { skipped: `${CHROMIUM} is missing (apt-get install chromium)` };
    tui = { skipped: "no browser to compare with" };
  } else {
    ctx.log(`web: page and TUI open for ${windowS} s each, side by side`);
    [page, tui] = await Promise.all([measurePage(ctx, windowS), measureTui(ctx, windowS)]);
  }
  const pct = (f) => `${fmtNum(f * 100, 2)} %`;
  const lines = [
    "**The page** (every file the agent serves with `--web`, gzip level 9 as served):",
    "",
    "| file | raw | gzip |",
    "|---|---:|---:|",
    ...files.map((f) => `| ${f.file} | ${fmtBytes(f.raw)} | ${fmtBytes(f.gzip)} |`),
    `| **whole page** | | **${fmtBytes(total)}** (budget ${fmtBytes(BUDGET)}) |`,
    "",
  ];
  if (page.skipped) lines.push(`**Browser tab skipped**: ${page.skipped}.`);
  else {
    lines.push(
      `**Watching an agent for ${fmtNum(page.seconds, 0)} s** at the TUI's rates (metrics 500 ms, processes 2 s, disks 5 s), after a 5 s warm-up; the page in headless Chromium (1280×800), the TUI in a 160×50 tmux pane, each with an agent of its own, measured at the same time:`,
      "",
      "| client | client CPU | of which scripting | layout + style | its agent's CPU |",
      "|---|---:|---:|---:|---:|",
      `| browser tab (DevTools Performance metrics: TaskDuration, ScriptDuration per second) | ${pct(page.taskPerS)} of a core | ${pct(page.scriptPerS)} | ${pct(page.layoutPerS)} | ${pct(page.agentCore)} of a core |`,
      tui.skipped ? `| socktop TUI | skipped: ${tui.skipped} | | | |` : `| socktop TUI (process CPU, /proc) | ${pct(tui.tuiCore)} of a core | | | ${pct(tui.agentCore)} of a core |`,
      "",
      `The tab's JS heap in use: ${fmtNum(page.heapMiB, 1)} MiB; DOM nodes: ${page.nodes}; process-table rows in the DOM: ${page.domRows} (virtualised). The tab's figure is the renderer's main thread only (Chromium's GPU and browser processes are not counted); the TUI's is its whole process.`,
    );
  }
  const targets = [{ name: "web page ≤ 150 KB gzip", figure: fmtBytes(total), met: total <= BUDGET }];
  return { id: "web", title, markdown: lines.join("\n"), targets, data: { files, total, page, tui } };
}
