#!/usr/bin/env node
/**
 * `npm run bundle`: the agent as one file, dist/socktop_agent.mjs, every dependency
 * inlined (esbuild), for `node socktop_agent.mjs --port 3000` on a machine that has Node
 * and nothing else. `npm run sea` (or --sea) also builds dist/socktop_agent, a Node single
 * executable application (the Node binary running this bundle, injected with postject)
 * for the machine it is built on: it runs where Node is not installed.
 *
 * Usage: node scripts/bundle.mjs [--sea] [--out DIR]   (after `npm run build`)
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE_BUDGET_BYTES = 2 * 1024 * 1024;
/** The sentinel Node's SEA support looks for (Node's documentation, "Single executable applications"). */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const agentDir = join(ROOT, "packages", "agent");
const entry = join(agentDir, "dist", "cli.js");

/**
 * version.js reads ../package.json at run time (one place for the version); a bundle has
 * no package.json beside it, so the manifest's version is written into the bundle instead.
 */
const manifestPlugin = {
  name: "socktop-manifest",
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, (args) => {
      let text = readFileSync(args.path, "utf8");
      // createRequire2, 3…: esbuild numbers a repeated import when it bundles several modules.
      const call = /createRequire\d*\(import\.meta\.url\)\("\.\.\/package\.json"\)/g;
      // Modules loaded on demand with createRequire (ws: cheaper than importing it as ESM; node:https
      // only under TLS): esbuild bundles only a plain require() call, and a CommonJS bundle has no
      // import.meta, so the bundle gets plain require() calls.
      const requireCall = /createRequire\d*\(import\.meta\.url\)\("([^".][^"]*)"\)/g;
      const hasManifest = call.test(text);
      if (!hasManifest && !requireCall.test(text)) return undefined;
      text = text.replace(requireCall, (_, specifier) => `require(${JSON.stringify(specifier)})`);
      if (hasManifest) {
        const pkgJson = join(dirname(dirname(args.path)), "package.json");
        const { name, version } = JSON.parse(readFileSync(pkgJson, "utf8"));
        text = text.replace(call, JSON.stringify({ name, version }));
      }
      return { contents: text, loader: "js" };
    });
  },
};

/**
 * In an ES module bundle esbuild hoists every `import … from "node:…"` of every inlined module
 * to the top, so node:crypto, node:tls and node:zlib (TLS, the collectors, compression) were
 * loaded before the agent listened, though the code that uses them is loaded on demand.
 * Each built-in becomes a require() made where its importer is first run instead.
 */
const lazyBuiltins = {
  name: "socktop-lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === "import-statement" ? { path: args.path, namespace: "socktop-builtin" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "socktop-builtin" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

async function bundle(format, outfile) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format,
    minify: true,
    legalComments: "eof",
    metafile: true,
    logLevel: "warning",
    plugins: format === "esm" ? [manifestPlugin, lazyBuiltins] : [manifestPlugin],
    // ws tries to require() two optional native accelerators; a bundle has neither, and a
    // SEA warns on any require() of a non-built-in module: ws's own switches turn the tries off.
    define: { "process.env.WS_NO_BUFFER_UTIL": '"1"', "process.env.WS_NO_UTF_8_VALIDATE": '"1"' },
    // Bundled CommonJS code (ws, prom-client) calls require() for Node's built-in modules:
    // an ES module has no require, so the bundle makes one.
    banner:
      format === "esm"
        ? { js: 'import { createRequire as __socktopCreateRequire } from "node:module"; const require = __socktopCreateRequire(import.meta.url);' }
        : {},
  });
  const text = readFileSync(outfile, "utf8");
  // cli.js starts with a shebang; esbuild keeps it first. A second one would be a syntax error.
  if (format === "cjs" && text.startsWith("#!")) writeFileSync(outfile, text.replace(/^#![^\n]*\n/, ""));
  return result;
}

export async function buildBundle({ outDir = join(ROOT, "dist"), sea = false, log = () => {} } = {}) {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  mkdirSync(outDir, { recursive: true });
  const mjs = join(outDir, "socktop_agent.mjs");
  const result = await bundle("esm", mjs);
  // What the bundle still loads at run time: only Node's built-in modules, if everything was inlined.
  const imports = [...new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)))].sort();
  chmodSync(mjs, 0o755);
  const size = statSync(mjs).size;
  log(`${mjs}  ${(size / 1024).toFixed(0)} KiB`);
  if (size > BUNDLE_BUDGET_BYTES) throw new Error(`${mjs} is ${size} bytes, over the ${BUNDLE_BUDGET_BYTES}-byte budget`);
  const out = { bundle: mjs, bundleBytes: size, imports, sea: null, seaBytes: null };
  if (sea) {
    out.sea = await buildSea(outDir, log);
    out.seaBytes = statSync(out.sea).size;
  }
  return out;
}

/**
 * Node 20's SEA runs one CommonJS script: the same bundle as CommonJS, turned into a
 * preparation blob by `node --experimental-sea-config`, injected into a copy of this
 * Node binary by postject. The result runs on this OS and CPU only; build it on an
 * arm64 machine (a Raspberry Pi 4/5 with 64-bit Node 20) for arm64.
 */
function run(file, args) {
  try {
    execFileSync(file, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (error) {
    throw new Error(`${[file, ...args].join(" ")} failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  }
}

async function buildSea(outDir, log) {
  const work = join(outDir, "sea-build");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const cjs = join(work, "socktop_agent.cjs");
  const blob = join(work, "socktop_agent.blob");
  const config = join(work, "sea-config.json");
  const exe = join(outDir, "socktop_agent");
  await bundle("cjs", cjs);
    writeFileSync(config, JSON.stringify({ main: cjs, output: blob, disableExperimentalSEAWarning: true }, null, 2));
    run(process.execPath, ["--experimental-sea-config", config]);
    const node = readFileSync(process.execPath);
    if (!node.includes(SEA_FUSE)) throw new Error(`${process.execPath} was built without single executable application support`);
    rmSync(exe, { force: true });
    copyFileSync(process.execPath, exe);
    chmodSync(exe, 0o755);
    // Debian's node carries its symbol tables (~13 MB of 95): binutils' strip drops them when present.
    let stripped = false;
    try {
      execFileSync("strip", [exe], { stdio: "ignore" });
      stripped = true;
    } catch {
      // no strip on this machine: the executable is just larger
    }
    const postject = join(ROOT, "node_modules", "postject", "dist", "cli.js");
    // postject prints harmless "Can't find string offset for section name '.note'" warnings: shown only on failure.
    run(process.execPath, [postject, exe, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE]);
    rmSync(work, { recursive: true, force: true });
    log(`${exe}  ${(statSync(exe).size / 2 ** 20).toFixed(1)} MiB (${process.platform}-${process.arch}, Node ${process.versions.node}${stripped ? ", stripped" : ""})`);
    return exe;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const options = { sea: false, log: (line) => process.stdout.write(`${line}\n`) };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--sea") options.sea = true;
    else if (args[i] === "--out" && args[i + 1]) options.outDir = resolve(args[++i]);
    else {
      process.stderr.write("usage: node scripts/bundle.mjs [--sea] [--out DIR]\n");
      process.exit(2);
    }
  }
  try {
    await buildBundle(options);
  } catch (error) {
    process.stderr.write(`bundle: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
