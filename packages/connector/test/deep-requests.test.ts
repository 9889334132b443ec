/**
 * The connector's issue-15 methods: load(), diskIo(), cgroups(), signal()
 * and protocol-2 process rows against the real agent, in both protocols;
 * and refusals before anything is sent to an agent that does not offer them.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { AgentError, cgroupSubtree, connect, type AgentConnection } from "../src/index.js";
import { replyErrors, type ReplyShapeName } from "@socktop/protocol";
import { liveUrl, startLiveAgent, type StartedAgent } from "./helpers/live.js";
import { startOriginalAgent, type OriginalAgent } from "./helpers/original-agent.js";

async function assertValid(name: ReplyShapeName, value: unknown): Promise<void> {
  assert.deepEqual(await replyErrors(name, value, "strict"), [], `${name}: ${JSON.stringify(value).slice(0, 300)}`);
}

let agent: StartedAgent;
before(async () => {
  agent = await startLiveAgent({ allowSignals: true });
});
after(async () => {
  await agent.close();
});

for (const protocol of ["auto", "legacy"] as const) {
  describe(`protocol: ${protocol}`, () => {
    let connection: AgentConnection;
    before(async () => {
      connection = await connect(liveUrl(agent), { protocol, reconnect: false });
    });
    after(async () => {
      await connection.close();
    });

    it("load(), diskIo() and cgroups() match their schemas", async () => {
      const load = await connection.load();
      await assertValid("load", load);
      assert.ok(load.uptime_seconds > 0);
      await assertValid("disk-io", await connection.diskIo());
      const cgroups = await connection.cgroups();
      await assertValid("cgroups", cgroups);
      if (cgroups.available && cgroups.groups.length > 0) {
        const first = cgroups.groups[0]!;
        assert.ok(cgroupSubtree(cgroups.groups, first.path).groups.length >= 1);
      }
    });

    it("processes(): the extra fields on protocol 2 only", async () => {
      const list = await connection.processes();
      await assertValid("processes", list);
      const self = list.processes.find((p) => p.pid === process.pid);
      assert.ok(self !== undefined);
      if (protocol === "auto") {
        assert.equal(self.ppid, process.ppid);
        assert.equal(typeof self.command, "string");
      } else {
        assert.deepEqual(Object.keys(self), ["pid", "name", "cpu_usage", "mem_bytes"]);
      }
    });

    it("signal(): TERM reaches a child; pid 1 comes back as a typed refusal", async () => {
      const child = spawn("sleep", ["60"], { stdio: "ignore" });
      const gone = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
      const reply = await connection.signal(child.pid as number, "TERM");
      await assertValid("signal", reply);
      assert.deepEqual(reply, { pid: child.pid, name: "sleep", signal: "TERM", result: "sent" });
      assert.equal(await gone, "SIGTERM");
      const refusal = await connection.signal(1, "KILL").catch((e: unknown) => e);
      assert.ok(refusal instanceof AgentError);
      assert.equal(refusal.agentCode, protocol === "auto" ? "FORBIDDEN" : null, "codes come with protocol 2");
      assert.equal(refusal.pid, 1);
      await assert.rejects(connection.signal(0, "TERM"), RangeError);
      // @ts-expect-error: not one of the allowed signals
      await assert.rejects(connection.signal(123, "SEGV"), /signal must be one of/);
    });
  });
}

describe("agents that do not offer them", () => {
  it("an agent without --allow-signals: signal() is refused before anything is sent", async () => {
    const plain = await startLiveAgent();
    const connection = await connect(liveUrl(plain), { reconnect: false });
    try {
      const error = await connection.signal(12345, "TERM").catch((e: unknown) => e);
      assert.ok(error instanceof AgentError);
      assert.equal(error.agentCode, "UNKNOWN_REQUEST");
      assert.match(error.message, /does not state the "signal" capability/);
      assert.equal(typeof (await connection.load()).load_1, "number", "the connection is still usable");
    } finally {
      await connection.close();
      await plain.close();
    }
  });

  it("the original agent: load(), diskIo(), cgroups() and signal() fail at once, nothing is sent", async () => {
    const original: OriginalAgent = await startOriginalAgent();
    const connection = await connect(original.url, { reconnect: false });
    try {
      for (const call of [() => connection.load(), () => connection.diskIo(), () => connection.cgroups(), () => connection.signal(42, "TERM")]) {
        const error = await call().catch((e: unknown) => e);
        assert.ok(error instanceof AgentError, String(error));
        assert.match(error.message, /an original socktop_agent/);
      }
      assert.equal((await connection.processes()).processes.length > 0, true, "the connection stays in step");
    } finally {
      await connection.close();
      await original.close();
    }
  });
});
