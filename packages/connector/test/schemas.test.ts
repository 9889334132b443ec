/**
 * Live replies of the real agent, in every dialect and protocol, validated
 * against the JSON Schemas in packages/protocol/schemas; and the connector's
 * normalised values against the schema it promises.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { decodeProcessList } from "@socktop/protocol";
import { TestClient, json, unzip, wsUrl } from "../../agent/test/helpers/agent.js";
import { connect } from "../src/index.js";
import { loadSchemas, validate, type Schema } from "./helpers/json-schema.js";
import { startLiveAgent, type StartedAgent } from "./helpers/live.js";

const schemas = loadSchemas();
let agent: StartedAgent;
let v1: TestClient;
let v2: TestClient;

function schema(name: string): Schema {
  const s = schemas.get(name);
  assert.ok(s, `schema ${name}.schema.json exists`);
  return s;
}

function assertValid(name: string, value: unknown): void {
  const errors = validate(schema(name), value);
  assert.deepEqual(errors, [], `${name}: ${JSON.stringify(value).slice(0, 300)}`);
}

/** Process details / journal may not be served yet by the agent: then the reply is an error object, itself validated. */
function assertValidOrError(name: string, value: unknown, errorSchema: string): string {
  if (typeof value === "object" && value !== null && "error" in value) {
    assertValid(errorSchema, value);
    return "error";
  }
  assertValid(name, value);
  return "reply";
}

before(async () => {
  agent = await startLiveAgent();
  v1 = await TestClient.connect(wsUrl(agent));
  v2 = await TestClient.connect(wsUrl(agent), {}, ["socktop.v2"]);
});
after(async () => {
  await v1.close();
  await v2.close();
  await agent.close();
});

test("every schema is a 2020-12 schema with a title, and the validator understands all of it", () => {
  assert.ok(schemas.size >= 11);
  for (const [name, s] of schemas) {
    assert.equal(s.$schema, "https://json-schema.org/draft/2020-12/schema", name);
    assert.equal(typeof s.title, "string", name);
    validate(s, null); // throws on a keyword the validator does not know
  }
});

test("definitions shared between schemas are identical", () => {
  const defs = (name: string): Record<string, unknown> => (schema(name).$defs ?? {}) as Record<string, unknown>;
  assert.deepEqual(defs("metrics").network, defs("metrics-v2").network);
  assert.deepEqual(defs("metrics").network, defs("legacy-metrics").network);
  assert.deepEqual(defs("metrics").gpu, defs("metrics-v2").gpu);
  const seedProps = schema("metrics").properties as Record<string, unknown>;
  const v2Props = schema("metrics-v2").properties as Record<string, unknown>;
  for (const key of Object.keys(seedProps)) assert.deepEqual(v2Props[key], seedProps[key], key);
});

test("the validator rejects what it should", () => {
  assert.notDeepEqual(validate(schema("error"), { error: "x", request: null, extra: 1 }), []);
  assert.notDeepEqual(validate(schema("disks"), [{ name: "sda", total: -1, available: 0, temperature: null, is_partition: false }]), []);
  assert.notDeepEqual(validate(schema("hello"), { type: "hello" }), []);
  assert.notDeepEqual(validate(schema("journal"), { entries: [{ timestamp: "yesterday", priority: "Info", message: "" }], total_count: 1, truncated: false, cached_at: 0 }), []);
});

test('protocol 1, seed dialect: {"type":"metrics"} and {"type":"disks"}', async () => {
  assertValid("metrics", json(await v1.request('{"type":"metrics"}')));
  assertValid("disks", json(await v1.request('{"type":"disks"}')));
});

test("protocol 1, legacy dialect: get_metrics, get_disks (text or gzip-binary)", async () => {
  assertValid("legacy-metrics", json(await v1.request("get_metrics")));
  assertValid("disks", json(await v1.request("get_disks")));
});

test("process list (both dialects), decoded", async () => {
  for (const request of ['{"type":"processes"}', "get_processes"]) {
    const frame = await v1.request(request);
    assert.equal(frame.isBinary, true);
    assertValid("processes", decodeProcessList(unzip(frame)));
  }
});

test("process details and journal, both dialects (or the error object while the agent does not serve them)", async (t) => {
  const outcomes = [
    assertValidOrError("process-metrics", json(await v1.request(`{"type":"process_metrics","pid":${process.pid}}`)), "error"),
    assertValidOrError("process-metrics", json(await v1.request(`get_process_metrics:${process.pid}`)), "error"),
    assertValidOrError("journal", json(await v1.request(`{"type":"journal_entries","pid":${process.pid}}`)), "error"),
    assertValidOrError("journal", json(await v1.request(`get_journal_entries:${process.pid}`)), "error"),
  ];
  t.diagnostic(`details/journal replies: ${outcomes.join(", ")}`);
  assertValid("error", json(await v1.request("get_process_metrics:4000000000")));
});

test("protocol 1 errors: the error object", async () => {
  assertValid("error", json(await v1.request("reboot")));
  assertValid("error", json(await v1.request('{"type":"nope"}')));
  assertValid("error", json(await v1.request("get_process_metrics:abc")));
});

test("protocol 2: the pushed hello, envelopes around every JSON reply, typed error frames", async () => {
  assertValid("hello", json(await v2.next()));
  const envelopes: Array<[string, string]> = [
    ['{"type":"hello","id":1}', "hello"],
    ['{"type":"metrics","id":2}', "metrics-v2"],
    ['{"type":"disks","id":"three"}', "disks"],
  ];
  for (const [request, dataSchema] of envelopes) {
    const reply = json<{ id: unknown; data: unknown }>(await v2.request(request));
    assertValid("envelope", reply);
    assert.equal(reply.id, (JSON.parse(request) as { id: unknown }).id);
    assertValid(dataSchema, reply.data);
  }
  const details = json<{ data?: unknown }>(await v2.request(`{"type":"process_metrics","pid":${process.pid},"id":4}`));
  if ("data" in details) {
    assertValid("envelope", details);
    assertValid("process-metrics", details.data);
  } else {
    assertValid("error-frame", details);
  }
  assertValid("error-frame", json(await v2.request('{"type":"nope","id":5}')));
  assertValid("error-frame", json(await v2.request("bogus")));
  assertValid("error-frame", json(await v2.request('{"type":"process_metrics","pid":4000000000,"id":6}')));
});

test("the connector's values match the schemas it promises, in both protocols", async () => {
  for (const protocol of ["auto", "legacy"] as const) {
    const connection = await connect(wsUrl(agent), { protocol, reconnect: false });
    try {
      assertValid("metrics-v2", await connection.metrics());
      assertValid("disks", await connection.disks());
      assertValid("processes", await connection.processes());
    } finally {
      await connection.close();
    }
  }
});
