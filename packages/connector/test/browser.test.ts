/**
 * The browser entry point: it imports nothing from Node, type-checks with the
 * DOM library alone, and works over a standards-following WebSocket (Node's
 * built-in one, run in a child process with --experimental-websocket) against
 * the real agent (socktop.v2 subprotocol + pushed hello) and the original
 * (subprotocol refused, so one plain attempt follows and speaks legacy).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { liveUrl, requireToken, startLiveAgent, type StartedAgent } from "./helpers/live.js";
import { startOriginalAgent, type OriginalAgent } from "./helpers/original-agent.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "..");
const repoRoot = resolve(packageDir, "../..");

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  info?: { protocolVersion: number; legacy: boolean; source: string; agentVersion: string | null; capabilities: string[] };
  connectMs?: number;
  hostname?: string;
  processCount?: number | null;
  disks?: number;
  processes?: number;
  agentError?: string;
  state?: string;
}

async function browserClient(url: string, protocol: "auto" | "legacy"): Promise<Outcome> {
  const { stdout } = await run(
    process.execPath,
    ["--experimental-websocket", "--no-warnings", "--conditions=source", "--import", "tsx", join(here, "fixtures", "browser-client.ts"), url, protocol],
    { cwd: repoRoot, timeout: 20_000 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Outcome;
}

let agent: StartedAgent;
let original: OriginalAgent;

before(async () => {
  agent = await startLiveAgent();
  original = await startOriginalAgent();
});
after(async () => {
  await agent.close();
  await original.close();
});

test("the browser entry's import graph reaches nothing Node-only", () => {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)) {
      const specifier = (match[1] ?? match[2]) as string;
      const typeOnly = /^\s*(?:import|export)\s+type\s/.test(match[0]);
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else if (!typeOnly) bare.add(specifier);
    }
  };
  visit(join(packageDir, "src", "browser.ts"));
  assert.ok(seen.size > 5, "followed the graph");
  assert.deepEqual([...bare].sort(), ["@socktop/protocol"], "only the protocol package, which is itself platform-neutral");
  const protocolSources = join(repoRoot, "packages", "protocol", "src");
  for (const file of ["index.ts", "requests.ts", "processes.ts", "gzip.ts", "version.ts", "types.ts", "details.ts"]) {
    assert.doesNotMatch(readFileSync(join(protocolSources, file), "utf8"), /from\s+"node:|require\(/, `protocol/src/${file}`);
  }
});

// Each of these runs a separate process: side by side.
describe("browser entry", { concurrency: true }, () => {
  test("the browser entry type-checks with the DOM library and no Node types", async () => {
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    await run(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.browser.json")], { cwd: repoRoot, timeout: 60_000 }).catch(
      (error: { stdout?: string }) => assert.fail(`tsc -p tsconfig.browser.json failed:\n${error.stdout ?? String(error)}`),
    );
  });

  test("real agent: socktop.v2 is selected and the pushed hello describes the agent (no round trip)", async () => {
    const outcome = await browserClient(liveUrl(agent), "auto");
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.info?.protocolVersion, 2);
    assert.equal(outcome.info?.source, "hello");
    assert.equal(outcome.info?.legacy, false);
    assert.ok(outcome.info?.agentVersion);
    assert.ok(outcome.info?.capabilities.includes("request_id"));
    assert.ok((outcome.processes ?? 0) > 5);
    assert.equal(typeof outcome.processCount, "number");
    assert.match(outcome.agentError ?? "", /^AGENT_ERROR:(NOT_FOUND|UNKNOWN_REQUEST)$/, "typed error frames under protocol 2");
    assert.equal(outcome.state, "closed");
  });

  test('real agent, protocol: "legacy": no subprotocol, legacy commands', async () => {
    const outcome = await browserClient(liveUrl(agent), "legacy");
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.info?.protocolVersion, 1);
    assert.equal(outcome.info?.source, "none", "a browser cannot read the headers");
    assert.equal(outcome.agentError, "AGENT_ERROR:-");
  });

  test("original agent: the subprotocol handshake fails, one plain attempt follows, legacy commands only", async () => {
    const outcome = await browserClient(original.url, "auto");
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.info?.legacy, true);
    assert.equal(outcome.hostname, "original-host");
    assert.equal(outcome.disks, 2);
    assert.deepEqual(
      original.upgrades.map((u) => u.protocols),
      ["socktop.v2", undefined],
      "first with the subprotocol, then without",
    );
    for (const frame of original.received) assert.match(frame, /^get_/);
  });

  test("a refused upgrade (wrong token) is CONNECTION_FAILED in a browser, which hides the status", async () => {
    const guarded = await startLiveAgent({}, { admission: [requireToken("right")] });
    try {
      const outcome = await browserClient(`${liveUrl(guarded)}?token=wrong`, "auto");
      assert.equal(outcome.ok, false);
      assert.equal(outcome.code, "CONNECTION_FAILED");
      assert.match(outcome.message ?? "", /token wrong \(HTTP 401\)/);
      assert.doesNotMatch(outcome.message ?? "", /token=wrong/, "the token is not repeated");
    } finally {
      await guarded.close();
    }
  });
});
