/**
 * Live replies of the real agent, in every dialect and protocol, checked
 * against the reply shapes of @socktop/protocol (the definitions the JSON
 * Schemas in packages/protocol/schemas are generated from), strictly: no
 * field the shape does not name. And the connector's values against the
 * shape it promises.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProcessList, replyErrors, type ReplyShapeName } from "@socktop/protocol";
import { TestClient, json, unzip, wsUrl } from "../../agent/test/helpers/agent.js";
import { connect } from "../src/index.js";
import { startLiveAgent, type StartedAgent } from "./helpers/live.js";

let agent: StartedAgent;
let v1: TestClient;
let v2: TestClient;

async function assertValid(name: ReplyShapeName, value: unknown): Promise<void> {
  assert.deepEqual(await replyErrors(name, value, "strict"), [], `${name}: ${JSON.stringify(value).slice(0, 300)}`);
}

let dir: string;

before(async () => {
  // This machine may have no systemd journal: journalctl is stood in for by a script printing
  // what journalctl --output=json prints, so that the journal reply (not its error) is checked.
  dir = await mkdtemp(join(tmpdir(), "socktop-schemas-"));
  const journalctl = join(dir, "journalctl");
  await writeFile(
    journalctl,
    `#!/bin/sh
echo '{"__REALTIME_TIMESTAMP":"1700000001000000","PRIORITY":"6","MESSAGE":"newer","_PID":"${process.pid}","_COMM":"node","_UID":"0","_GID":"0","_SYSTEMD_UNIT":"x.service"}'
echo '{"__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":"3","MESSAGE":[104,105]}'
`,
  );
  await chmod(journalctl, 0o755);
  agent = await startLiveAgent({}, { details: { journalctl, journalDirs: [dir] } });
  v1 = await TestClient.connect(wsUrl(agent));
  v2 = await TestClient.connect(wsUrl(agent), {}, ["socktop.v2"]);
});
after(async () => {
  await v1.close();
  await v2.close();
  await agent.close();
  await rm(dir, { recursive: true, force: true });
});

test('protocol 1, JSON dialect: {"type":"metrics"} and {"type":"disks"}', async () => {
  await assertValid("metrics", json(await v1.request('{"type":"metrics"}')));
  await assertValid("disks", json(await v1.request('{"type":"disks"}')));
});

test("protocol 1, legacy dialect: get_metrics, get_disks (text or gzip-binary)", async () => {
  await assertValid("legacy-metrics", json(await v1.request("get_metrics")));
  await assertValid("disks", json(await v1.request("get_disks")));
});

test("process list (both dialects), decoded", async () => {
  for (const request of ['{"type":"processes"}', "get_processes"]) {
    const frame = await v1.request(request);
    assert.equal(frame.isBinary, true);
    await assertValid("processes", decodeProcessList(unzip(frame)));
  }
});

test("process details and journal, both dialects: the reply itself, never an error object in its place", async () => {
  // This process exists and is readable, and journalctl's absence is a reply with no entries
  // (not an error): an error object here is a failure, not an alternative.
  await assertValid("process-metrics", json(await v1.request(`{"type":"process_metrics","pid":${process.pid}}`)));
  await assertValid("process-metrics", json(await v1.request(`get_process_metrics:${process.pid}`)));
  await assertValid("journal", json(await v1.request(`{"type":"journal_entries","pid":${process.pid}}`)));
  const journal = json<{ entries: unknown[] }>(await v1.request(`get_journal_entries:${process.pid}`));
  await assertValid("journal", journal);
  assert.equal(journal.entries.length, 2);
  await assertValid("error", json(await v1.request("get_process_metrics:4000000000")));
});

test("protocol 1 errors: the error object", async () => {
  await assertValid("error", json(await v1.request("reboot")));
  await assertValid("error", json(await v1.request('{"type":"nope"}')));
  await assertValid("error", json(await v1.request("get_process_metrics:abc")));
});

test("protocol 2: the pushed hello, envelopes around every JSON reply, typed error frames", async () => {
  await assertValid("hello", json(await v2.next()));
  const envelopes: Array<[string, ReplyShapeName]> = [
    ['{"type":"hello","id":1}', "hello"],
    ['{"type":"metrics","id":2}', "metrics-v2"],
    ['{"type":"disks","id":"three"}', "disks"],
  ];
  for (const [request, dataSchema] of envelopes) {
    const reply = json<{ id: unknown; data: unknown }>(await v2.request(request));
    await assertValid("envelope", reply);
    assert.equal(reply.id, (JSON.parse(request) as { id: unknown }).id);
    await assertValid(dataSchema, reply.data);
  }
  const details = json<{ data?: unknown }>(await v2.request(`{"type":"process_metrics","pid":${process.pid},"id":4}`));
  await assertValid("envelope", details);
  await assertValid("process-metrics", details.data);
  await assertValid("error-frame", json(await v2.request('{"type":"nope","id":5}')));
  await assertValid("error-frame", json(await v2.request("bogus")));
  await assertValid("error-frame", json(await v2.request('{"type":"process_metrics","pid":4000000000,"id":6}')));
});

test("the connector's values match the schemas it promises, in both protocols", async () => {
  for (const protocol of ["auto", "legacy"] as const) {
    const connection = await connect(wsUrl(agent), { protocol, reconnect: false });
    try {
      await assertValid("metrics-v2", await connection.metrics());
      await assertValid("disks", await connection.disks());
      await assertValid("processes", await connection.processes());
      await assertValid("process-metrics", await connection.processMetrics(process.pid));
      await assertValid("journal", await connection.journalEntries(process.pid));
    } finally {
      await connection.close();
    }
  }
});
