import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeRequest, MAX_TOP_PROCESSES, parsePid, parseRequest, type InvalidRequest } from "../src/index.js";

test("JSON-dialect requests parse to their kinds", () => {
  for (const kind of ["metrics", "disks", "processes", "hello"] as const) {
    assert.deepEqual(parseRequest(JSON.stringify({ type: kind })), { kind, dialect: "json" });
  }
  assert.deepEqual(parseRequest(' {"type": "metrics"} \n'), { kind: "metrics", dialect: "json" });
});

test("legacy plain-text commands parse to the same kinds", () => {
  assert.deepEqual(parseRequest("get_metrics"), { kind: "metrics", dialect: "legacy" });
  assert.deepEqual(parseRequest("get_disks"), { kind: "disks", dialect: "legacy" });
  assert.deepEqual(parseRequest("get_processes"), { kind: "processes", dialect: "legacy" });
  assert.deepEqual(parseRequest("get_process_metrics:1234"), { kind: "process_metrics", dialect: "legacy", pid: 1234 });
  assert.deepEqual(parseRequest("get_journal_entries:1"), { kind: "journal_entries", dialect: "legacy", pid: 1 });
  assert.deepEqual(parseRequest(new TextEncoder().encode("get_metrics")), { kind: "metrics", dialect: "legacy" });
});

test("request ids are kept for protocol 2 and validated", () => {
  assert.deepEqual(parseRequest('{"type":"metrics","id":7}'), { kind: "metrics", dialect: "json", id: 7 });
  assert.deepEqual(parseRequest('{"type":"disks","id":"a-1"}'), { kind: "disks", dialect: "json", id: "a-1" });
  const bad = parseRequest(`{"type":"metrics","id":${JSON.stringify("x".repeat(65))}}`) as InvalidRequest;
  assert.equal(bad.kind, "invalid");
  assert.equal(bad.code, "MALFORMED_REQUEST");
  const fractional = parseRequest('{"type":"metrics","id":1.5}') as InvalidRequest;
  assert.equal(fractional.kind, "invalid");
});

const invalid: Array<[string, string, InvalidRequest["code"], string | null]> = [
  ["invalid JSON", "{not json", "MALFORMED_REQUEST", "{not json"],
  ["JSON array", "[1,2]", "MALFORMED_REQUEST", "[1,2]"],
  ["JSON string", '"metrics"', "MALFORMED_REQUEST", '"metrics"'],
  ["missing type", '{"kind":"metrics"}', "MALFORMED_REQUEST", null],
  ["type of wrong type", '{"type":5}', "MALFORMED_REQUEST", null],
  ["unknown type", '{"type":"reboot"}', "UNKNOWN_REQUEST", "reboot"],
  ["unknown command", "rm -rf /", "UNKNOWN_REQUEST", "rm -rf /"],
  ["empty frame", "", "MALFORMED_REQUEST", null],
  ["whitespace frame", "  \n ", "MALFORMED_REQUEST", null],
  ["non-numeric pid", "get_process_metrics:abc", "INVALID_PID", "get_process_metrics"],
  ["negative pid", "get_process_metrics:-5", "INVALID_PID", "get_process_metrics"],
  ["zero pid", "get_journal_entries:0", "INVALID_PID", "get_journal_entries"],
  ["pid beyond u32", "get_process_metrics:4294967296", "INVALID_PID", "get_process_metrics"],
  ["pid missing", "get_process_metrics", "INVALID_PID", "get_process_metrics"],
  ["JSON pid as float", '{"type":"process_metrics","pid":1.5}', "INVALID_PID", "process_metrics"],
  ["JSON pid missing", '{"type":"journal_entries"}', "INVALID_PID", "journal_entries"],
  ["top of zero", '{"type":"processes","top":0}', "MALFORMED_REQUEST", "processes"],
  ["top as float", '{"type":"processes","top":1.5}', "MALFORMED_REQUEST", "processes"],
  ["top as string", '{"type":"processes","top":"5"}', "MALFORMED_REQUEST", "processes"],
  ["top too large", `{"type":"processes","top":${MAX_TOP_PROCESSES + 1}}`, "MALFORMED_REQUEST", "processes"],
];
for (const [name, frame, code, request] of invalid) {
  test(`invalid request: ${name}`, () => {
    const parsed = parseRequest(frame) as InvalidRequest;
    assert.equal(parsed.kind, "invalid");
    assert.equal(parsed.code, code);
    assert.equal(parsed.request, request);
    assert.ok(parsed.error.length > 10, "error says what is wrong");
  });
}

test("binary frames are refused as requests", () => {
  const parsed = parseRequest(new Uint8Array([1, 2, 3]), true) as InvalidRequest;
  assert.equal(parsed.kind, "invalid");
  assert.match(parsed.error, /text frames/);
});

test("long unknown input is quoted back truncated", () => {
  const parsed = parseRequest("x".repeat(5000)) as InvalidRequest;
  assert.ok((parsed.request ?? "").length <= 65);
  assert.ok(parsed.error.length < 400);
});

test("parsePid accepts 1..2^32-1 only", () => {
  assert.equal(parsePid("1"), 1);
  assert.equal(parsePid(4294967295), 4294967295);
  assert.equal(parsePid("4294967295"), 4294967295);
  assert.equal(parsePid("01"), 1);
  for (const bad of ["", " 1", "1e3", "0x10", "-1", "99999999999", 0, -1, 2 ** 32, Number.NaN, null, true, "١"]) {
    assert.equal(parsePid(bad), null, `rejects ${String(bad)}`);
  }
});

test("encodeRequest round-trips through parseRequest", () => {
  const requests = [
    { kind: "metrics", dialect: "legacy" },
    { kind: "processes", dialect: "json" },
    { kind: "process_metrics", dialect: "legacy", pid: 42 },
    { kind: "journal_entries", dialect: "json", pid: 42, id: 3 },
  ] as const;
  for (const request of requests) assert.deepEqual(parseRequest(encodeRequest(request)), request);
  assert.equal(encodeRequest({ kind: "metrics", dialect: "legacy" }), "get_metrics");
  assert.equal(encodeRequest({ kind: "disks", dialect: "json" }), '{"type":"disks"}');
});

test("a processes request may ask for the top N only (JSON dialect)", () => {
  assert.deepEqual(parseRequest('{"type":"processes","top":3}'), { kind: "processes", dialect: "json", top: 3 });
  assert.deepEqual(parseRequest('{"type":"processes","top":1,"id":4}'), { kind: "processes", dialect: "json", top: 1, id: 4 });
  // null is no limit, as an absent field.
  assert.deepEqual(parseRequest('{"type":"processes","top":null}'), { kind: "processes", dialect: "json" });
  // Other requests ignore it, as they ignore any field they do not know.
  assert.deepEqual(parseRequest('{"type":"metrics","top":3}'), { kind: "metrics", dialect: "json" });
  const request = { kind: "processes", dialect: "json", top: 2, id: 9 } as const;
  assert.equal(encodeRequest(request), '{"type":"processes","top":2,"id":9}');
  assert.deepEqual(parseRequest(encodeRequest(request)), request);
  assert.throws(() => encodeRequest({ kind: "processes", dialect: "legacy", top: 2 }), RangeError);
});

test("a watcher's frequent frames are parsed once: the same frozen request, equal to the ordinary parse", () => {
  const kinds = ["metrics", "disks", "processes", "hello", "load", "disk_io", "cgroups"] as const;
  let frames = 0;
  for (const kind of kinds) {
    for (const dialect of ["json", "legacy"] as const) {
      if (dialect === "legacy" && kind === "hello") continue;
      const frame = encodeRequest({ kind, dialect });
      const first = parseRequest(frame);
      // Surrounding blanks take the ordinary path (the frame is then not one of the known ones).
      assert.deepEqual(first, parseRequest(` ${frame}\n`), frame);
      assert.deepEqual(first, { kind, dialect }, frame);
      assert.equal(parseRequest(frame), first, `${frame}: parsed once`);
      assert.ok(Object.isFrozen(first), `${frame}: frozen, so no reader can change what the next client gets`);
      frames++;
    }
  }
  assert.equal(frames, 13);
  // Not a text frame, or a request with an id: the ordinary path.
  assert.equal(parseRequest('{"type":"metrics"}', true).kind, "invalid");
  const withId = parseRequest('{"type":"metrics","id":7}');
  assert.deepEqual(withId, { kind: "metrics", dialect: "json", id: 7 });
  assert.notEqual(parseRequest('{"type":"metrics","id":7}'), withId);
});
