#!/usr/bin/env node
// Runs every packages/*/test/**/*.test.ts file with Node's test runner.
// Node 20 does not expand globs given to --test, so the files are listed here;
// with no test files found it fails rather than reporting a green "0 tests".
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "fixtures" || entry === "dist") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (entry.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, "packages"))) {
  const testDir = join(root, "packages", pkg, "test");
  try {
    if (statSync(testDir).isDirectory()) walk(testDir, files);
  } catch {
    // package without tests
  }
}
const selected = files
  .map((f) => relative(root, f))
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
