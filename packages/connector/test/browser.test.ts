/**
 * The browser entry point: it imports nothing from Node, type-checks with the
 * DOM library alone, and works over a standards-following WebSocket (Node's
 * built-in one, run in a child process with --experimental-websocket) with one
 * handshake against each agent: `?socktop_hello=1`, no subprotocol; the real
 * agent pushes its hello first, the original ignores the parameter and is
 * recognised by its first reply.
 */
import type { IncomingMessage } from "node:http";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { liveUrl, requireToken, startLiveAgent, type StartedAgent } from "./helpers/live.js";
import { startOriginalAgent, type OriginalAgent } from "./helpers/original-agent.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "..");
const repoRoot = resolve(packageDir, "../..");

interface Info {
  protocolVersion: number;
  legacy: boolean;
  source: string;
  agentVersion: string | null;
  agentMinProtocolVersion: number | null;
  capabilities: string[];
}

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  infoAtConnect?: Info;
  info?: Info;
  infoEvents?: string[];
  connectMs?: number;
  hostname?: string;
  lateHostname?: string;
  processCount?: number | null;
  disks?: number;
  processes?: number;
  /** code:agentCode:request of processMetrics(4e9), issued at once / after the first replies. */
  earlyError?: string;
  lateError?: string;
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
/** Upgrade requests the real agent admitted: the subprotocols offered and the URL. */
const agentUpgrades: Array<{ protocols: string | undefined; url: string }> = [];

function recordUpgrade(request: IncomingMessage): null {
  agentUpgrades.push({ protocols: request.headers["sec-websocket-protocol"], url: request.url ?? "" });
  return null;
}

/**
 * The upgrades of one test: the tests run side by side against shared agents, so each
 * dials with its own ?client= (which also shows that the URL's own query is kept).
 */
function upgradesOf(upgrades: ReadonlyArray<{ protocols: string | undefined; url: string }>, client: string) {
  return upgrades.filter((u) => new URL(u.url, "http://agent").searchParams.get("client") === client);
}

before(async () => {
  agent = await startLiveAgent({}, { admission: [recordUpgrade] });
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
  const files = readdirSync(protocolSources, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  assert.ok(files.includes(join("shapes", "index.ts")) && files.includes(join("gen", "validators.ts")), files.join(", "));
  for (const file of files) {
    const source = readFileSync(join(protocolSources, file), "utf8");
    assert.doesNotMatch(source, /from\s+"node:|require\(/, `protocol/src/${file}`);
    // The validators are generated as plain code: no eval, so a page's Content-Security-Policy need not allow it.
    assert.doesNotMatch(source, /new Function|\beval\(/, `protocol/src/${file}`);
    for (const m of source.matchAll(/from\s+"([^".][^"]*)"/g)) {
      assert.ok(/^(@sinclair\/typebox)(\/|$)/.test(m[1] as string), `protocol/src/${file} imports ${m[1]}`);
    }
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

  test("real agent: ONE handshake (?socktop_hello=1, no subprotocol); the pushed hello switches later requests to protocol 2", async () => {
    const outcome = await browserClient(`${liveUrl(agent)}?client=v2`, "auto");
    assert.equal(outcome.ok, true, outcome.message);
    assert.deepEqual(upgradesOf(agentUpgrades, "v2"), [{ protocols: undefined, url: "/ws?client=v2&socktop_hello=1" }], "exactly one upgrade request");
    // connect() resolved on open: the hello is identified when it lands, not waited for.
    assert.ok(["pending", "hello"].includes(outcome.infoAtConnect?.source ?? ""), outcome.infoAtConnect?.source);
    assert.equal(outcome.info?.protocolVersion, 2);
    assert.equal(outcome.info?.source, "hello");
    assert.equal(outcome.info?.legacy, false);
    assert.equal(outcome.info?.agentMinProtocolVersion, 1);
    assert.ok(outcome.info?.agentVersion);
    assert.ok(outcome.info?.capabilities.includes("request_id"));
    assert.ok((outcome.processes ?? 0) > 5);
    assert.equal(typeof outcome.processCount, "number");
    assert.equal(outcome.lateHostname, outcome.hostname);
    if (outcome.infoAtConnect?.source === "pending") {
      assert.deepEqual(outcome.infoEvents, ["hello"]);
      // Sent before the hello was read: a legacy command, answered in order after the hello
      // (with a typed error, since ?socktop_hello=1 put the connection in protocol 2).
      assert.match(outcome.earlyError ?? "", /^AGENT_ERROR:(NOT_FOUND|UNKNOWN_REQUEST):get_process_metrics$/);
    }
    assert.match(outcome.lateError ?? "", /^AGENT_ERROR:(NOT_FOUND|UNKNOWN_REQUEST):process_metrics$/, "a JSON request once identified");
    assert.equal(outcome.state, "closed");
  });

  test('real agent, protocol: "legacy": ONE handshake without ?socktop_hello, legacy commands', async () => {
    const outcome = await browserClient(`${liveUrl(agent)}?client=legacy`, "legacy");
    assert.equal(outcome.ok, true, outcome.message);
    assert.deepEqual(upgradesOf(agentUpgrades, "legacy"), [{ protocols: undefined, url: "/ws?client=legacy" }]);
    assert.equal(outcome.infoAtConnect?.source, "none", "a browser cannot read the headers, and nothing is asked");
    assert.equal(outcome.info?.protocolVersion, 1);
    assert.deepEqual(outcome.infoEvents, []);
    assert.equal(outcome.earlyError, "AGENT_ERROR:-:get_process_metrics", "protocol 1: untyped errors");
    assert.equal(outcome.lateError, "AGENT_ERROR:-:get_process_metrics");
  });

  test("original agent: ONE handshake; it ignores ?socktop_hello=1, its first reply identifies it, legacy commands only", async () => {
    const outcome = await browserClient(`${original.url}?client=original`, "auto");
    assert.equal(outcome.ok, true, outcome.message);
    assert.deepEqual(upgradesOf(original.upgrades, "original"), [{ protocols: undefined, url: "/ws?client=original&socktop_hello=1" }], "exactly one upgrade request");
    assert.equal(outcome.infoAtConnect?.source, "pending", "the original sends nothing unasked, and nothing waits for it");
    assert.deepEqual(outcome.infoEvents, ["none"]);
    assert.equal(outcome.info?.legacy, true);
    assert.equal(outcome.info?.source, "none");
    assert.equal(outcome.info?.protocolVersion, 1);
    assert.equal(outcome.hostname, "original-host");
    assert.equal(outcome.lateHostname, "original-host");
    assert.equal(outcome.disks, 2);
    assert.equal(outcome.processes, 60);
    assert.equal(outcome.earlyError, "AGENT_ERROR:-:get_process_metrics");
    assert.equal(outcome.lateError, "AGENT_ERROR:-:get_process_metrics");
    for (const frame of original.received) assert.match(frame, /^get_/);
  });

  test("a refused upgrade (wrong token) is CONNECTION_FAILED in a browser, which hides the status", async () => {
    const upgrades: Array<{ protocols: string | undefined; url: string }> = [];
    const guarded = await startLiveAgent({}, {
      admission: [
        (request) => {
          upgrades.push({ protocols: request.headers["sec-websocket-protocol"], url: request.url ?? "" });
          return null;
        },
        requireToken("right"),
      ],
    });
    try {
      const outcome = await browserClient(`${liveUrl(guarded)}?token=wrong`, "auto");
      assert.equal(outcome.ok, false);
      assert.equal(outcome.code, "CONNECTION_FAILED");
      assert.deepEqual(upgrades, [{ protocols: undefined, url: "/ws?token=wrong&socktop_hello=1" }], "no second attempt");
      assert.match(outcome.message ?? "", /token wrong \(HTTP 401\)/);
      assert.doesNotMatch(outcome.message ?? "", /token=wrong/, "the token is not repeated");
    } finally {
      await guarded.close();
    }
  });
});
