import { test } from "node:test";
import assert from "node:assert/strict";
import { ArgError, helpText, normalizeUrl, parseArgs, parseLine, type RunOptions } from "../src/args.js";
import { KEY_TABLE } from "../src/keys.js";

function run(argv: string[]): RunOptions {
  const c = parseArgs(argv);
  assert.equal(c.kind, "run");
  return (c as { options: RunOptions }).options;
}

test("the original's flags, long and short", () => {
  const o = run([
    "--tls-ca",
    "/tmp/ca.pem",
    "--verify-hostname",
    "--profile",
    "prod",
    "--save",
    "--metrics-interval-ms",
    "250",
    "--processes-interval-ms",
    "1000",
    "ws://host:3000/ws",
  ]);
  assert.deepEqual(o, {
    url: "wss://host:3000/ws",
    tlsCa: "/tmp/ca.pem",
    verifyHostname: true,
    profile: "prod",
    save: true,
    demo: false,
    metricsIntervalMs: 250,
    processesIntervalMs: 1000,
    fleet: [],
    deleteProfile: null,
  });
  const s = run(["-t", "ca.pem", "-P", "p", "ws://h:1/ws"]);
  assert.equal(s.tlsCa, "ca.pem");
  assert.equal(s.profile, "p");
  assert.equal(run(["--tls-ca=x.pem", "ws://h:1/ws"]).tlsCa, "x.pem");
  assert.equal(run(["--demo"]).demo, true);
  assert.deepEqual(parseArgs(["--help"]), { kind: "help" });
  assert.deepEqual(parseArgs(["-h"]), { kind: "help" });
  assert.deepEqual(parseArgs(["--version"]), { kind: "version" });
  assert.deepEqual(parseArgs(["-V"]), { kind: "version" });
});

test("the parsed line keeps repeated profiles and positionals for later meanings", () => {
  const { values, positionals } = parseLine(["-P", "a", "--profile", "b", "status", "x"]);
  assert.deepEqual(values.profile, ["a", "b"]);
  assert.deepEqual(positionals, ["status", "x"]);
  assert.equal(values.demo, undefined);
});

test("intervals are clamped like the original (metrics ≥ 100 ms, processes ≥ 200 ms)", () => {
  const o = run(["--metrics-interval-ms", "10", "--processes-interval-ms", "50", "ws://h:1/ws"]);
  assert.equal(o.metricsIntervalMs, 100);
  assert.equal(o.processesIntervalMs, 200);
});

test("the token stays in the URL; URLs are completed", () => {
  assert.equal(run(["ws://h:3000/ws?token=abc"]).url, "ws://h:3000/ws?token=abc");
  assert.equal(normalizeUrl("h:3000", false), "ws://h:3000/ws");
  assert.equal(normalizeUrl("ws://h:3000", false), "ws://h:3000/ws");
  assert.equal(normalizeUrl("ws://h:3000/", true), "wss://h:3000/ws");
  assert.equal(normalizeUrl("https://h:8443/ws", false), "wss://h:8443/ws");
  assert.equal(normalizeUrl("ws://[::1]:3000/ws", false), "ws://[::1]:3000/ws");
});

test("bad arguments give one clear line", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /^unknown option '--bogus' \(see --help\)$/],
    [["--tls-ca"], /--tls-ca needs a value/],
    [["--profile", "--save"], /--profile needs a value/],
    [["--metrics-interval-ms", "fast", "ws://h:1/ws"], /whole number of milliseconds, not 'fast'/],
    [["--metrics-interval-ms", "-5", "ws://h:1/ws"], /needs a value/],
    [["--demo", "ws://a:1/ws", "ws://b:1/ws"], /^--demo watches this machine only: give no other hosts with it$/],
    [["ws://a:1/ws", "ftp://b:1/ws"], /^unsupported URL scheme 'ftp'/],
    [["--delete-profile", "a", "-P", "b"], /^--delete-profile takes one profile name and nothing else$/],
    [["-G", ""], /^--group needs a non-empty name$/],
    [["ftp://h:1/x"], /unsupported URL scheme 'ftp'/],
    [["ws://"], /not a valid agent URL|no host/],
    [["--demo", "ws://h:1/ws"], /--demo starts its own agent/],
    [["--save", "ws://h:1/ws"], /--save only makes sense with --profile/],
    [["--demo", "--profile", "x"], /cannot be combined/],
    [["--verify-hostname=yes", "ws://h:1/ws"], /^--verify-hostname takes no value$/],
    // A switch is never turned on (or off) by a value: refused, like the agent does.
    [["--demo=false"], /^--demo takes no value$/],
    [["--save=0", "-P", "x"], /^--save takes no value$/],
    [["-x"], /^unknown option '-x' \(see --help\)$/],
    [["--bogus=1"], /^unknown option '--bogus' \(see --help\)$/],
    [["--tls-ca", "a.pem", "--tls-ca", "b.pem", "ws://h:1/ws"], /^--tls-ca may be given only once$/],
    [["-P", "a", "-P", "b", "--save"], /^--save saves one profile: give one URL with one --profile$/],
    [["--profile="], /--profile needs a non-empty name/],
    [["ws://user:pw@h:1/ws"], /carry no user name or password: give the token as \?token=SECRET/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(
      () => parseArgs(argv),
      (e: unknown) => e instanceof ArgError && re.test(e.message) && !e.message.includes("\n"),
      argv.join(" "),
    );
  }
});

test("--help shows the usage, every option and the key table", () => {
  const h = helpText();
  for (const flag of ["--tls-ca", "-t", "--verify-hostname", "--profile", "-P", "--save", "--demo", "--metrics-interval-ms", "--processes-interval-ms", "--help", "--version"]) {
    assert.ok(h.includes(flag), flag);
  }
  assert.ok(h.includes("?token="));
  for (const k of KEY_TABLE) assert.ok(h.includes(k.action), k.action);
});

test("several hosts in any form open the fleet; -P NAME URL stays the save form", () => {
  const fleet = (argv: string[]) => {
    const c = parseArgs(argv);
    assert.equal(c.kind, "run");
    return c.kind === "run" ? c.options : null!;
  };
  assert.deepEqual(fleet(["ws://a:1/ws", "b:2"]).fleet, [
    { kind: "url", value: "ws://a:1/ws" },
    { kind: "url", value: "b:2" },
  ]);
  assert.deepEqual(fleet(["-P", "a", "-P", "b"]).fleet.map((i) => i.kind), ["profile", "profile"]);
  assert.deepEqual(fleet(["-G", "lab"]).fleet, [{ kind: "group", value: "lab" }]);
  assert.deepEqual(fleet(["--all"]).fleet, [{ kind: "all" }]);
  const save = fleet(["-P", "a", "ws://a:1/ws"]);
  assert.deepEqual(save.fleet, []);
  assert.equal(save.profile, "a");
  assert.equal(fleet(["--delete-profile", "old"]).deleteProfile, "old");
});
