/**
 * `npm run bundle` / `npm run sea`: the single-file agent (node socktop_agent.mjs) and
 * the single executable (socktop_agent), each copied alone into an empty directory
 * outside the repository (nothing to resolve a dependency from) and used like the
 * installed command: /healthz, a metrics request, Prometheus, TLS with a generated
 * certificate and a token, SIGTERM → exit 0.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { BUNDLE_BUDGET_BYTES, buildBundle } from "../../../../scripts/bundle.mjs";

let work: string;
let built: Awaited<ReturnType<typeof buildBundle>>;
let buildMs = 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "socktop-bundle-"));
  const t0 = performance.now();
  built = await buildBundle({ outDir: join(work, "out"), sea: true });
  buildMs = Math.round(performance.now() - t0);
}, { timeout: 240_000 });

after(async () => {
  process.stderr.write(`bundle test: build ${buildMs} ms, bundle ${built?.bundleBytes} bytes, sea ${built?.seaBytes} bytes\n`);
  if (work) await rm(work, { recursive: true, force: true });
});

interface Running {
  port: number;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** Starts `argv` in `cwd` with a clean environment and waits for its listening line. */
async function start(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: cwd, SOCKTOP_TOKEN: "", ...env };
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env: clean, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on wss?:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`${argv.join(" ")} exited ${code}: ${stderr}`)));
  });
  return {
    port,
    stderr: () => stderr,
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function fetchText(url: string, options: { ca?: string; token?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
    const handle = (res: import("node:http").IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = url.startsWith("https:")
      ? httpsGet(url, { headers, ca: options.ca, checkServerIdentity: () => undefined }, handle)
      : httpGet(url, { headers }, handle);
    req.on("error", reject);
  });
}

function metrics(url: string, options: WebSocket.ClientOptions = {}): Promise<{ hostname: string; mem_total: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once("open", () => ws.send('{"type":"metrics"}'));
    ws.once("message", (data: Buffer) => {
      resolve(JSON.parse(data.toString("utf8")) as { hostname: string; mem_total: number });
      ws.close();
    });
    ws.once("error", reject);
  });
}

async function exercise(kind: "bundle" | "sea"): Promise<void> {
  const dir = join(work, `${kind}-alone`);
  await mkdir(dir, { recursive: true });
  const file = kind === "bundle" ? join(dir, "socktop_agent.mjs") : join(dir, "socktop_agent");
  await copyFile(kind === "bundle" ? built.bundle : built.sea!, file);
  if (kind === "sea") await import("node:fs/promises").then((fs) => fs.chmod(file, 0o755));
  const argv = kind === "bundle" ? [process.execPath, file] : [file];

  const plain = await start([...argv, "--port", "0", "--bind", "127.0.0.1", "--prometheus"], dir);
  try {
    assert.deepEqual(await fetchText(`http://127.0.0.1:${plain.port}/healthz`), { status: 200, body: "ok\n" });
    const m = await metrics(`ws://127.0.0.1:${plain.port}/ws`);
    assert.equal(typeof m.hostname, "string");
    assert.ok(m.mem_total > 0);
    const prom = await fetchText(`http://127.0.0.1:${plain.port}/metrics`);
    assert.equal(prom.status, 200);
    assert.match(prom.body, /^# TYPE socktop_\w+/m);
  } finally {
    assert.equal(await plain.stop(), 0, plain.stderr());
  }
  assert.doesNotMatch(plain.stderr(), /Warning|Error|at \S+ \(/, plain.stderr());

  // TLS with a certificate generated on first start, and a token.
  const data = join(dir, "data");
  const tls = await start([...argv, "--port", "0", "--bind", "127.0.0.1", "--enableSSL"], dir, { XDG_DATA_HOME: data, SOCKTOP_TOKEN: "s3cret" });
  try {
    assert.match(tls.stderr(), /generated a self-signed TLS certificate/);
    const ca = await readFile(join(data, "socktop_agent", "tls", "cert.pem"), "utf8");
    const m = await metrics(`wss://127.0.0.1:${tls.port}/ws?token=s3cret`, { ca, checkServerIdentity: () => false });
    assert.ok(m.mem_total > 0);
    await assert.rejects(metrics(`wss://127.0.0.1:${tls.port}/ws?token=wrong`, { ca, checkServerIdentity: () => false }), /401/);
    assert.equal((await fetchText(`https://127.0.0.1:${tls.port}/healthz`, { ca })).status, 200);
  } finally {
    assert.equal(await tls.stop(), 0, tls.stderr());
  }
}

describe("single-file agent", () => {
  test(`socktop_agent.mjs is one file within ${BUNDLE_BUDGET_BYTES / 2 ** 20} MiB, importing only Node's built-in modules`, async () => {
    assert.ok(built.bundleBytes <= BUNDLE_BUDGET_BYTES, `${built.bundleBytes} bytes`);
    const { builtinModules } = await import("node:module");
    assert.ok(built.imports.length > 0);
    for (const name of built.imports) assert.ok(builtinModules.includes(name.replace(/^node:/, "")), `the bundle loads ${name} at run time`);
  });

  test("node socktop_agent.mjs alone in a directory: /healthz, metrics, Prometheus, TLS + token, SIGTERM → 0", { timeout: 60_000 }, () => exercise("bundle"));
});

describe("single executable", () => {
  test("socktop_agent (Node SEA) alone in a directory: /healthz, metrics, Prometheus, TLS + token, SIGTERM → 0", { timeout: 60_000 }, async () => {
    assert.ok(built.sea !== null && built.seaBytes !== null);
    await exercise("sea");
  });

  test("--version prints the package's version", async () => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const { stdout } = await promisify(execFile)(built.sea!, ["--version"], { env: { PATH: process.env.PATH } });
    const version = (JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
    assert.equal(stdout, `socktop_agent ${version}\n`);
  });
});
