/**
 * Protocol 2 applies once the client has shown it speaks it (docs/protocol.md):
 * a request sent before the hello gets a protocol-1 reply even when its
 * reply is ready only after the hello was handled.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestClient, json, startTestAgent, wsUrl } from "./helpers/agent.js";

test("an error for a request sent before the hello keeps the protocol-1 shape, whatever the timing", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "socktop-switch-"));
  // A journalctl that answers slowly and fails: the journal reply is an error built well after the hello.
  const journalctl = join(dir, "journalctl");
  await writeFile(journalctl, "#!/bin/sh\nsleep 0.3\necho 'Failed to open journal: boom' >&2\nexit 1\n");
  await chmod(journalctl, 0o755);
  const agent = await startTestAgent({}, { details: { journalctl, journalTtlMs: 0 } });
  const client = await TestClient.connect(wsUrl(agent));
  t.after(async () => {
    client.socket.terminate();
    await agent.close();
    await rm(dir, { recursive: true, force: true });
  });

  client.send(`get_journal_entries:${process.pid}`);
  client.send(JSON.stringify({ type: "hello" }));
  client.send(`get_journal_entries:${process.pid}`);

  const early = json<Record<string, unknown>>(await client.next());
  assert.equal(early.type, undefined, `protocol-1 error object, got ${JSON.stringify(early)}`);
  assert.equal(early.code, undefined);
  assert.equal(early.request, "get_journal_entries");
  assert.equal(early.pid, process.pid);
  assert.match(String(early.error), /journal/i);

  const hello = json<Record<string, unknown>>(await client.next());
  assert.equal(hello.type, "hello");

  // After the hello, the same request's error is a protocol-2 error frame.
  const late = json<Record<string, unknown>>(await client.next());
  assert.equal(late.type, "error");
  assert.equal(typeof late.code, "string");
  assert.equal(late.request, "get_journal_entries");
});
