/**
 * The reply shapes: the committed JSON Schemas and validators are what the
 * definitions generate (no drift), and the validators accept and refuse what
 * the shapes say.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { generatedFiles, hoistArrayChecks, SCHEMA_DIR, VALIDATORS_FILE } from "../../../scripts/gen-shapes.js";
import { ShapeMismatchError, checkReply, isReply, replyErrors, type ReplyShapeName } from "../src/index.js";
import { REPLY_SHAPES } from "../src/shapes/index.js";

test("the committed schemas and validators are exactly what the shape definitions generate (run `npm run gen:shapes`)", () => {
  const files = generatedFiles();
  for (const [path, content] of files) {
    assert.equal(readFileSync(path, "utf8"), content, `${path} is stale: run npm run gen:shapes`);
  }
  const committed = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".schema.json"));
  assert.deepEqual(committed.sort(), Object.keys(REPLY_SHAPES).map((n) => `${n}.schema.json`).sort(), "one schema file per shape, no stale ones");
});

test("a lenient check (what clients run on every reply) creates no function when called: TypeBox's in-place array checks are declared once", () => {
  const lenient = readFileSync(VALIDATORS_FILE, "utf8").split("export const lenientChecks")[1] ?? "";
  assert.ok(lenient.includes("function array_0(array)"), "the array checks are hoisted");
  // The only arrows left are the module-level wrappers that run once, at import.
  const arrows = lenient.match(/=>/g)?.length ?? 0;
  const wrappers = lenient.match(/\(\(\) => \{/g)?.length ?? 0;
  assert.equal(arrows, wrappers);
  assert.equal(wrappers, Object.keys(REPLY_SHAPES).length);
});

test("hoistArrayChecks: nested array checks become functions, innermost first; strings with braces are skipped", () => {
  const code = [
    "const local_0 = 1;",
    "return function check(value) {",
    "  return (Array.isArray(value) && ((array) => { for(const value of array) if(!(value['x}'] === '{' && ((array) => { for(const value of array) if(!(value === 1)) { return false }; return true; })(value['y']))) { return false }; return true; })(value))",
    "}",
  ].join("\n");
  const hoisted = hoistArrayChecks(code);
  assert.equal(
    hoisted,
    [
      "const local_0 = 1;",
      "function array_0(array) { for(const value of array) if(!(value === 1)) { return false }; return true; }",
      "function array_1(array) { for(const value of array) if(!(value['x}'] === '{' && array_0(value['y']))) { return false }; return true; }",
      "return function check(value) {",
      "  return (Array.isArray(value) && array_1(value))",
      "}",
    ].join("\n"),
  );
  const check = new Function(hoisted) as () => (value: unknown) => boolean;
  assert.equal(check()([{ "x}": "{", y: [1, 1] }]), true);
  assert.equal(check()([{ "x}": "{", y: [1, 2] }]), false);
});

test("every schema is a 2020-12 document with a title", () => {
  for (const name of Object.keys(REPLY_SHAPES)) {
    const doc = JSON.parse(readFileSync(`${SCHEMA_DIR}/${name}.schema.json`, "utf8")) as Record<string, unknown>;
    assert.equal(doc.$schema, "https://json-schema.org/draft/2020-12/schema", name);
    assert.equal(typeof doc.title, "string", name);
  }
});

const network = { name: "eth0", received: 1, transmitted: 2 };
const metrics = {
  cpu_total: 12.5, cpu_per_core: [10, 15], mem_total: 100, mem_used: 50, swap_total: 0, swap_used: 0,
  hostname: "h", cpu_temp_c: null, networks: [network], gpus: null, process_count: 3,
};
const thread = { tid: 2, name: "t", cpu_time_user: 1, cpu_time_system: 2, status: "Sleeping" };
const details = {
  pid: 1, name: "init", command: "/sbin/init", cpu_usage: 0.5, mem_bytes: 1, virtual_mem_bytes: 2, shared_mem_bytes: null,
  thread_count: 1, fd_count: null, status: "Sleeping", parent_pid: 0, user_id: 0, group_id: 0, start_time: 1,
  cpu_time_user: 1, cpu_time_system: 1, read_bytes: null, write_bytes: null, working_directory: null, executable_path: null,
  child_processes: [], threads: [thread],
};

async function refuses(name: ReplyShapeName, value: unknown, where: RegExp): Promise<void> {
  assert.equal(isReply(name, value, "lenient"), false, `${name} accepted ${JSON.stringify(value).slice(0, 200)}`);
  const [first] = await replyErrors(name, value);
  assert.match(first ?? "", where);
}

test("valid replies pass, strictly and leniently", async () => {
  assert.deepEqual(await replyErrors("metrics-v2", metrics, "strict"), []);
  // An agent whose memory collector failed sends null memory (the legacy dialect sends 0).
  assert.deepEqual(await replyErrors("metrics-v2", { ...metrics, mem_total: null, mem_used: null, swap_total: null, swap_used: null }, "strict"), []);
  assert.deepEqual(await replyErrors("process-metrics", { process: { ...details, child_processes: [{ ...details, pid: 2 }] }, cached_at: 5 }, "strict"), []);
  assert.deepEqual(await replyErrors("journal", { entries: [{ timestamp: "2026-11-30T10:00:00.123Z", priority: "Info", message: "" }], total_count: 1, truncated: false, cached_at: 0 }, "strict"), []);
  assert.equal(await checkReply("metrics-v2", metrics), metrics, "the value itself is handed back, typed");
});

test("each kind of mismatch is refused, with the path of the offending field", async () => {
  await refuses("metrics-v2", { ...metrics, cpu_total: "12" }, /^\/cpu_total: Expected number$/);
  await refuses("metrics-v2", { ...metrics, cpu_total: 101 }, /^\/cpu_total: Expected number to be less or equal to 100$/);
  await refuses("metrics-v2", { ...metrics, process_count: 1.5 }, /^\/process_count: Expected union value$/);
  await refuses("legacy-metrics", { ...metrics, process_count: 1, disks: [], top_processes: [], mem_total: 1.5 }, /^\/mem_total: Expected integer$/);
  await refuses("metrics-v2", { ...metrics, cpu_total: Number.NaN }, /^\/cpu_total:/);
  await refuses("metrics-v2", { ...metrics, networks: [{ ...network, received: -1 }] }, /^\/networks\/0\/received:/);
  const { hostname: _dropped, ...noHostname } = metrics;
  await refuses("metrics-v2", noHostname, /^\/hostname: Expected required property$/);
  await refuses("metrics-v2", [metrics], /^the value: Expected object$/);
  // Three levels down a recursive shape: what connector/decode.ts used to leave unchecked.
  await refuses("process-metrics", { process: { ...details, child_processes: [{ ...details, threads: [{ ...thread, tid: "2" }] }] }, cached_at: 1 }, /^\/process\/child_processes\/0\/threads\/0\/tid:/);
  await refuses("process-metrics", { process: { ...details, fd_count: "12" }, cached_at: 1 }, /^\/process\/fd_count:/);
  await refuses("process-metrics", { error: "Process 9 not found", request: "get_process_metrics", pid: 9 }, /^\/process: Expected required property$/);
  await refuses("journal", { entries: [{ timestamp: "yesterday", priority: "Info", message: "" }], total_count: 1, truncated: false, cached_at: 0 }, /^\/entries\/0\/timestamp:/);
  await refuses("journal", { entries: [{ timestamp: "2026-11-30T10:00:00Z", priority: "Loud", message: "" }], total_count: 1, truncated: false, cached_at: 0 }, /^\/entries\/0\/priority:/);
  await refuses("hello", { type: "hello" }, /^\/agent: Expected required property$/);
  await refuses("disks", [{ name: "sda", total: -1, available: 0, temperature: null, is_partition: false }], /^\/0\/total:/);
  await refuses("envelope", { id: "x".repeat(65), type: "metrics", data: {} }, /^\/id:/);
  await refuses("error-frame", { type: "error", code: "NOPE", error: "x", request: null }, /^\/code:/);
  await assert.rejects(
    checkReply("metrics-v2", { ...metrics, hostname: null }),
    (error: unknown) =>
      error instanceof ShapeMismatchError && error.shape === "metrics-v2" && error.path === "/hostname" && error.message === "/hostname: Expected string",
  );
});

test("strict refuses fields a shape does not name (what this agent must send); lenient accepts them (what a client must)", async () => {
  const extra = { ...metrics, sampled_at_ms: 1 };
  assert.deepEqual(await replyErrors("metrics-v2", extra, "lenient"), []);
  assert.notDeepEqual(await replyErrors("metrics-v2", extra, "strict"), []);
  const nested = { process: { ...details, threads: [{ ...thread, nice: 0 }] }, cached_at: 1 };
  assert.equal(isReply("process-metrics", nested), true);
  assert.equal(isReply("process-metrics", nested, "strict"), false);
  assert.notDeepEqual(await replyErrors("error", { error: "x", request: null, extra: 1 }, "strict"), []);
});
