/** The command line as a user meets it: exit statuses and one-line messages. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeSource, ROOT, TUI_SRC } from "./helpers/tmux.js";

function socktop(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [node, ...rest] = nodeSource(TUI_SRC, args);
    const child = spawn(node!, rest, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end();
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("--help and --version", async () => {
  const [help, version, short] = await Promise.all([socktop(["--help"]), socktop(["--version"]), socktop(["-V"])]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: socktop \[--tls-ca PEM \| -t PEM\]/);
  assert.match(help.stdout, /Keys:/);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^socktop \d+\.\d+\.\d+\n$/);
  assert.equal(short.stdout, version.stdout);
});

test("bad arguments: one line on stderr and a non-zero status", async () => {
  const home = mkdtempSync(join(tmpdir(), "socktop-cli-"));
  try {
    mkdirSync(join(home, "socktop"));
    writeFileSync(join(home, "socktop", "profiles.json"), "{oops");
    const env = { XDG_CONFIG_HOME: home };
    const runs = await Promise.all([
      socktop(["--frobnicate"], env),
      socktop(["--verify-hostname=false", "ws://127.0.0.1:1/ws"], env),
      socktop(["--metrics-interval-ms", "soon", "ws://h:1/ws"], env),
      socktop([], env),
      socktop(["--profile", "x"], env),
      socktop(["ws://127.0.0.1:1/ws"], env),
      socktop(["--tls-ca", "/nonexistent/ca.pem", "ws://127.0.0.1:1/ws"], env),
    ]);
    const [unknown, boolValue, interval, noUrl, corrupt, notTty, noCa] = runs;
    for (const r of runs) {
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^socktop: /);
    }
    assert.equal(unknown!.stderr, "socktop: unknown option '--frobnicate' (see --help)\n");
    assert.equal(unknown!.code, 2);
    assert.equal(boolValue!.stderr, "socktop: --verify-hostname takes no value\n");
    assert.equal(boolValue!.code, 2);
    assert.match(interval!.stderr, /whole number of milliseconds/);
    assert.match(noUrl!.stderr, /no agent URL given/);
    assert.match(corrupt!.stderr, /profiles\.json is not valid JSON/);
    assert.equal(corrupt!.code, 1);
    assert.match(notTty!.stderr, /needs a terminal/);
    assert.match(noCa!.stderr, /cannot read the --tls-ca file \/nonexistent\/ca\.pem: ENOENT/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
