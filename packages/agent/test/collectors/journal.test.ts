import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { vanishedPid } from "../helpers/proc.js";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { JournalReply } from "@socktop/protocol";
import {
  DEFAULT_JOURNAL_DIRS,
  JOURNAL_LIMIT,
  JournalReader,
  fieldText,
  journalFilesExist,
  parseJournalLine,
  parseJournalOutput,
  priorityName,
  type JournalReaderOptions,
  type JournalResult,
} from "../../src/collectors/journal.js";

const line = (fields: Record<string, unknown>): string => JSON.stringify(fields);

const STARTED = line({
  __REALTIME_TIMESTAMP: "1700000000000000",
  PRIORITY: "6",
  MESSAGE: "started",
  _SYSTEMD_UNIT: "demo.service",
  _PID: "4242",
  _COMM: "demo",
  _UID: "1000",
  _GID: "1001",
});
const BINARY = line({ __REALTIME_TIMESTAMP: "1700000002000000", PRIORITY: "3", MESSAGE: [104, 105, 0, 255, 10], _PID: "4242" });
const NO_PRIORITY = line({ __REALTIME_TIMESTAMP: "1700000003500000", MESSAGE: "no priority" });
const EMERGENCY = line({ __REALTIME_TIMESTAMP: "1700000004000000", PRIORITY: "0", MESSAGE: "on fire" });
const MALFORMED = ['{"__REALTIME_TIMESTAMP": "1700000001000000", "MESSAGE": ', "not json at all", "[1,2,3]", line({ MESSAGE: "no timestamp" })];

test("priority names, with Info for anything missing or out of range", () => {
  const names = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Info", "Debug"];
  names.forEach((name, i) => assert.equal(priorityName(String(i)), name));
  assert.equal(priorityName(undefined), "Info");
  assert.equal(priorityName("8"), "Info");
  assert.equal(priorityName("high"), "Info");
  assert.equal(priorityName(3), "Error");
});

test("field values: strings, byte arrays (lossy UTF-8), repeated fields, null", () => {
  assert.equal(fieldText("plain"), "plain");
  assert.equal(fieldText([104, 105, 0, 255]), "hi\u0000\uFFFD");
  assert.equal(fieldText(Array.from(Buffer.from("héllo"))), "héllo");
  assert.equal(fieldText(["first", [111, 107]]), "first\nok");
  assert.equal(fieldText(null), null);
  assert.equal(fieldText(42), null);
  assert.equal(fieldText([]), null);
});

test("one line: every field, ISO timestamp, numbers from strings", () => {
  assert.deepEqual(parseJournalLine(STARTED), {
    timestamp: "2023-11-14T22:13:20.000Z",
    priority: "Info",
    message: "started",
    unit: "demo.service",
    pid: 4242,
    comm: "demo",
    uid: 1000,
    gid: 1001,
  });
  assert.deepEqual(parseJournalLine(NO_PRIORITY), {
    timestamp: "2023-11-14T22:13:23.500Z",
    priority: "Info",
    message: "no priority",
    unit: null,
    pid: null,
    comm: null,
    uid: null,
    gid: null,
  });
  assert.equal(parseJournalLine(BINARY)?.message, "hi\u0000\uFFFD\n");
  assert.equal(parseJournalLine(line({ __REALTIME_TIMESTAMP: "1", MESSAGE: null }))?.message, "[message omitted by journalctl: larger than 4096 bytes]");
  assert.equal(parseJournalLine(line({ __REALTIME_TIMESTAMP: "1", _SYSTEMD_USER_UNIT: "app.service" }))?.unit, "app.service");
  assert.equal(parseJournalLine(line({ __REALTIME_TIMESTAMP: "1" }))?.message, "");
  for (const bad of MALFORMED) assert.equal(parseJournalLine(bad), null, bad);
});

test("output: newest first, malformed lines skipped but counted", () => {
  const { entries, lines } = parseJournalOutput([STARTED, ...MALFORMED, BINARY, "", NO_PRIORITY, EMERGENCY, ""].join("\n"));
  assert.equal(lines, 8);
  assert.deepEqual(entries.map((e) => e.message), ["on fire", "no priority", "hi\u0000\uFFFD\n", "started"]);
  assert.deepEqual(entries.map((e) => e.priority), ["Emergency", "Info", "Error", "Info"]);
});

// ---------------------------------------------------------------- with a fake journalctl

describe("JournalReader with a fake journalctl", () => {
  let dir: string;
  let journalDir: string;
  let emptyDir: string;
  const pid = process.pid;

  /** A journalctl stand-in: logs its arguments next to itself, then runs `body`. */
  async function fake(name: string, body: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "$*" >> "${path}.args"\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }
  const reader = (command: string, options: JournalReaderOptions = {}): JournalReader =>
    new JournalReader({ command, journalDirs: [journalDir], timeoutMs: 3000, ...options });
  function reply(result: JournalResult): JournalReply {
    if (result.kind !== "ok") assert.fail(`expected entries, got: ${result.message}`);
    return result.reply;
  }
  function failure(result: JournalResult): string {
    if (result.kind === "ok") assert.fail("expected an error");
    return result.message;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "socktop-journal-"));
    // a journal directory laid out as journald does: <dir>/<machine-id>/system.journal
    journalDir = join(dir, "journal");
    await mkdir(join(journalDir, "0123456789abcdef"), { recursive: true });
    await writeFile(join(journalDir, "0123456789abcdef", "system.journal"), "");
    emptyDir = join(dir, "no-journal");
    await mkdir(emptyDir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("runs journalctl _PID=<pid> --output=json --lines=100 --no-pager; entries newest first", async () => {
    const lines = [STARTED, ...MALFORMED, BINARY, NO_PRIORITY].join("\n");
    const command = await fake("ok", `cat <<'EOF'\n${lines}\nEOF`);
    const r = reply(await reader(command, { now: () => 1_700_000_100_999 }).read(pid));
    assert.deepEqual(
      r.entries.map((e) => [e.timestamp, e.priority, e.message]),
      [
        ["2023-11-14T22:13:23.500Z", "Info", "no priority"],
        ["2023-11-14T22:13:22.000Z", "Error", "hi\u0000\uFFFD\n"],
        ["2023-11-14T22:13:20.000Z", "Info", "started"],
      ],
    );
    assert.equal(r.total_count, 3);
    assert.equal(r.truncated, false);
    assert.equal(r.cached_at, 1_700_000_100);
    assert.equal(await readFile(`${command}.args`, "utf8"), `_PID=${pid} --output=json --lines=100 --no-pager\n`);
  });

  test("truncated when the limit came back", async () => {
    const command = await fake(
      "hundred",
      `i=0; while [ $i -lt ${JOURNAL_LIMIT} ]; do echo '{"__REALTIME_TIMESTAMP":"1700000000000000","MESSAGE":"m'$i'"}'; i=$((i+1)); done`,
    );
    const r = reply(await reader(command).read(pid));
    assert.equal(r.total_count, JOURNAL_LIMIT);
    assert.equal(r.truncated, true);
    assert.equal(r.entries[0]?.message, `m${JOURNAL_LIMIT - 1}`, "the last line journalctl wrote is the newest");
  });

  test("no journal: journalctl failing with 'No journal files were found'", async () => {
    const command = await fake("nojournal", 'echo "No journal files were found." >&2; exit 1');
    const result = await reader(command).read(pid);
    assert.deepEqual(result, { kind: "error", code: "UNAVAILABLE", message: "No systemd journal on this machine: journalctl found no journal files" });
  });

  test("no journal: journalctl silent with exit 0 and no journal files anywhere", async () => {
    const command = await fake("silent", "exit 0");
    assert.match(failure(await reader(command, { journalDirs: [emptyDir, join(dir, "missing")] }).read(pid)), /^No systemd journal on this machine/);
    // with journal files present, nothing printed just means no entries for this pid
    assert.deepEqual(reply(await reader(command).read(pid)).entries, []);
  });

  test("journalctl failing otherwise: exit code and its first stderr line", async () => {
    const command = await fake("fails", 'echo "boom: disk on fire" >&2; echo "second line" >&2; exit 2');
    assert.equal(failure(await reader(command).read(pid)), "journalctl failed (exit code 2): boom: disk on fire");
  });

  test("insufficient permissions is told apart", async () => {
    const command = await fake("denied", 'echo "No journal files were opened due to insufficient permissions." >&2');
    assert.match(failure(await reader(command).read(pid)), /^Cannot read the journal: No journal files were opened due to insufficient permissions\. \(.*systemd-journal group\)$/);
  });

  test("a hanging journalctl is killed at the timeout with everything it started", async () => {
    const command = await fake("hang", `sleep 30 & echo $! > "${dir}/hang.sleep"; wait`);
    const started = Date.now();
    assert.equal(failure(await reader(command, { timeoutMs: 300 }).read(pid)), "journalctl did not answer within 300 ms");
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2000, `settled after ${elapsed} ms`);
    const sleeper = Number(await readFile(join(dir, "hang.sleep"), "utf8"));
    // the orphaned sleep was in journalctl's process group: it is gone (or a zombie awaiting its reaper)
    const stateOf = (p: number): string | null => {
      try {
        return readFileSync(`/proc/${p}/stat`, "latin1").split(") ")[1]?.[0] ?? null;
      } catch {
        return null;
      }
    };
    for (let i = 0; i < 100 && stateOf(sleeper) !== null && stateOf(sleeper) !== "Z"; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const state = stateOf(sleeper);
    assert.ok(state === null || state === "Z", `sleep ${sleeper} still there in state ${state}`);
  });

  test("no journalctl at all", async () => {
    const missing = join(dir, "does-not-exist", "journalctl");
    assert.equal(failure(await reader(missing).read(pid)), `Cannot read the journal: ${missing} not found (systemd's journalctl is not installed)`);
  });

  test("output beyond the bound is refused", async () => {
    const command = await fake("flood", `yes '${STARTED}' | head -n 5000`);
    assert.equal(failure(await reader(command, { maxOutputBytes: 10_000 }).read(pid)), "journalctl wrote more than 10000 bytes");
  });

  test("a vanished pid is not found, without running journalctl", async () => {
    const command = await fake("unused", "exit 0");
    const gone = vanishedPid();
    if (existsSync(`/proc/${gone}`)) return; // reused already: nothing to test
    assert.deepEqual(await reader(command).read(gone), { kind: "error", code: "NOT_FOUND", message: `Process ${gone} not found` });
    assert.equal(existsSync(`${command}.args`), false);
  });

  test("at most two journalctl run at once; the others wait their turn", async () => {
    const log = join(dir, "concurrency.log");
    const command = await fake("slow", `echo start >> "${log}"; sleep 0.2; echo end >> "${log}"; echo '${STARTED}'`);
    const r = reader(command);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => r.read(pid)));
    for (const result of results) assert.equal(reply(result).total_count, 1);
    let running = 0;
    let peak = 0;
    for (const event of (await readFile(log, "utf8")).trim().split("\n")) {
      running += event === "start" ? 1 : -1;
      peak = Math.max(peak, running);
    }
    assert.equal(peak, 2);
  });

  test("found on PATH by name", async () => {
    const bin = join(dir, "bin");
    await mkdir(bin);
    await writeFile(join(bin, "journalctl"), `#!/bin/sh\necho '${EMERGENCY}'\n`);
    await chmod(join(bin, "journalctl"), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${saved ?? ""}`;
    try {
      const r = reply(await new JournalReader({ journalDirs: [journalDir] }).read(pid));
      assert.deepEqual(r.entries.map((e) => e.priority), ["Emergency"]);
    } finally {
      process.env.PATH = saved;
    }
  });
});

test("journal files are looked for one level down", async () => {
  const dir = await mkdtemp(join(tmpdir(), "socktop-journal-dirs-"));
  try {
    assert.equal(await journalFilesExist([dir, join(dir, "missing")]), false);
    await mkdir(join(dir, "abc"));
    await writeFile(join(dir, "abc", "user-1000.journal~"), "");
    assert.equal(await journalFilesExist([join(dir, "missing"), dir]), true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the real journalctl, when installed: entries, or the clear no-journal error", async (ctx) => {
  const which = spawnSync("sh", ["-c", "command -v journalctl"], { encoding: "utf8" });
  if (which.status !== 0) {
    ctx.skip("journalctl is not installed");
    return;
  }
  const result = await new JournalReader().read(process.pid);
  if (result.kind === "ok") {
    for (const entry of result.reply.entries) assert.match(entry.timestamp, /^\d{4}-\d\d-\d\dT/);
    assert.equal(result.reply.total_count, result.reply.entries.length);
    return;
  }
  assert.equal(result.code, "UNAVAILABLE");
  if ((await journalFilesExist(DEFAULT_JOURNAL_DIRS)) === false) {
    assert.equal(result.message, "No systemd journal on this machine: journalctl found no journal files");
  } else {
    assert.match(result.message, /journal/i);
  }
});
