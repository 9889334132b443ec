#!/usr/bin/env node
/**
 * What the terminal layer costs at start-up: time to load it and get a usable
 * terminal object, and the resident memory it adds. Each variant runs in a
 * fresh node process inside a pty (script(1), 80×24), variants interleaved
 * round by round so machine load hits all of them alike; medians and the
 * p10–p90 spread are printed.
 *
 *   node packages/tui/scripts/terminal-cost.mjs [rounds] [--terminal-kit DIR]
 *
 * Variants: "node" (nothing loaded), "terminal-kit" (import + .terminal, as
 * socktop ≤ 0.1 did; only with --terminal-kit DIR), "socktop input"
 * (dist/terminal.js of this package: Node's TTY support and input.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "dist", "terminal.js");
const rounds = Number(/^\d+$/.test(process.argv[2] ?? "") ? process.argv[2] : 15);

// Each child reports: ms from process start to a usable terminal, RSS then, and
// how many modules were loaded (the dependency tree actually read).
const probe = (body) => `
const t0 = performance.timeOrigin;
${body}
const ms = performance.now();
globalThis.gc?.();
const rss = process.memoryUsage().rss;
process.stdout.write("RESULT " + JSON.stringify({ ms, rss }) + "\\n");
process.exit(0);
`;

// socktop no longer depends on terminal-kit: give a directory holding it
// (e.g. an older checkout's node_modules/terminal-kit) to compare.
const tkArg = process.argv.indexOf("--terminal-kit");
const terminalKit = tkArg > 0 ? process.argv[tkArg + 1] : null;

const variants = {
  node: probe(""),
  ...(terminalKit
    ? { "terminal-kit": probe(`const tk = (await import(${JSON.stringify(join(terminalKit, "lib", "termkit.js"))})).default; const term = tk.terminal; void term.width;`) }
    : {}),
  ...(existsSync(dist)
    ? { "socktop input": probe(`const m = await import(${JSON.stringify(dist)}); const t = await m.openTerminal(); void t.width;`) }
    : {}),
};

function once(code) {
  const cmd = `stty cols 80 rows 24; exec ${process.execPath} --expose-gc --input-type=module -e '${code.replace(/'/g, "'\\''")}'`;
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { cwd: join(here, ".."), encoding: "utf8" });
  const line = (r.stdout ?? "").split(/\r?\n/).find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`no result: ${r.stdout}${r.stderr}`);
  return JSON.parse(line.slice(7));
}

const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < rounds; i++) for (const [name, code] of Object.entries(variants)) samples[name].push(once(code));

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
};
const base = samples.node;
console.log(`${rounds} rounds, interleaved; medians (p10–p90)`);
for (const [name, xs] of Object.entries(samples)) {
  const ms = xs.map((x) => x.ms);
  const mb = xs.map((x) => x.rss / 1e6);
  const dms = q(ms, 0.5) - q(base.map((x) => x.ms), 0.5);
  const dmb = q(mb, 0.5) - q(base.map((x) => x.rss / 1e6), 0.5);
  console.log(
    `${name.padEnd(14)} ready at ${q(ms, 0.5).toFixed(1)} ms (${q(ms, 0.1).toFixed(1)}–${q(ms, 0.9).toFixed(1)}), ` +
      `RSS ${q(mb, 0.5).toFixed(1)} MB (${q(mb, 0.1).toFixed(1)}–${q(mb, 0.9).toFixed(1)}); vs node: +${dms.toFixed(1)} ms, +${dmb.toFixed(1)} MB`,
  );
}
