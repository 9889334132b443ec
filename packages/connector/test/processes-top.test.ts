/**
 * processes({ top }) against a protocol-2 agent that predates `processes_top`
 * (an earlier release of this agent): the connector asks as it always did and
 * cuts the whole list to the busiest itself.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeProcessList, topProcesses, type ProcessEntry } from "@socktop/protocol";
import { connect } from "../src/index.js";
import { startScriptedAgent } from "./helpers/scripted-agent.js";

const CAPABILITIES = ["metrics", "disks", "processes", "hello", "request_id", "error_frames", "process_rows"];

test("an agent without processes_top is sent the plain request; the reply is cut to the busiest here", async () => {
  const rows: ProcessEntry[] = Array.from({ length: 40 }, (_, i) => ({ pid: i + 1, name: `p${i + 1}`, cpu_usage: (i * 7) % 11, mem_bytes: 1000 * (i % 3) }));
  const agent = await startScriptedAgent({
    headers: { "x-socktop-protocol": "2", "x-socktop-min-protocol": "1", "x-socktop-capabilities": CAPABILITIES.join(","), "x-socktop-agent-version": "0.1.0" },
    onMessage: (text, socket) => {
      const request = JSON.parse(text) as { type: string; id: number };
      if (request.type === "hello") {
        const hello = { type: "hello", agent: "socktop_agent", agent_version: "0.1.0", protocol_version: 2, min_protocol_version: 1, capabilities: CAPABILITIES };
        socket.send(JSON.stringify({ id: request.id, type: "hello", data: hello }));
      } else socket.send(encodeProcessList(rows), { binary: true });
    },
  });
  try {
    const connection = await connect(agent.url, { reconnect: false });
    try {
      const list = await connection.processes({ top: 3 });
      assert.equal(list.process_count, 40);
      assert.deepEqual(list.processes, topProcesses(rows, 3));
      const sent = agent.received.map((t) => JSON.parse(t) as Record<string, unknown>);
      assert.deepEqual(sent.at(-1), { type: "processes", id: sent.at(-1)?.id });
    } finally {
      await connection.close();
    }
  } finally {
    await agent.close();
  }
});
