/**
 * Cost of protocol-2 process rows (issue 15): the process scan before and
 * after the extra fields (ppid, uid, user, state, threads, start time,
 * command), and the size of one process-list reply in both forms.
 *
 *   node --import tsx --conditions=source bench/process-rows.mjs [--scans N] [--base REV] [--json]
 *
 * "before" is processes.ts (with every module it imports, transitively) as of
 * --base, by default the parent of the commit that added the rows (the first
 * with collectors/process-meta.ts); it is extracted with `git show` into a
 * temporary directory under bench/out (so package imports still resolve) and
 * run side by side with the current collector. --json prints the figures as
 * one JSON object (bench/suites/rows.mjs reads it). Scans alternate between the two, so that a
 * machine busy with other work slows both alike: quote the ratio, not the
 * absolute figures. Both collectors scan the same live /proc.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync, constants } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const scans = Number(opt("--scans", 400));
const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
const asJson = argv.includes("--json");
// The rows came with process-meta.ts: its first commit's parent is the scan without them.
// (Found by the file, not by a commit message, which a rebase or a reword would lose.)
const added = git("log", "--diff-filter=A", "--format=%H", "--", "packages/agent/src/collectors/process-meta.ts").split("\n").filter(Boolean).pop();
const base = opt("--base", added ? `${added}~1` : null);
if (!base) throw new Error("cannot find the commit that added the rows (collectors/process-meta.ts): pass --base REV");

/** Copies `file` of the collectors as of `base`, and every relative module it imports. */
function extract(dir, file, seen = new Set()) {
  if (seen.has(file)) return;
  seen.add(file);
  const text = git("show", `${base}:packages/agent/src/collectors/${file}`);
  writeFileSync(join(dir, file), text);
  for (const m of text.matchAll(/from "\.\/([\w.-]+)\.js"/g)) extract(dir, `${m[1]}.ts`, seen);
}

mkdirSync(join(root, "bench", "out"), { recursive: true });
const dir = mkdtempSync(join(root, "bench", "out", "rows-before-"));
try {
  extract(dir, "processes.ts");
  const Before = (await import(pathToFileURL(join(dir, "processes.ts")).href)).ProcessCollector;
  const After = (await import(pathToFileURL(join(root, "packages/agent/src/collectors/processes.ts")).href)).ProcessCollector;
  const { encodeProcessList } = await import(pathToFileURL(join(root, "packages/protocol/src/index.ts")).href);

  const before = new Before();
  const after = new After();
  before.baseline();
  after.baseline();
  // Warm-up: JIT, and the after-collector's uid/command cache (its steady state).
  for (let i = 0; i < 20; i++) {
    await before.collect();
    await after.collect();
  }
  // Scans alternate one by one (before, after, before, …), so that both see the same
  // machine load and the same process churn; each scan's CPU time is measured on its own.
  const cpuOfScan = async (collector) => {
    const t0 = process.cpuUsage();
    await collector.collect();
    const d = process.cpuUsage(t0);
    return d.user + d.system;
  };
  const b = [];
  const a = [];
  for (let i = 0; i < scans; i++) {
    if (i % 2 === 0) {
      b.push(await cpuOfScan(before));
      a.push(await cpuOfScan(after));
    } else {
      a.push(await cpuOfScan(after));
      b.push(await cpuOfScan(before));
    }
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const rows = await after.collect();
  // A cold scan: every process new to the uid/command cache (what the first scan after start costs).
  const cold = new After();
  cold.baseline();
  const t0 = process.cpuUsage();
  await cold.collect();
  const dc = process.cpuUsage(t0);

  const basic = encodeProcessList(rows, "basic");
  const rich = encodeProcessList(rows, "rich");
  const gz = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_SPEED }).length;
  const mb = median(b);
  const ma = median(a);
  if (asJson) {
    const figures = {
      processes: rows.length,
      scans,
      base: git("rev-parse", "--short", base),
      scanUsBefore: { median: mb, mean: mean(b) },
      scanUsAfter: { median: ma, mean: mean(a) },
      coldScanUs: dc.user + dc.system,
      reply: { basic: { raw: basic.length, gzip: gz(basic) }, rich: { raw: rich.length, gzip: gz(rich) } },
    };
    console.log(JSON.stringify(figures));
  } else {
    const line = (label, value) => console.log(`${label.padEnd(44)} ${value}`);
    console.log(`process rows bench — ${rows.length} processes, ${scans} alternating scans each, before = ${git("rev-parse", "--short", base)}`);
    line("scan CPU before (median / mean µs/scan)", `${mb.toFixed(0)} / ${mean(b).toFixed(0)}`);
    line("scan CPU after, warm cache (median / mean)", `${ma.toFixed(0)} / ${mean(a).toFixed(0)}`);
    line("scan cost ratio after/before (median)", `${(ma / mb).toFixed(3)} (${((ma / mb - 1) * 100).toFixed(1)} %; budget +15 %)`);
    line("scan cost ratio after/before (mean)", `${(mean(a) / mean(b)).toFixed(3)}`);
    line("first scan after start, cold cache (µs)", ((dc.user + dc.system) / 1).toFixed(0));
    line("reply protocol 1 (basic), bytes raw / gzip", `${basic.length} / ${gz(basic)}`);
    line("reply protocol 2 (rich), bytes raw / gzip", `${rich.length} / ${gz(rich)}`);
    line("reply size ratio rich/basic (gzip)", (gz(rich) / gz(basic)).toFixed(2));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
