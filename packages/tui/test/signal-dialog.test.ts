/**
 * The signal dialog: `t` on a selected row names the process and the signal,
 * nothing is sent before Enter, and the agent's typed refusals read clearly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SignalName, SignalReply } from "@socktop/protocol";
import { AgentError } from "@socktop/connector";
import { describeSignalError, SignalDialog } from "../src/signal-dialog.js";
import { FakeClient, flush } from "./helpers/fixtures.js";
import { harness as startApp, type Harness as AppHarness } from "./helpers/app-harness.js";

class SignalClient extends FakeClient {
  sent: [number, SignalName][] = [];
  refuse: Error | null = null;
  async signal(pid: number, signal: SignalName): Promise<SignalReply> {
    if (this.refuse) throw this.refuse;
    this.sent.push([pid, signal]);
    return { pid, signal, name: "node", result: "sent" } as unknown as SignalReply;
  }
}

function harness(): Promise<AppHarness<SignalClient>> {
  return startApp({ client: new SignalClient(), w: 100, h: 30 });
}

test("t opens a dialog naming the process and TERM; arrows and letters pick; Esc sends nothing", async () => {
  const h = await harness();
  h.term.key("DOWN");
  const sel = h.app.state.table.selected()!;
  h.term.key("t");
  assert.match(h.render(), new RegExp(`─ Signal ─[\\s\\S]*Send TERM to ${sel.pid} ${sel.name}\\?`));
  h.term.key("RIGHT");
  assert.match(h.render(), new RegExp(`Send INT to ${sel.pid}`));
  h.term.key("k");
  assert.match(h.render(), new RegExp(`Send KILL to ${sel.pid}`));
  assert.equal(h.app.state.table.selected()!.pid, sel.pid, "keys go to the dialog, not the table");
  h.term.key("ESCAPE");
  assert.equal(h.app.state.signalDialog, null);
  assert.deepEqual(h.client.sent, []);
  await h.app.stop();
});

test("Enter sends the chosen signal with the connection's signal() and shows the answer", async () => {
  const h = await harness();
  h.term.key("DOWN");
  const pid = h.app.state.table.selected()!.pid;
  h.term.key("t");
  h.term.key("h");
  h.term.key("ENTER");
  await flush();
  assert.deepEqual(h.client.sent, [[pid, "HUP"]]);
  assert.match(h.render(), new RegExp(`Sent HUP to ${pid} \\(node\\)`));
  h.term.key("x");
  assert.equal(h.app.state.signalDialog, null);
  await h.app.stop();
});

test("a refusal is shown as the agent's typed error", async () => {
  const h = await harness();
  h.term.key("DOWN");
  h.client.refuse = new AgentError("refused", { agentMessage: "operation not permitted", agentCode: "PERMISSION_DENIED" });
  h.term.key("t");
  h.term.key("ENTER");
  await flush();
  const text = h.render();
  assert.match(text, /Permission denied: the agent's user may not signal \d+:.*\n.*operation not permitted\. \(any key closes\)/);
  await h.app.stop();
});

test("each refusal code reads as one clear sentence; no client: not connected", async () => {
  const err = (code: string, msg = ""): AgentError => new AgentError("x", { agentMessage: msg, agentCode: code });
  assert.match(describeSignalError(err("UNKNOWN_REQUEST"), "TERM", 5), /does not accept signals: start it with --allow-signals/);
  assert.match(describeSignalError(err("FORBIDDEN", "pid 1 is never signalled"), "KILL", 1), /refused to send KILL to 1: pid 1 is never signalled/);
  assert.match(describeSignalError(err("NOT_FOUND"), "TERM", 77), /77 no longer exists/);
  assert.match(describeSignalError(new Error("socket closed"), "TERM", 5), /TERM to 5 failed: socket closed/);
  let changed = 0;
  const d = new SignalDialog(5, "x", null, () => changed++);
  d.handleKey("ENTER");
  await flush();
  assert.equal(d.phase, "failed");
  assert.equal(d.message, "Not connected to the agent.");
  assert.ok(changed > 0);
});
