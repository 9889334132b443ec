/**
 * The documentation is true: every code block in the README is an example
 * file, verbatim; every example type-checks and runs against a live agent;
 * every option and error code is documented; the versions agree.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { CONNECTOR_VERSION, ERROR_CODES } from "../src/index.js";
import { resolveOptions } from "../src/options.js";
import { liveUrl, requireToken, startLiveAgent, type StartedAgent } from "./helpers/live.js";
import { makeCertificate, type TestCertificate } from "./helpers/tls.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "..");
const repoRoot = resolve(packageDir, "../..");
const examplesDir = join(packageDir, "examples");

let agent: StartedAgent;
let tlsAgent: StartedAgent;
let guarded: StartedAgent;
let cert: TestCertificate;
let scratch: string;

before(async () => {
  cert = await makeCertificate();
  [agent, tlsAgent, guarded] = await Promise.all([
    startLiveAgent(),
    startLiveAgent({}, { tls: { cert: cert.cert, key: cert.key } }),
    startLiveAgent({}, { admission: [requireToken("the-real-token")] }),
  ]);
  scratch = await mkdtemp(join(tmpdir(), "socktop-connector-examples-"));
});
after(async () => {
  await Promise.all([agent.close(), tlsAgent.close(), guarded.close()]);
  await rm(scratch, { recursive: true, force: true });
});

/**
 * Runs an example as a user would, with the placeholders it shows (localhost:3000, the
 * certificate path) pointed at the test's agents, and the package imported from source.
 */
async function runExample(name: string, replacements: Record<string, string>, nodeArgs: string[] = []): Promise<string> {
  let source = await readFile(join(examplesDir, name), "utf8");
  const entry = (file: string): string => pathToFileURL(join(packageDir, "src", file)).href;
  const all: Record<string, string> = {
    '"@socktop/connector/browser"': JSON.stringify(entry("browser.ts")),
    '"@socktop/connector"': JSON.stringify(entry("index.ts")),
    ...replacements,
  };
  for (const [from, to] of Object.entries(all)) {
    if (from.startsWith('"@socktop/connector') && !source.includes(from)) continue;
    assert.ok(source.includes(from), `${name} still contains ${from}`);
    source = source.split(from).join(to);
  }
  // .mts: the scratch directory has no package.json saying "type": "module".
  const file = join(scratch, name.replace(/\.ts$/, ".mts"));
  await writeFile(file, source);
  const { stdout } = await run(process.execPath, [...nodeArgs, "--no-warnings", "--conditions=source", "--import", "tsx", file], {
    cwd: repoRoot,
    timeout: 20_000,
    env: { ...process.env, SOCKTOP_TOKEN: "" },
  });
  return stdout;
}

const local = (a: StartedAgent): Record<string, string> => ({ "ws://localhost:3000/ws": liveUrl(a) });

test("every ```ts block of the README is an example file, verbatim, and every example is in the README", async () => {
  const readme = await readFile(join(packageDir, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/(?:<!-- example: (examples\/[\w.-]+) -->\n)?```ts\n([\s\S]*?)\n```/g)];
  const files = (await readdir(examplesDir)).filter((f) => f.endsWith(".ts")).sort();
  const included: string[] = [];
  for (const [, path, code] of blocks) {
    assert.ok(path, `a ts block without an example marker:\n${code?.slice(0, 200)}`);
    const expected = (await readFile(join(packageDir, path), "utf8")).replace(/\n+$/, "");
    assert.equal(code, expected, `README block for ${path} differs from the file`);
    included.push(path.replace("examples/", ""));
  }
  assert.deepEqual([...new Set(included)].sort(), files);
});

test("the README documents every option and every error code", async () => {
  const readme = await readFile(join(packageDir, "README.md"), "utf8");
  for (const option of Object.keys(resolveOptions())) assert.match(readme, new RegExp(`\\| \`${option}\` \\|`), `option ${option}`);
  for (const code of ERROR_CODES) assert.match(readme, new RegExp(`\\| \`${code}\` \\|`), `error code ${code}`);
});

test("versions agree: package.json, CONNECTOR_VERSION, the CHANGELOG's latest entry", async () => {
  const manifest = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8")) as { version: string };
  assert.equal(CONNECTOR_VERSION, manifest.version);
  const changelog = await readFile(join(packageDir, "CHANGELOG.md"), "utf8");
  assert.equal(/^## (\S+)/m.exec(changelog)?.[1], manifest.version);
});

// Each example is a separate Node process: run them side by side.
describe("examples", { concurrency: true }, () => {
  test("the examples type-check against the package", async () => {
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    await run(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.examples.json")], { cwd: repoRoot, timeout: 60_000 }).catch(
      (error: { stdout?: string }) => assert.fail(`examples do not type-check:\n${error.stdout ?? String(error)}`),
    );
  });

  test("example quick-start.ts", async () => {
    const out = await runExample("quick-start.ts", local(agent));
    assert.match(out, /^connected to ws:\/\/127\.0\.0\.1:\d+\/ws \(agent \d+\.\d+\.\d+, protocol 2\)$/m);
    assert.match(out, /CPU \d+\.\d%, memory [\d.]+ of [\d.]+ GiB/);
    assert.match(out, /^\d+\t\d+\.\d%\t.+$/m);
  });

  test("example options.ts", async () => {
    const out = await runExample("options.ts", local(agent));
    assert.match(out, /protocolVersion: 2/);
  });

  test("example polling.ts", async () => {
    const out = await runExample("polling.ts", local(agent));
    assert.equal(out.match(/^cpu [\d.]+%, \d+ processes$/gm)?.length, 4);
  });

  test("example errors.ts (against an agent that requires another token)", async () => {
    const out = await runExample("errors.ts", local(guarded));
    assert.match(out, /^wrong token: The agent at .* refused the token \(HTTP 401/m);
  });

  test("example tls.ts (against a TLS agent, pinning its certificate)", async () => {
    const out = await runExample("tls.ts", {
      "ws://agent.example:8443/ws": liveUrl(tlsAgent, "ws"),
      "/etc/socktop/agent-cert.pem": cert.certPath,
    });
    assert.match(out, /^connected over TLS: wss:\/\/127\.0\.0\.1:\d+\/ws$/m);
    assert.match(out, / answers$/m);
  });

  test("example process-details.ts", async () => {
    const out = await runExample("process-details.ts", local(agent));
    assert.match(out, /^(\d+ .+: \d+ threads, \w+|agent: .+)$/m);
  });

  test("example browser.ts (Node's standard WebSocket standing in for a browser's)", async () => {
    const out = await runExample("browser.ts", local(agent), ["--experimental-websocket"]);
    assert.match(out, /^protocol 2, agent \d+\.\d+\.\d+$/m);
    assert.match(out, /^\d+ processes$/m);
  });
});
