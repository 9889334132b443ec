/** The command line as a user meets it: exit statuses and one-line messages. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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
    assert.equal(notTty!.stderr, "socktop: standard output is not a terminal: run socktop in one (it draws a full-screen UI)\n");
    assert.match(noCa!.stderr, /cannot read the --tls-ca file \/nonexistent\/ca\.pem: ENOENT/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("XDG_CONFIG_HOME a dangling symlink: saving a profile says so in one line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "socktop-cli-"));
  try {
    const link = join(dir, "config");
    symlinkSync(join(dir, "gone"), link);
    const r = await socktop(["-P", "x", "ws://127.0.0.1:1/ws"], { XDG_CONFIG_HOME: link });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `socktop: cannot save profiles to ${link}/socktop/profiles.json: ${link} is a symbolic link to ${join(dir, "gone")}, which does not exist\n`,
    );
    assert.ok(!existsSync(join(dir, "gone")), "nothing is created at the link's target");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const HAVE_SCRIPT = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;

test(
  "a terminal of 0×0 (script(1) without a parent terminal): one line with the size needed, exit 1",
  { skip: HAVE_SCRIPT ? false : "script(1) (Debian bsdutils) is not installed", timeout: 30_000 },
  async () => {
    const home = mkdtempSync(join(tmpdir(), "socktop-cli-"));
    try {
      const argv = nodeSource(TUI_SRC, ["ws://127.0.0.1:1/ws"]);
      const command = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
      // script gives the program a pty whose size is 0×0 when script itself has no terminal.
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: ROOT, env: { ...process.env, XDG_CONFIG_HOME: home }, stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => resolve({ code, out }));
      });
      assert.equal(r.code, 1, r.out);
      const text = r.out.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").trim();
      assert.match(text, /^socktop: the terminal reports a size of 0×0; socktop needs at least 40×12 \(columns×rows\)/);
      assert.equal(text.split("\n").length, 1, text);
      assert.doesNotMatch(text, /RangeError|\n\s+at /);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
);
