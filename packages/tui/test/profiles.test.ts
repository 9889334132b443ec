import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { parseArgs, type RunOptions } from "../src/args.js";
import { planRun, type PlanIO } from "../src/plan.js";
import {
  decideSave,
  isYes,
  LineReader,
  loadProfiles,
  menuText,
  overwriteQuestion,
  parseChoice,
  parseProfiles,
  ProfileError,
  profilesPath,
  saveProfiles,
} from "../src/profiles.js";

function tempHome(): { home: string; env: NodeJS.ProcessEnv; path: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), "socktop-tui-"));
  const env = { XDG_CONFIG_HOME: join(home, "config") };
  return { home, env, path: join(home, "config", "socktop", "profiles.json"), cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

class Sink extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

function io(t: ReturnType<typeof tempHome>, answers: string[] | null, interactive = true): PlanIO & { out: Sink } {
  const input = new PassThrough();
  const out = new Sink();
  let reader: LineReader | null = null;
  return {
    env: t.env,
    home: t.home,
    cwd: "/work",
    interactive,
    out,
    reader: () => {
      if (!reader) {
        reader = new LineReader(input, out);
        if (answers) {
          for (const a of answers) input.write(`${a}\n`);
          input.end();
        }
      }
      return reader;
    },
  };
}

const opts = (argv: string[]): RunOptions => (parseArgs(argv) as { options: RunOptions }).options;

test("location: $XDG_CONFIG_HOME, else ~/.config", () => {
  assert.equal(profilesPath({ XDG_CONFIG_HOME: "/x/cfg" }, "/home/u"), "/x/cfg/socktop/profiles.json");
  assert.equal(profilesPath({}, "/home/u"), "/home/u/.config/socktop/profiles.json");
  assert.equal(profilesPath({ XDG_CONFIG_HOME: "relative" }, "/home/u"), "/home/u/.config/socktop/profiles.json");
});

test("the original's file format is read as is, unknown keys kept on save", () => {
  const t = tempHome();
  try {
    const original = {
      profiles: {
        home: { url: "ws://10.0.0.2:3000/ws" },
        prod: { url: "wss://prod:8443/ws?token=t", tls_ca: "/etc/socktop/ca.pem", metrics_interval_ms: 1000, processes_interval_ms: 5000 },
      },
      version: 0,
      extra: { kept: true },
    };
    mkdirSync(join(t.home, "config", "socktop"), { recursive: true });
    writeFileSync(t.path, JSON.stringify(original));
    const file = loadProfiles(t.path);
    assert.deepEqual(file.profiles.prod, original.profiles.prod);
    assert.equal(file.version, 0);
    file.profiles.new = { url: "ws://n:1/ws" };
    saveProfiles(t.path, file);
    const back = JSON.parse(readFileSync(t.path, "utf8"));
    assert.deepEqual(back.extra, { kept: true });
    assert.equal(back.version, 0);
    assert.deepEqual(back.profiles.home, { url: "ws://10.0.0.2:3000/ws" });
    assert.equal(statSync(t.path).mode & 0o777, 0o600, "URLs may carry tokens: private file");
  } finally {
    t.cleanup();
  }
});

test("a missing or empty file is no profiles", () => {
  const t = tempHome();
  try {
    assert.deepEqual(loadProfiles(t.path), { profiles: {}, version: 0 });
    mkdirSync(join(t.home, "config", "socktop"), { recursive: true });
    writeFileSync(t.path, "  \n");
    assert.deepEqual(loadProfiles(t.path).profiles, {});
  } finally {
    t.cleanup();
  }
});

test("a corrupt file gives a clear message", () => {
  assert.throws(() => parseProfiles("{not json", "/p.json"), (e: unknown) => e instanceof ProfileError && /\/p\.json is not valid JSON/.test(e.message) && /will not overwrite/.test(e.message));
  assert.throws(() => parseProfiles("[]", "/p.json"), /should hold a JSON object/);
  assert.throws(() => parseProfiles('{"profiles": 3}', "/p.json"), /"profiles" should be an object/);
  assert.throws(() => parseProfiles('{"profiles": {"a": {}}}', "/p.json"), /profile 'a' has no "url"/);
  assert.throws(() => parseProfiles('{"profiles": {"a": {"url": "ws://h/ws", "metrics_interval_ms": -1}}}', "/p.json"), /metrics_interval_ms must be a positive/);
});

test("a corrupt file is never overwritten, not even by --profile NAME URL --save", async () => {
  const t = tempHome();
  try {
    mkdirSync(join(t.home, "config", "socktop"), { recursive: true });
    writeFileSync(t.path, "{broken");
    await assert.rejects(planRun(opts(["--profile", "x", "--save", "ws://h:1/ws"]), io(t, null)), ProfileError);
    await assert.rejects(planRun(opts([]), io(t, ["1"])), ProfileError);
    assert.equal(readFileSync(t.path, "utf8"), "{broken");
  } finally {
    t.cleanup();
  }
});

test("save decisions: first use saves, same is unchanged, different asks unless --save", () => {
  const p = { url: "ws://a:1/ws" };
  assert.equal(decideSave(undefined, p, false), "save");
  assert.equal(decideSave(p, { url: "ws://a:1/ws" }, false), "unchanged");
  assert.equal(decideSave(p, { url: "ws://b:1/ws" }, false), "ask");
  assert.equal(decideSave(p, { url: "ws://b:1/ws" }, true), "overwrite");
  assert.equal(decideSave(p, { url: "ws://a:1/ws", metrics_interval_ms: 200 }, false), "ask");
  assert.equal(overwriteQuestion("prod"), "Overwrite existing profile 'prod'? [y/N] ");
  assert.equal(isYes("y"), true);
  assert.equal(isYes("YES"), true);
  assert.equal(isYes(""), false);
  assert.equal(isYes("n"), false);
  assert.equal(isYes(null), false);
});

test("--profile NAME URL saves on first use, then connects to it by name", async () => {
  const t = tempHome();
  try {
    const first = io(t, null);
    const plan = await planRun(opts(["--profile", "lab", "--metrics-interval-ms", "250", "--tls-ca", "ca.pem", "ws://lab:3000/ws"]), first);
    assert.equal(plan.kind, "connect");
    assert.equal(plan.url, "wss://lab:3000/ws");
    assert.match(first.out.text, /Saved profile 'lab'/);
    const saved = JSON.parse(readFileSync(t.path, "utf8"));
    assert.deepEqual(saved, { profiles: { lab: { url: "wss://lab:3000/ws", tls_ca: "/work/ca.pem", metrics_interval_ms: 250 } }, version: 0 });
    const again = await planRun(opts(["--profile", "lab"]), io(t, null));
    assert.equal(again.url, "wss://lab:3000/ws");
    assert.equal(again.tlsCa, "/work/ca.pem");
    assert.equal(again.intervals.metricsMs, 250);
    assert.equal(again.intervals.processesMs, 2000);
    // Without a terminal to ask on, a missing profile is an error that names the saved ones.
    await assert.rejects(planRun(opts(["--profile", "nope"]), io(t, null, false)), /no profile named 'nope'.*\(saved: lab\)/);
  } finally {
    t.cleanup();
  }
});

test("overwriting asks; only y overwrites; --save skips the question", async () => {
  const t = tempHome();
  try {
    await planRun(opts(["--profile", "p", "ws://one:1/ws"]), io(t, null));
    const no = io(t, ["n"]);
    const planNo = await planRun(opts(["--profile", "p", "ws://two:1/ws"]), no);
    assert.match(no.out.text, /Overwrite existing profile 'p'\? \[y\/N\] /);
    assert.equal(planNo.url, "ws://two:1/ws", "this run uses what was given");
    assert.equal(loadProfiles(t.path).profiles.p!.url, "ws://one:1/ws");

    const enter = io(t, [""]);
    await planRun(opts(["--profile", "p", "ws://two:1/ws"]), enter);
    assert.equal(loadProfiles(t.path).profiles.p!.url, "ws://one:1/ws", "Enter means no");

    const yes = io(t, ["y"]);
    await planRun(opts(["--profile", "p", "ws://two:1/ws"]), yes);
    assert.equal(loadProfiles(t.path).profiles.p!.url, "ws://two:1/ws");
    assert.match(yes.out.text, /Updated profile 'p'/);

    const forced = io(t, null);
    await planRun(opts(["--profile", "p", "--save", "ws://three:1/ws"]), forced);
    assert.ok(!forced.out.text.includes("Overwrite"));
    assert.equal(loadProfiles(t.path).profiles.p!.url, "ws://three:1/ws");

    // No terminal to ask on: never overwrite silently.
    const batch = io(t, null, false);
    await planRun(opts(["--profile", "p", "ws://four:1/ws"]), batch);
    assert.match(batch.out.text, /not overwritten \(add --save/);
    assert.equal(loadProfiles(t.path).profiles.p!.url, "ws://three:1/ws");

    // The same settings again: no question at all.
    const same = io(t, null);
    await planRun(opts(["--profile", "p", "ws://three:1/ws"]), same);
    assert.equal(same.out.text, "");
  } finally {
    t.cleanup();
  }
});

test("no arguments: a numbered list with the built-in demo entry", async () => {
  const t = tempHome();
  try {
    saveProfiles(t.path, { profiles: { zeta: { url: "ws://z:1/ws?token=secret" }, alpha: { url: "ws://a:1/ws", tls_ca: "/ca.pem" } }, version: 0 });
    const file = loadProfiles(t.path);
    const menu = menuText(file);
    assert.match(menu, /1\) alpha +ws:\/\/a:1\/ws \(TLS\)/);
    assert.match(menu, /2\) zeta +ws:\/\/z:1\/ws\?token=•••/);
    assert.match(menu, /3\) demo /);
    assert.ok(!menu.includes("secret"));
    assert.deepEqual(parseChoice("2", file), { kind: "profile", name: "zeta" });
    assert.deepEqual(parseChoice("3", file), { kind: "demo" });
    assert.deepEqual(parseChoice("alpha", file), { kind: "profile", name: "alpha" });
    assert.equal(parseChoice("9", file), null);
    assert.deepEqual(parseChoice("q", file), { kind: "quit" });

    const pick = io(t, ["7", "1"]);
    const plan = await planRun(opts([]), pick);
    assert.equal(plan.kind, "connect");
    assert.equal(plan.url, "wss://a:1/ws");
    assert.match(pick.out.text, /'7' is not in the list/);
    assert.equal((await planRun(opts([]), io(t, ["3"]))).kind, "demo");
    assert.equal((await planRun(opts([]), io(t, []))).kind, "quit");
    await assert.rejects(planRun(opts([]), io(t, null, false)), /no agent URL given/);
  } finally {
    t.cleanup();
  }
});

test("with no profiles yet, the list still offers the demo", () => {
  const menu = menuText({ profiles: {}, version: 0 });
  assert.match(menu, /No saved profiles yet/);
  assert.match(menu, /1\) demo/);
  assert.ok(!existsSync("/nonexistent-socktop"));
});

test("-P NAME for a missing profile asks for URL, CA and intervals, saves it; -P demo is the demo", async () => {
  const t = tempHome();
  try {
    const ask = io(t, ["not a url::", "pi:3000", "ca.pem", "250", ""]);
    const plan = await planRun(opts(["-P", "pi"]), ask);
    assert.equal(plan.kind, "connect");
    assert.equal(plan.url, "wss://pi:3000/ws");
    assert.match(ask.out.text, /There is no profile named 'pi' yet/);
    assert.match(ask.out.text, /not a valid agent URL/);
    assert.deepEqual(loadProfiles(t.path).profiles.pi, { url: "pi:3000", tls_ca: "/work/ca.pem", metrics_interval_ms: 250 });
    // No URL given: nothing saved, nothing started.
    assert.equal((await planRun(opts(["-P", "other"]), io(t, [""]))).kind, "quit");
    assert.equal(loadProfiles(t.path).profiles.other, undefined);
    assert.equal((await planRun(opts(["-P", "demo"]), io(t, null, false))).kind, "demo");
  } finally {
    t.cleanup();
  }
});

test("first run with no profiles offers the demo; the list deletes and renames; --delete-profile", async () => {
  const t = tempHome();
  try {
    const first = io(t, [""]);
    assert.equal((await planRun(opts([]), first)).kind, "demo");
    assert.match(first.out.text, /Start the demo: a local agent watching this machine\? \[Y\/n\] /);
    assert.equal((await planRun(opts([]), io(t, ["n"]))).kind, "quit");
    saveProfiles(t.path, { profiles: { a: { url: "ws://a:1/ws" }, b: { url: "ws://b:1/ws" } }, groups: { g: ["a", "b"] }, version: 0 });
    const edit = io(t, ["d 1", "y", "r 1 bee", "q"]);
    assert.equal((await planRun(opts([]), edit)).kind, "quit");
    assert.match(edit.out.text, /Deleted profile 'a'/);
    assert.match(edit.out.text, /Renamed 'b' to 'bee'/);
    const saved = loadProfiles(t.path);
    assert.deepEqual(Object.keys(saved.profiles), ["bee"]);
    assert.deepEqual(saved.groups, { g: ["bee"] });
    const del = io(t, null, false);
    assert.equal((await planRun(opts(["--delete-profile", "bee"]), del)).kind, "quit");
    assert.match(del.out.text, /Deleted profile 'bee'/);
    await assert.rejects(planRun(opts(["--delete-profile", "bee"]), io(t, null, false)), /no profile named 'bee'/);
  } finally {
    t.cleanup();
  }
});
