import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FormatRegistry } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ArgError } from "../src/args.js";
import { formatLines, formatOneLine, parseStatusArgs, runStatus } from "../src/status.js";
import { HostStatusSchema, statusSchemaJson, type HostStatus } from "../src/status-schema.js";
import { FLEET_TOKEN, startFleet, type Fleet } from "./helpers/fleet-agents.js";
import { nodeSource, ROOT, TUI_SRC } from "./helpers/tmux.js";

// TypeBox leaves formats to the application: RFC 3339 date-time, as JSON Schema means it.
FormatRegistry.Set("date-time", (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v)));

const SCHEMA_FILE = join(ROOT, "packages", "tui", "schema", "status-host.schema.json");

test("the schema file in the repository is the one the code defines", () => {
  assert.equal(readFileSync(SCHEMA_FILE, "utf8"), statusSchemaJson(), "regenerate packages/tui/schema/status-host.schema.json from status-schema.ts");
});

test("status arguments: order kept, usage errors precise", () => {
  const c = parseStatusArgs(["-P", "a", "ws://h:1/ws", "-G", "lab", "--all", "--json", "--timeout", "500"]);
  assert.equal(c.kind, "run");
  if (c.kind !== "run") return;
  assert.deepEqual(c.options.items, [
    { kind: "profile", value: "a" },
    { kind: "url", value: "ws://h:1/ws" },
    { kind: "group", value: "lab" },
    { kind: "all" },
  ]);
  assert.equal(c.options.timeoutMs, 500);
  assert.equal(c.options.json, true);
  assert.equal(parseStatusArgs([]).kind, "run");
  assert.equal(parseStatusArgs(["-h"]).kind, "help");
  assert.throws(() => parseStatusArgs(["--watch", "0"]), /--watch needs a number of seconds above 0/);
  assert.throws(() => parseStatusArgs(["--watch", "x"]), ArgError);
  assert.throws(() => parseStatusArgs(["--timeout", "-5"]), ArgError);
  assert.throws(() => parseStatusArgs(["--timeout", "1.5"]), /whole number/);
  assert.throws(() => parseStatusArgs(["--json", "--oneline"]), /cannot be combined/);
  assert.throws(() => parseStatusArgs(["--nope"]), /unknown option '--nope' \(see socktop status --help\)/);
});

const up: HostStatus = {
  name: "pi1",
  url: "ws://pi1:3000/ws",
  up: true,
  state: "up",
  error: null,
  rtt_ms: 2,
  hostname: "pi1",
  cpu_pct: 12.3,
  mem_pct: 45.6,
  mem_used: 1,
  mem_total: 2,
  disk_pct: 78.9,
  disk_name: "sda",
  gpu_pct: null,
  temp_c: null,
  process_count: 3,
  busiest: { pid: 7, name: "nginx", cpu_pct: 5 },
  checked_at: new Date(0).toISOString(),
};
const down: HostStatus = { ...up, name: "server-b", up: false, state: "refused", error: "connection refused: no agent listening", cpu_pct: null, busiest: null };

test("lines: aligned, plain when piped, coloured on a terminal; one line for a status bar", () => {
  const plain = formatLines([up, down], false);
  assert.equal(
    plain,
    "pi1       up    cpu  12%  mem  46%  disk  79%  top nginx (5.0%)\nserver-b  down  connection refused: no agent listening",
  );
  assert.ok(!plain.includes("\x1b"));
  assert.match(formatLines([up, down], true), /\x1b\[32mup {2}\x1b\[0m/);
  assert.equal(formatOneLine([up, down], false), "pi1 cpu 12% mem 46% disk 79% · server-b down (refused)");
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const [node, ...rest] = nodeSource(TUI_SRC, ["status", ...args]);
  const t0 = Date.now();
  const child = spawn(node!, rest, { cwd: ROOT, env: { ...process.env, NO_COLOR: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })));
}

let fleet: Fleet;
let config: string;
before(async () => {
  fleet = await startFleet();
  await fleet.startKillable();
  config = fleet.writeProfiles({ lab: ["plain", "secured", "pinned"], all5: ["plain", "secured", "pinned", "restarted", "never"] });
});
after(async () => {
  await fleet?.close();
});

test("status against real agents: token file, pinned TLS, live, dead: lines and exit 1", { timeout: 60_000 }, async () => {
  // A generous timeout: on a loaded test machine a TLS handshake alone can take seconds.
  // (The default and the bound are tested below, against a host that never answers.)
  const r = await runCli(["-G", "all5", "--timeout", "15000"], { XDG_CONFIG_HOME: config });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 5, r.stdout);
  for (const [i, name] of ["plain", "secured", "pinned", "restarted"].entries()) {
    assert.match(lines[i]!, new RegExp(`^${name} +up +cpu +\\d+% +mem +\\d+% +disk +\\d+% +top \\S`), lines[i]);
  }
  assert.match(lines[4]!, /^never +down +connection refused/);
  assert.ok(!r.stdout.includes(FLEET_TOKEN), "the token is never printed");

  const ok = await runCli(["-G", "lab", "--oneline", "--timeout", "15000"], { XDG_CONFIG_HOME: config });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^plain cpu \d+% mem \d+% disk \d+% · secured cpu .* · pinned cpu .*\n$/);
});

test("status --json: every line valid against the schema; the token comes from SOCKTOP_TOKEN too", { timeout: 60_000 }, async () => {
  const urls = [`127.0.0.1:${fleet.token.port}`, `127.0.0.1:${fleet.deadPort}`];
  const r = await runCli(["--json", "--timeout", "15000", ...urls, "-P", "pinned"], { XDG_CONFIG_HOME: config, SOCKTOP_TOKEN: FLEET_TOKEN });
  assert.equal(r.code, 1, r.stderr);
  const rows = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as HostStatus);
  assert.equal(rows.length, 3);
  for (const row of rows) assert.ok(Value.Check(HostStatusSchema, row), JSON.stringify([...Value.Errors(HostStatusSchema, row)].slice(0, 3)));
  assert.deepEqual(
    rows.map((x) => [x.up, x.state]),
    [
      [true, "up"],
      [false, "refused"],
      [true, "up"],
    ],
  );
  assert.ok(rows[0]!.process_count! > 0 && rows[0]!.busiest !== null);

  // Without the token: authentication fails, and says so.
  const denied = await runCli(["--json", "--timeout", "15000", `127.0.0.1:${fleet.token.port}`], { XDG_CONFIG_HOME: config });
  assert.equal(denied.code, 1);
  assert.equal((JSON.parse(denied.stdout) as HostStatus).state, "auth failed");
});

test("a host that accepts TCP and never answers ends the run within the timeout + 1 s", { timeout: 30_000 }, async () => {
  // In this process, so that Node's own start-up (seconds on a loaded machine) is not counted.
  let out = "";
  const t0 = performance.now();
  const code = await runStatus(["--timeout", "1500", `127.0.0.1:${fleet.hangPort}`, `127.0.0.1:${fleet.plain.port}`], {
    env: { XDG_CONFIG_HOME: config },
    home: "/nonexistent",
    cwd: "/",
    out: { write: (t: string) => (out += t) },
  });
  const ms = performance.now() - t0;
  assert.equal(code, 1);
  assert.ok(ms <= 1500 + 1000, `took ${Math.round(ms)} ms`);
  const lines = out.trimEnd().split("\n");
  assert.match(lines[0]!, /down +timed out: no answer within 1500 ms/);
  // The same through the command, for its exit status.
  const r = await runCli(["--timeout", "1500", `127.0.0.1:${fleet.hangPort}`], { XDG_CONFIG_HOME: config });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /down +timed out/);
});

test("usage errors exit 2 with one line", { timeout: 30_000 }, async () => {
  const r = await runCli(["-P", "nosuch"], { XDG_CONFIG_HOME: config });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^socktop status: no profile named 'nosuch' in .*profiles\.json \(saved: .*\)\n$/);
  const g = await runCli(["-G", "nosuch"], { XDG_CONFIG_HOME: config });
  assert.equal(g.code, 2);
  assert.match(g.stderr, /no group named 'nosuch'.*\(groups: all5, lab\)/);
});
