/**
 * The agent's end-to-end suites (both dialects, every request kind, bad input,
 * security, Prometheus, the documented examples, the connector against a live
 * agent and its reply schemas) run again with SOCKTOP_AGENT_BACKEND=portable:
 * the portable backend must serve the same replies under the same rules.
 * Suites that test /proc fixtures themselves (collector isolation, the Linux
 * details reader) are the Linux backend's and are not repeated.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../../", import.meta.url));

export const PORTABLE_E2E_SUITES: readonly string[] = [
  "agent/test/dialects.test.ts",
  "agent/test/server.test.ts",
  "agent/test/bad-input.test.ts",
  "agent/test/security.test.ts",
  "agent/test/prometheus.test.ts",
  "agent/test/docs.test.ts",
  "connector/test/live-agent.test.ts",
  "connector/test/schemas.test.ts",
];

function withoutTestContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.NODE_TEST_CONTEXT;
  return copy;
}

test("the end-to-end suites pass against the portable backend", { timeout: 540_000 }, async () => {
  const child = spawn(process.execPath, ["scripts/run-tests.mjs", ...PORTABLE_E2E_SUITES], {
    cwd: root,
    // Without NODE_TEST_CONTEXT the inner runner reports as a top-level run, not as our subtest.
    env: { ...withoutTestContext(process.env), SOCKTOP_AGENT_BACKEND: "portable" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const summary = output.split("\n").filter((line) => /^ℹ (tests|pass|fail) /.test(line));
  const failures = output.split("\n").filter((line) => line.startsWith("✖"));
  assert.equal(code, 0, `portable backend: ${summary.join(", ")}\n${failures.join("\n")}\n${output.slice(-4000)}`);
  const passed = Number(/ℹ pass (\d+)/.exec(output)?.[1] ?? 0);
  assert.ok(passed >= 40, `expected the whole suites to run, ${passed} tests passed`);
});
