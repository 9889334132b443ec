#!/usr/bin/env node
/**
 * `npm run pack`: the publishable tarballs of @socktop/protocol, @socktop/connector,
 * @socktop/agent and @socktop/tui, in one folder (default dist/packages/).
 *
 * Each package is staged first: the files npm itself would publish (the package's
 * `files` field decides, read through `npm pack --dry-run`), the root LICENSE, and a
 * package.json without what only this repository uses: the `source` export condition
 * (it points at src/, which is not shipped), `scripts` (no `prepare` ever runs `tsc`
 * in a consumer) and `devDependencies`. The staged folders are then packed by npm in
 * one call, so the tarballs are exactly what `npm publish` of those folders would send.
 * To ship more (the agent's built web page, say), name it in that package's `files`:
 * the install test (packages/agent/test/install/) then checks what the tarball holds.
 *
 * Usage: node scripts/pack.mjs [--out DIR]   (run `npm run build` first; `npm run pack` does)
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Workspace folders, dependencies first. */
export const PACKAGES = ["protocol", "connector", "agent", "tui"];

const SOURCE_MAP_COMMENT = /\n?\/\/# sourceMappingURL=\S+\s*$/;

/**
 * A compiled file whose source is gone (tsc -b does not delete the outputs of removed
 * files): its source map exists and names only sources that no longer exist. Files in
 * dist/ that tsc did not write (no map beside them, e.g. a built web page) are kept.
 */
function staleOutput(pkgDir, path) {
  if (!/^dist\/.+(\.d\.ts|\.js)$/.test(path)) return false;
  const map = join(pkgDir, `${path}.map`);
  if (!existsSync(map)) return false;
  try {
    const sources = JSON.parse(readFileSync(map, "utf8")).sources ?? [];
    return sources.length > 0 && sources.every((source) => !existsSync(resolve(dirname(map), source)));
  } catch {
    return false;
  }
}

function npm(args, cwd) {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

/** Removes the `source` condition from an `exports` tree (it names src/*.ts files that are not shipped). */
function withoutSource(exports) {
  if (exports === null || typeof exports !== "object") return exports;
  const out = {};
  for (const [key, value] of Object.entries(exports)) {
    if (key === "source") continue;
    out[key] = withoutSource(value);
  }
  return out;
}

export function publishedManifest(manifest) {
  const { scripts: _scripts, devDependencies: _dev, ...rest } = manifest;
  return rest.exports === undefined ? rest : { ...rest, exports: withoutSource(rest.exports) };
}

/**
 * Stages and packs every package into `outDir`; returns one entry per tarball:
 * { name, version, dir (workspace folder), file (absolute path), size, files: [paths inside package/] }.
 */
export function packAll({ outDir = join(ROOT, "dist", "packages"), log = () => {} } = {}) {
  for (const name of PACKAGES) {
    if (!existsSync(join(ROOT, "packages", name, "dist", "index.js"))) {
      throw new Error(`packages/${name}/dist is missing: run \`npm run build\` first`);
    }
  }
  const listed = JSON.parse(npm(["pack", "--dry-run", "--json", ...PACKAGES.flatMap((p) => ["--workspace", `packages/${p}`])], ROOT));
  const stage = mkdtempSync(join(tmpdir(), "socktop-pack-"));
  try {
    const staged = [];
    for (const name of PACKAGES) {
      const pkgDir = join(ROOT, "packages", name);
      const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
      const entry = listed.find((e) => e.name === manifest.name);
      if (!entry) throw new Error(`npm pack --dry-run did not list ${manifest.name}`);
      const dest = join(stage, name);
      for (const { path } of entry.files) {
        if (path === "package.json") continue;
        if (staleOutput(pkgDir, path)) {
          log(`skipping packages/${name}/${path}: no source file produces it any more (left over from an earlier build)`);
          continue;
        }
        mkdirSync(dirname(join(dest, path)), { recursive: true });
        if (/\.(js|d\.ts)$/.test(path)) {
          // The .map files are not shipped (they point at src/, which is not either): drop the references.
          writeFileSync(join(dest, path), readFileSync(join(pkgDir, path), "utf8").replace(SOURCE_MAP_COMMENT, "\n"));
        } else {
          copyFileSync(join(pkgDir, path), join(dest, path));
        }
      }
      writeFileSync(join(dest, "package.json"), `${JSON.stringify(publishedManifest(manifest), null, 2)}\n`);
      copyFileSync(join(ROOT, "LICENSE"), join(dest, "LICENSE"));
      staged.push(dest);
    }
    mkdirSync(outDir, { recursive: true });
    const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", outDir, ...staged], stage));
    const results = packed.map((p) => ({
      name: p.name,
      version: p.version,
      dir: PACKAGES[staged.findIndex((s) => JSON.parse(readFileSync(join(s, "package.json"), "utf8")).name === p.name)],
      file: join(outDir, p.filename),
      size: p.size,
      unpackedSize: p.unpackedSize,
      files: p.files.map((f) => f.path).sort(),
    }));
    for (const r of results) log(`${r.file}  ${(r.size / 1024).toFixed(1)} KiB, ${r.files.length} files`);
    return results;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let outDir;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out" && args[i + 1]) outDir = resolve(args[++i]);
    else {
      process.stderr.write(`usage: node scripts/pack.mjs [--out DIR]\n`);
      process.exit(2);
    }
  }
  try {
    packAll({ ...(outDir ? { outDir } : {}), log: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    process.stderr.write(`pack: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
