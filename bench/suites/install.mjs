/**
 * Suite 8 (pack12, issue 12): the forms the agent ships in, side by side.
 *
 *  - installed: `socktop_agent` from `npm install -g --prefix <tmp>` of `npm run pack`'s tarballs
 *  - repository: `node packages/agent/dist/cli.cjs` (the reference the other suites measure)
 *  - bundle: `node socktop_agent.mjs` (`npm run bundle`)
 *  - SEA: the single executable `socktop_agent` (`npm run sea`)
 *
 * For each: start-up time from exec to the listening line on stderr (median of several
 * starts, interleaved between the forms), VmRSS at idle 2 s after start, and VmRSS after
 * 10 clients polled at the TUI's rates. Start-up is what a systemd restart or a `--demo`
 * costs; RSS is what the form adds on top of the agent itself.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { agentCliPath } from "../lib/peers.mjs";
import { pathToFileURL } from "node:url";
import { runLoad } from "../lib/load.mjs";
import { fmtBytes, fmtMs, median, procMemory, quantile, sleep, startProcess } from "../lib/util.mjs";

const MiB = 1024 * 1024;

/** Starts one form and resolves once it listens: { proc, port, startupMs }. */
async function startForm(form) {
  const t0 = performance.now();
  const proc = startProcess(form.argv[0], [...form.argv.slice(1), "--port", "0", "--bind", "127.0.0.1"], {
    label: form.id,
    env: { ...process.env, SOCKTOP_TOKEN: "", NODE_OPTIONS: "" },
    cwd: form.cwd,
  });
  const port = await new Promise((resolve, reject) => {
    let err = "";
    proc.child.stderr.on("data", (chunk) => {
      err += chunk.toString();
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    proc.exited.then(({ code, signal }) => reject(new Error(`${form.name} exited ${code ?? signal}: ${err.slice(-500)}`)));
  });
  return { proc, port, startupMs: performance.now() - t0 };
}

export async function run(ctx) {
  const root = ctx.root;
  const work = join(ctx.outDir, "install");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const scripts = (name) => import(pathToFileURL(join(root, "scripts", name)).href);

  ctx.log("install: npm run pack, npm install -g --prefix, npm run bundle + sea");
  const { packAll, PACKAGES } = await scripts("pack.mjs");
  const { buildBundle } = await scripts("bundle.mjs");
  const packed = packAll({ outDir: join(work, "tarballs") });
  const prefix = join(work, "global");
  const cache = join(root, "node_modules", ".cache", "socktop-install-test", "npm");
  const t0 = performance.now();
  execFileSync(
    "npm",
    ["install", "-g", "--prefix", prefix, "--cache", cache, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error",
      ...PACKAGES.map((dir) => packed.find((p) => p.dir === dir).file)],
    { cwd: work, stdio: ["ignore", "pipe", "pipe"] },
  );
  const installMs = performance.now() - t0;
  const built = await buildBundle({ outDir: join(work, "bundle"), sea: true });

  const forms = [
    { id: "installed", name: "`socktop_agent` (npm install -g)", argv: [join(prefix, "bin", "socktop_agent")], cwd: work, size: null },
    { id: "repo", name: "`node packages/agent/dist/cli.cjs` (repository)", argv: [process.execPath, agentCliPath(root)], cwd: root, size: null },
    { id: "bundle", name: "`node socktop_agent.mjs` (bundle)", argv: [process.execPath, built.bundle], cwd: work, size: built.bundleBytes },
    { id: "sea", name: "`socktop_agent` (single executable)", argv: [built.sea], cwd: work, size: built.seaBytes },
  ];
  const agentTarball = packed.find((p) => p.dir === "agent");

  // Start-up: interleaved rounds so that background load hits every form alike.
  const rounds = ctx.quick ? 3 : 9;
  const startup = Object.fromEntries(forms.map((f) => [f.id, []]));
  for (let i = 0; i < rounds; i++) {
    for (const form of forms) {
      const s = await startForm(form);
      startup[form.id].push(s.startupMs);
      await s.proc.stop();
    }
  }

  // Memory: idle after start, then with 10 clients at the TUI's rates.
  const loadMs = ctx.quick ? 5_000 : 20_000;
  const memory = {};
  for (const form of forms) {
    const s = await startForm(form);
    try {
      await sleep(2000);
      const idle = procMemory(s.proc.pid).rss;
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, procMemory(s.proc.pid).rss || 0);
      }, 500);
      const load = await runLoad(ctx, { url: `ws://127.0.0.1:${s.port}/ws`, clients: 10, durationMs: loadMs });
      clearInterval(sampler);
      const end = procMemory(s.proc.pid).rss;
      memory[form.id] = { idle, end, peak: Math.max(peak, end), errors: load.errors ?? 0 };
    } finally {
      await s.proc.stop();
    }
  }

  const ref = median(startup.repo);
  const rows = forms.map((f) => {
    const st = startup[f.id];
    const m = memory[f.id];
    return `| ${f.name} | ${fmtMs(median(st))} (${fmtMs(quantile(st, 0.1))} – ${fmtMs(quantile(st, 0.9))}) | ${(median(st) / ref).toFixed(2)}× | ${fmtBytes(m.idle)} | ${fmtBytes(m.peak)} | ${f.size === null ? "–" : fmtBytes(f.size)} |`;
  });
  const markdown = [
    `Start-up is exec → the "listening on" line, median of ${rounds} starts per form (p10 – p90), forms interleaved; ratio to the repository's \`dist/cli.cjs\` measured in the same rounds. VmRSS idle 2 s after start; "10 clients" is the highest VmRSS sampled while 10 clients polled at the TUI's rates for ${loadMs / 1000} s.`,
    "",
    "| form | start-up | vs repository | VmRSS idle | VmRSS, 10 clients | file |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    `Tarballs: ${packed.map((p) => `${p.name} ${fmtBytes(p.size)}`).join(", ")}; \`npm install -g\` of all four took ${fmtMs(installMs)} (npm cache warm after the first run).`,
  ].join("\n");

  const bundleTarget = { name: "single-file agent ≤ 2 MB", figure: fmtBytes(built.bundleBytes), met: built.bundleBytes <= 2 * MiB };
  return {
    id: "install",
    title: "8. Install forms: start-up and memory",
    markdown,
    targets: [bundleTarget, { name: "agent tarball", figure: fmtBytes(agentTarball.size), met: null }],
    data: { startup, memory, installMs, sizes: { bundle: built.bundleBytes, sea: built.seaBytes, tarballs: packed.map((p) => [p.name, p.size]) } },
  };
}
