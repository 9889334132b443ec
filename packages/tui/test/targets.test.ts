import { test } from "node:test";
import assert from "node:assert/strict";
import { deleteProfile, parseProfiles, ProfileError, renameProfile } from "../src/profiles.js";
import { resolveTargets, type TargetDefaults } from "../src/targets.js";

const defaults: TargetDefaults = { tlsCa: null, verifyHostname: false, metricsIntervalMs: null, processesIntervalMs: null };
const FILE = JSON.stringify({
  profiles: {
    pi1: { url: "ws://pi1:3000/ws", token_file: "/secrets/pi1" },
    pi2: { url: "pi2:3000", metrics_interval_ms: 1000 },
    web: { url: "wss://web:8443/ws?token=inline", tls_ca: "/ca.pem" },
  },
  groups: { lab: ["pi1", "pi2", "ws://10.0.0.9:3000/ws"], all: ["web", "pi1"] },
  version: 0,
});

const io = (env: NodeJS.ProcessEnv = {}) => ({
  env,
  cwd: "/",
  readFile: (p: string) => {
    if (p === "/secrets/pi1") return "s3cret\nignored second line\n";
    throw Object.assign(new Error("nope"), { code: "ENOENT" });
  },
});

test("targets: URLs, profiles, groups and --all in order, each host once, tokens from the right place", () => {
  const file = parseProfiles(FILE, "p.json");
  const t = resolveTargets(
    [{ kind: "group", value: "lab" }, { kind: "profile", value: "pi1" }, { kind: "url", value: "10.0.0.9:3000" }, { kind: "all" }],
    file,
    "p.json",
    defaults,
    io({ SOCKTOP_TOKEN: "from-env" }),
  );
  assert.deepEqual(
    t.map((x) => [x.name, x.url, x.token, x.tlsCa]),
    [
      ["pi1", "ws://pi1:3000/ws", "s3cret", null],
      ["pi2", "ws://pi2:3000/ws", "from-env", null],
      ["10.0.0.9:3000", "ws://10.0.0.9:3000/ws", "from-env", null],
      // A token in the URL wins: no other token is added.
      ["web", "wss://web:8443/ws?token=inline", null, "/ca.pem"],
    ],
  );
  assert.equal(t[1]!.intervals.metricsMs, 1000);
});

test("targets: precise errors for unknown names and unreadable token files", () => {
  const file = parseProfiles(FILE, "p.json");
  assert.throws(() => resolveTargets([{ kind: "profile", value: "x" }], file, "p.json", defaults, io()), /no profile named 'x' in p\.json \(saved: pi1, pi2, web\)/);
  assert.throws(() => resolveTargets([{ kind: "group", value: "x" }], file, "p.json", defaults, io()), /no group named 'x' in p\.json \(groups: all, lab\)/);
  const bad = parseProfiles(JSON.stringify({ profiles: { a: { url: "ws://a:1/ws", token_file: "/missing" } } }), "p.json");
  assert.throws(() => resolveTargets([{ kind: "all" }], bad, "p.json", defaults, io()), /profile 'a': cannot read token_file \/missing: ENOENT/);
  assert.throws(() => parseProfiles(JSON.stringify({ profiles: {}, groups: { g: "pi1" } }), "p.json"), /group 'g' should be a list/);
  const stray = parseProfiles(JSON.stringify({ profiles: {}, groups: { g: ["nobody"] } }), "p.json");
  assert.throws(() => resolveTargets([{ kind: "group", value: "g" }], stray, "p.json", defaults, io()), /'nobody' is neither a saved profile nor an agent URL/);
});

test("delete and rename keep groups consistent and refuse collisions", () => {
  const file = parseProfiles(FILE, "p.json");
  renameProfile(file, "pi1", "pione");
  assert.deepEqual(Object.keys(file.profiles), ["pione", "pi2", "web"]);
  assert.deepEqual((file.groups as Record<string, string[]>).lab, ["pione", "pi2", "ws://10.0.0.9:3000/ws"]);
  assert.throws(() => renameProfile(file, "pi2", "web"), ProfileError);
  assert.throws(() => renameProfile(file, "pi2", "demo"), /built-in demo/);
  assert.throws(() => renameProfile(file, "nope", "x"), /no profile named 'nope'/);
  assert.equal(deleteProfile(file, "pione"), true);
  assert.equal(deleteProfile(file, "pione"), false);
  assert.deepEqual((file.groups as Record<string, string[]>).all, ["web"]);
});
