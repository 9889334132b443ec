/**
 * scripts/run-tests.mjs (the repository's test runner, tested here for want of a tooling
 * package): a test-like file it would not collect fails the run instead of being ignored.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const runner = fileURLToPath(new URL("../../../scripts/run-tests.mjs", import.meta.url));

async function runIn(files: string[]): Promise<{ status: number | null; stderr: string }> {
  const root = await mkdtemp(join(tmpdir(), "socktop-run-tests-"));
  try {
    for (const file of files) {
      await mkdir(dirname(join(root, file)), { recursive: true });
      await writeFile(join(root, file), 'import { test } from "node:test";\ntest("ok", () => {});\n');
    }
    // "nomatch": only the scan runs, then no file matches the filter (exit 1 with its own message).
    const result = spawnSync(process.execPath, [runner, "nomatch"], { env: { ...process.env, RUN_TESTS_ROOT: root }, encoding: "utf8" });
    return { status: result.status, stderr: result.stderr };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test("a test-like file the runner would not collect fails the run, named", async () => {
  for (const stray of ["x.test.js", "x.spec.ts", "x.test.mts", "test.ts", "fixtures/y.test.ts"]) {
    const { status, stderr } = await runIn(["packages/p/test/ok.test.ts", `packages/p/test/${stray}`]);
    assert.equal(status, 1, stray);
    assert.match(stderr, new RegExp(`would never run[\\s\\S]*packages/p/test/${stray.replace(/\./g, "\\.")}`), stray);
  }
  const outside = await runIn(["packages/p/test/ok.test.ts", "packages/p/src/helper.test.ts"]);
  assert.match(outside.stderr, /packages\/p\/src\/helper\.test\.ts/);
});

test("a tree of collectable tests only passes the scan", async () => {
  const { status, stderr } = await runIn(["packages/p/test/ok.test.ts", "packages/p/test/sub/deeper.test.ts", "packages/p/test/fixtures/data.json"]);
  assert.equal(status, 1);
  assert.match(stderr, /no test files matched nomatch/, "got past the scan to the filter");
});

test("the portable pass: PORTABLE_E2E files run again with SOCKTOP_AGENT_BACKEND=portable; --portable alone; a filter alone skips it", async () => {
  const root = await mkdtemp(join(tmpdir(), "socktop-run-tests-"));
  try {
    // The runner's Node needs tsx from the repository's node_modules.
    await symlink(fileURLToPath(new URL("../../../node_modules", import.meta.url)), join(root, "node_modules"));
    const seen = join(root, "seen");
    const body = `import { appendFileSync } from "node:fs";\nimport { test } from "node:test";\ntest("records", () => appendFileSync(process.env.SEEN!, \`\${process.env.SOCKTOP_AGENT_BACKEND ?? "default"}:\${import.meta.url.split("/").pop()}\\n\`));\n`;
    for (const file of ["packages/agent/test/server.test.ts", "packages/agent/test/other.test.ts"]) {
      await mkdir(dirname(join(root, file)), { recursive: true });
      await writeFile(join(root, file), body);
    }
    const run = async (args: string[]): Promise<string[]> => {
      await writeFile(seen, "");
      const env: NodeJS.ProcessEnv = { ...process.env, RUN_TESTS_ROOT: root, SEEN: seen };
      delete env.SOCKTOP_AGENT_BACKEND;
      delete env.NODE_TEST_CONTEXT; // else the nested runner reports to this one instead of running as a runner
      const result = spawnSync(process.execPath, [runner, ...args], { env, encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr + result.stdout);
      return (await readFile(seen, "utf8")).split("\n").filter(Boolean).sort();
    };
    assert.deepEqual(await run([]), ["default:other.test.ts", "default:server.test.ts", "portable:server.test.ts"]);
    assert.deepEqual(await run(["--portable"]), ["portable:server.test.ts"]);
    assert.deepEqual(await run(["server"]), ["default:server.test.ts"]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
