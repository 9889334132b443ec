#!/usr/bin/env node
// Builds the dashboard: type-check, bundle with esbuild (content-hashed file
// names, so the agent can let browsers cache them for good), write index.html,
// then copy the result into the agent package's dist/web, which the agent
// serves with --web and its npm package ships.
// Usage: node build.mjs [--no-check]
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = fileURLToPath(new URL(".", import.meta.url));
const out = join(here, "dist");
const agentWeb = join(here, "..", "agent", "dist", "web");
/** The whole page (HTML, script, styles), gzip-compressed, must stay under this. */
export const BUDGET_GZIP_BYTES = 150 * 1024;

if (!process.argv.includes("--no-check")) {
  const tsc = join(here, "..", "..", "node_modules", "typescript", "bin", "tsc");
  const checked = spawnSync(process.execPath, [tsc, "-p", join(here, "tsconfig.json")], { stdio: "inherit" });
  if (checked.status !== 0) process.exit(checked.status ?? 1);
}

rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: join(here, "src", "main.tsx") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome109", "firefox115", "safari16"],
  outdir: join(out, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.endsWith(".js"));
const css = outputs.find((f) => f.endsWith(".css"));
if (!js || !css) throw new Error(`build: expected a .js and a .css output, got ${outputs.join(", ")}`);

const html = readFileSync(join(here, "src", "index.html"), "utf8").replace("%SCRIPT%", `./assets/${js}`).replace("%STYLE%", `./assets/${css}`);
writeFileSync(join(out, "index.html"), html);
cpSync(join(here, "src", "favicon.svg"), join(out, "favicon.svg"));

let total = 0;
const sizes = [];
for (const f of ["index.html", "favicon.svg", `assets/${js}`, `assets/${css}`]) {
  const body = readFileSync(join(out, f));
  const gz = gzipSync(body, { level: 9 }).length;
  total += gz;
  sizes.push(`${f} ${(body.length / 1024).toFixed(1)} KiB (${(gz / 1024).toFixed(1)} KiB gzip)`);
}
writeFileSync(join(out, "size.json"), `${JSON.stringify({ gzipBytes: total, budgetBytes: BUDGET_GZIP_BYTES }, null, 2)}\n`);
console.log(`web: ${sizes.join(", ")}; page ${(total / 1024).toFixed(1)} KiB gzip (budget ${BUDGET_GZIP_BYTES / 1024})`);
if (total > BUDGET_GZIP_BYTES) {
  console.error(`web: the page is ${total} bytes gzip, over the ${BUDGET_GZIP_BYTES}-byte budget`);
  process.exit(1);
}

rmSync(agentWeb, { recursive: true, force: true });
mkdirSync(agentWeb, { recursive: true });
// size.json is for the bench, not for browsers.
cpSync(out, agentWeb, { recursive: true, filter: (src) => basename(src) !== "size.json" });
