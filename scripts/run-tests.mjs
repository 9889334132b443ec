#!/usr/bin/env node
// Runs every packages/*/test/**/*.test.ts file with Node's test runner.
// Node 20 does not expand globs given to --test, so the files are listed here;
// with no test files found it fails rather than reporting a green "0 tests".
// A file that looks like a test but would not be collected (foo.test.js, foo.spec.ts,
// foo.test.mts, a test.ts, a *.test.ts outside test/ or under test/fixtures/) is an
// error too: such a test would otherwise never run, silently.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// RUN_TESTS_ROOT: another tree to scan (the runner's own test uses it).
const root = process.env.RUN_TESTS_ROOT ?? fileURLToPath(new URL("..", import.meta.url));
const filters = process.argv.slice(2);

/** Names a test runner would take for a test: *.test.* / *.spec.* / *_test.* / test.* / spec.* in any JS/TS flavour. */
export const TEST_LIKE = /(?:^|[._-])(?:test|spec)\.[cm]?[jt]sx?$|^(?:test|spec)s?\.[cm]?[jt]sx?$/;

/** Collected: a *.test.ts under a package's test/ directory, not under test/fixtures/. */
export function isCollected(relPath) {
  const parts = relPath.split(sep);
  return parts[0] === "packages" && parts[2] === "test" && !parts.includes("fixtures") && relPath.endsWith(".test.ts");
}

function walk(dir, out) {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "dist" || entry.startsWith(".")) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(relative(root, path));
  }
  return out;
}

const all = walk(join(root, "packages"), []);
const stray = all.filter((f) => TEST_LIKE.test(f.split(sep).pop() ?? "") && !isCollected(f));
if (stray.length > 0) {
  console.error(
    `run-tests: ${stray.length} test-like file(s) would never run (only packages/*/test/**/*.test.ts is collected, not under fixtures/):\n` +
      stray.map((f) => `  ${f}`).join("\n") +
      "\nRename them to *.test.ts under the package's test/ directory, or give a fixture a name that is not a test's.",
  );
  process.exit(1);
}

const selected = all
  .filter(isCollected)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (selected.length === 0) {
  console.error(`run-tests: no test files matched ${filters.length ? filters.join(", ") : "packages/*/test/**/*.test.ts"}`);
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ["--conditions=source", "--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...selected],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
