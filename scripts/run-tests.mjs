#!/usr/bin/env node
// Runs every packages/*/test/**/*.test.ts file with Node's test runner.
// Node 20 does not expand globs given to --test, so the files are listed here;
// with no test files found it fails rather than reporting a green "0 tests".
// A file that looks like a test but would not be collected (foo.test.js, foo.spec.ts,
// foo.test.mts, a test.ts, a *.test.ts outside test/ or under test/fixtures/) is an
// error too: such a test would otherwise never run, silently.
//
// Then a second pass runs the agent's end-to-end suites (PORTABLE_E2E) again with
// SOCKTOP_AGENT_BACKEND=portable: the backend macOS, Windows and FreeBSD use, here on Linux.
//
// Usage: node scripts/run-tests.mjs [--portable] [substring-filter ...]
//   no filter:      every test file, then the portable pass
//   filters:        the matching files only (no portable pass)
//   --portable:     the portable pass only (over the matching PORTABLE_E2E files, with filters)
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// RUN_TESTS_ROOT: another tree to scan (the runner's own test uses it).
const root = process.env.RUN_TESTS_ROOT ?? fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const portableOnly = args.includes("--portable");
const filters = args.filter((a) => a !== "--portable");

/**
 * The end-to-end suites that run a second time against the portable backend: both
 * dialects, every request kind, bad input, security, Prometheus, the docs' examples,
 * the connector against a live agent, the reply schemas. The one list of them.
 */
export const PORTABLE_E2E = [
  "packages/agent/test/dialects.test.ts",
  "packages/agent/test/server.test.ts",
  "packages/agent/test/bad-input.test.ts",
  "packages/agent/test/security.test.ts",
  "packages/agent/test/prometheus.test.ts",
  "packages/agent/test/docs.test.ts",
  "packages/connector/test/live-agent.test.ts",
  "packages/connector/test/schemas.test.ts",
];

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

const matches = (f) => filters.length === 0 || filters.some((s) => f.includes(s));
const collected = all.filter(isCollected);
const missing = PORTABLE_E2E.filter((f) => !collected.includes(f.split("/").join(sep)));
if (missing.length > 0 && process.env.RUN_TESTS_ROOT === undefined) {
  console.error(`run-tests: PORTABLE_E2E names files that do not exist: ${missing.join(", ")}`);
  process.exit(1);
}

/** One run of Node's test runner over `files`; its exit status. */
function run(files, env = process.env) {
  const result = spawnSync(
    process.execPath,
    ["--conditions=source", "--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
    { cwd: root, stdio: "inherit", env },
  );
  return result.status ?? 1;
}

const passes = [];
if (!portableOnly) passes.push({ name: "", files: collected.filter(matches).sort(), env: process.env });
if (portableOnly || filters.length === 0) {
  const files = PORTABLE_E2E.map((f) => f.split("/").join(sep)).filter((f) => collected.includes(f) && matches(f));
  passes.push({ name: "portable backend", files, env: { ...process.env, SOCKTOP_AGENT_BACKEND: "portable" } });
}
if (passes.every((p) => p.files.length === 0)) {
  console.error(`run-tests: no test files matched ${filters.length ? filters.join(", ") : "packages/*/test/**/*.test.ts"}`);
  process.exit(1);
}

let status = 0;
for (const pass of passes) {
  if (pass.files.length === 0) continue;
  if (pass.name !== "") console.log(`\nrun-tests: ${pass.name} pass (SOCKTOP_AGENT_BACKEND=portable), ${pass.files.length} files`);
  const started = performance.now();
  const code = run(pass.files, pass.env);
  if (pass.name !== "") console.log(`run-tests: ${pass.name} pass ${code === 0 ? "passed" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (code !== 0) status = code;
}
process.exit(status);
