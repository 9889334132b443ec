#!/usr/bin/env node
/**
 * `npm run build` (after tsc): dist/cli.cjs, the socktop_agent command (npm's
 * bin link and `npm start` run it), as one CommonJS file holding everything the
 * agent needs to listen (configuration, logger, HTTP server; ~20 modules of
 * src/). Every other part is still imported on demand from its own ES module in
 * dist/ (the collectors and request handler on the first WebSocket connection,
 * TLS, Prometheus, the dashboard).
 *
 * Why one file: Node resolves, reads and links ES modules one by one; for the
 * ~20 files before listening that was ~20 ms of the agent's start-up on the
 * bench machine (bench suite 9, start-up). Why CommonJS: running an ES module
 * as the main script starts Node's ES module loader first (its resolver, its
 * fs/promises reads, its module jobs), ~10 ms of every start here that a
 * CommonJS main script does not pay (measured side by side, 21 starts each:
 * 161 → 151 ms to the "bound to" line); the loader then starts only when the
 * first deferred part is imported. tsc's own dist/cli.js is the same program as
 * ES modules in separate files, and still works: `node dist/cli.js`.
 *
 * A module can end up twice in memory: inlined here, and loaded from its own
 * file by a deferred part (e.g. http-server.js by prometheus.js). That is
 * harmless only while such a module holds no state, so the build fails if one
 * declares a top-level `let` or `var`, or a top-level `const` made with `new`.
 *
 * Usage: node build.mjs   (from packages/agent, after `tsc -b`)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const entry = join(src, "cli.ts");
const outfile = join(here, "dist", "cli.cjs");

/**
 * The dynamic imports of cli.ts are what listening needs (they are dynamic only so that
 * v8-tuning runs before anything else is loaded): inlined. Every other dynamic import is a
 * part loaded when it is used: left as an import() of its own file in dist/.
 */
const deferred = new Set();
const deferredImports = {
  name: "socktop-deferred-imports",
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== "dynamic-import" || args.importer === entry) return undefined;
      const target = join(dirname(args.importer), args.path);
      deferred.add(target.replace(/\.js$/, ".ts"));
      // Relative to dist/cli.cjs, wherever in src/ the importing module sits.
      return { path: `./${relative(src, target)}`, external: true };
    });
  },
};

/**
 * version.ts reads ../package.json when it is loaded (one place for the version); through
 * createRequire that is Node's CommonJS loader and a file read, ~2 ms of each start here.
 * The start-up file gets the version written in instead, from the same package.json, at build time.
 */
const manifestCall = /createRequire\(import\.meta\.url\)\("\.\.\/package\.json"\)/;
const inlineVersion = {
  name: "socktop-inline-version",
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!manifestCall.test(text)) throw new Error(`${args.path} no longer reads ../package.json as build.mjs expects: update build.mjs`);
      const { version } = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
      return { contents: text.replace(manifestCall, JSON.stringify({ version })), loader: "ts" };
    });
  },
};

const common = { absWorkingDir: here, bundle: true, platform: "node", target: "node20", format: "esm", packages: "external", logLevel: "warning" };

const result = await build({
  ...common,
  format: "cjs",
  entryPoints: [entry],
  outfile,
  sourcemap: true,
  metafile: true,
  // Written below, once the checks pass: a refused build leaves the previous dist/cli.cjs.
  write: false,
  plugins: [deferredImports, inlineVersion],
  // The sources are ES modules: createRequire(import.meta.url) (node:crypto, node:https, loaded
  // only when used) needs this file's URL, which a CommonJS file has as __filename.
  define: { "import.meta.url": "__socktopMainUrl" },
  banner: {
    // First a directive of its own: esbuild's "use strict" comes after the banner, where it would be a mere expression.
    js:
      '"use strict";\n' +
      "// Built by packages/agent/build.mjs from src/cli.ts and what it needs to listen; the rest is in this directory.\n" +
      'const __socktopMainUrl = require("node:url").pathToFileURL(__filename).href;',
  },
});
const inlined = Object.keys(result.metafile.inputs).map((p) => join(here, p));

// The modules the deferred parts load from their own files, to find those that are also inlined here.
const later = await build({ ...common, entryPoints: [...deferred], outdir: join(here, "dist", ".unused"), write: false, metafile: true });
const loadedLater = new Set(Object.keys(later.metafile.inputs).map((p) => join(here, p)));
const twice = inlined.filter((p) => loadedLater.has(p));
// State: a top-level let/var, or a top-level const made with `new` (a Map, a Set, an instance).
const STATE = /^(?:export\s+)?(?:(?:let|var)\s|const\s+\w+\s*(?::[^=]+)?=\s*new\s)/m;
const stateful = twice.filter((p) => STATE.test(readFileSync(p, "utf8")));
if (stateful.length > 0) {
  process.stderr.write(
    `packages/agent/build.mjs: ${stateful.map((p) => relative(here, p)).join(", ")} ` +
      `${stateful.length === 1 ? "is" : "are"} inlined into dist/cli.cjs and also loaded by a deferred part, and declare${stateful.length === 1 ? "s" : ""} ` +
      "top-level state (let/var, or a const made with new): two copies would disagree. Keep such state out of the start-up path (see build.mjs).\n",
  );
  process.exit(1);
}
for (const file of result.outputFiles) writeFileSync(file.path, file.contents);
const size = result.outputFiles.find((f) => f.path === outfile)?.contents.length ?? 0;
process.stdout.write(`dist/cli.cjs: ${inlined.length} modules, ${(size / 1024).toFixed(0)} KiB; deferred: ${deferred.size} imports\n`);
