import { test } from "node:test";
import assert from "node:assert/strict";
import { TestClient, json, startTestAgent, wsUrl } from "./helpers/agent.js";

test("text frames are decoded as UTF-8: a multi-byte request id comes back whole, a leading BOM is ignored", async (t) => {
  const agent = await startTestAgent();
  const client = await TestClient.connect(wsUrl(agent));
  t.after(async () => {
    client.socket.terminate();
    await agent.close();
  });
  const id = "naïve-✓-𝄞";
  client.send(JSON.stringify({ type: "disks", id }));
  const reply = json<{ id: unknown; type: string }>(await client.next());
  assert.equal(reply.id, id);
  assert.equal(reply.type, "disks");
  client.send(`\uFEFF${JSON.stringify({ type: "disks", id: 2 })}`);
  const bom = json<{ id: unknown; type: string }>(await client.next());
  assert.equal(bom.id, 2, `a BOM before the JSON is not part of the request: ${JSON.stringify(bom)}`);
});
