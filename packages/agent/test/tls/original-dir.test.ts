/**
 * Switching from the original agent: its certificate in $XDG_CONFIG_HOME/socktop_agent/tls
 * is used while the seed's $XDG_DATA_HOME/socktop_agent/tls has none, with one line.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { fileURLToPath } from "node:url";
import { createSelfSignedCertificate } from "../../src/tls/self-signed.js";
import { chooseTlsDir, originalTlsDir } from "../../src/tls/original-dir.js";

const cli = fileURLToPath(new URL("../../dist/cli.cjs", import.meta.url));

async function pairIn(dir: string, which: { cert?: boolean; key?: boolean } = { cert: true, key: true }): Promise<string> {
  const { cert, key } = await createSelfSignedCertificate({ commonName: "original", dns: ["localhost"], ips: ["127.0.0.1"] });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (which.cert) await writeFile(join(dir, "cert.pem"), cert);
  if (which.key) await writeFile(join(dir, "key.pem"), key, { mode: 0o600 });
  return new X509Certificate(cert).fingerprint256;
}

test("originalTlsDir: $XDG_CONFIG_HOME when absolute, else ~/.config", () => {
  assert.equal(originalTlsDir({ XDG_CONFIG_HOME: "/srv/config", HOME: "/home/u" }), "/srv/config/socktop_agent/tls");
  assert.equal(originalTlsDir({ HOME: "/home/u" }), "/home/u/.config/socktop_agent/tls");
  assert.equal(originalTlsDir({ HOME: "/home/u", XDG_CONFIG_HOME: "relative" }), "/home/u/.config/socktop_agent/tls");
});

test("chooseTlsDir: the original's pair only while the seed's directory has neither file", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "socktop-original-dir-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const seed = join(root, "data", "socktop_agent", "tls");
  const original = join(root, "config", "socktop_agent", "tls");
  const lines: string[] = [];
  const info = (line: string) => lines.push(line);

  assert.equal(await chooseTlsDir(seed, original, info), seed, "neither has a pair: the seed's (a pair is generated there)");
  assert.equal(await chooseTlsDir(seed, null, info), seed);

  await pairIn(original, { cert: true });
  assert.equal(await chooseTlsDir(seed, original, info), seed, "half a pair in the original's directory is not taken");
  assert.deepEqual(lines, []);

  await pairIn(original);
  assert.equal(await chooseTlsDir(seed, original, info), original);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, new RegExp(`no certificate in ${seed}; using the original socktop_agent's certificate in ${original}`));
  assert.equal(await chooseTlsDir(original, original, info), original, "the same directory twice is just that directory");

  lines.length = 0;
  await pairIn(seed, { key: true });
  assert.equal(await chooseTlsDir(seed, original, info), seed, "a key alone in the seed's directory keeps the seed's (its error names the missing file)");
  await pairIn(seed);
  assert.equal(await chooseTlsDir(seed, original, info), seed, "the seed's own pair wins");
  assert.deepEqual(lines, []);
});

test("socktop_agent --enableSSL serves the original's certificate, says so in one line, writes nothing new", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "socktop-original-cli-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const data = join(root, "data");
  const original = join(root, "config", "socktop_agent", "tls");
  const fingerprint = await pairIn(original);
  const child = spawn(process.execPath, [cli, "--enableSSL", "--bind", "127.0.0.1", "--port", "0"], {
    env: { ...process.env, XDG_DATA_HOME: data, XDG_CONFIG_HOME: join(root, "config"), SOCKTOP_TOKEN: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  t.after(() => {
    child.kill("SIGKILL");
  });
  let stderr = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on wss:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`agent exited ${code}: ${stderr}`)));
  });
  const switched = stderr.split("\n").filter((l) => l.includes("original socktop_agent's certificate"));
  assert.equal(switched.length, 1, stderr);
  assert.ok(!/generated a self-signed/.test(stderr), stderr);
  const served = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.once("error", reject);
  });
  assert.equal(served, fingerprint, "clients pinned to the original's certificate keep working");
  await assert.rejects(readdir(join(data, "socktop_agent", "tls")), { code: "ENOENT" });
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  assert.equal(await exit, 0);
});
