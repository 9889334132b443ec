/** planLink (src/negotiate.ts): how a fresh link starts, from the options and the agent's upgrade headers. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HEADER_CAPABILITIES, HEADER_MIN_PROTOCOL_VERSION, HEADER_PROTOCOL_VERSION, PROTOCOL_VERSION } from "@socktop/protocol";
import { planLink } from "../src/negotiate.js";

const WHERE = "ws://agent:3000/ws";
const ours = (capabilities: string, extra: Record<string, string> = {}): Record<string, string> => ({
  [HEADER_PROTOCOL_VERSION]: String(PROTOCOL_VERSION),
  [HEADER_CAPABILITIES]: capabilities,
  ...extra,
});

test("planLink: the original agent (no headers stated) and protocol \"legacy\" get the legacy commands", () => {
  const original = planLink("auto", "headers", {}, WHERE);
  assert.equal(original.mode === "legacy" && !original.identifying, true);
  assert.equal(original.info.legacy, true);
  const forced = planLink("legacy", "headers", ours("hello,request_id"), WHERE);
  assert.equal(forced.mode, "legacy");
  assert.equal(forced.info.agentProtocolVersion, PROTOCOL_VERSION, "what the agent stated is still reported");
});

test("planLink: hidden headers (browsers) start in the legacy dialect, identified by the first frame", () => {
  const plan = planLink("auto", "first-frame", null, WHERE);
  assert.equal(plan.mode, "legacy");
  assert.equal(plan.mode === "legacy" && plan.identifying, true);
});

test("planLink: protocol 2 with ids when offered; the hello pipelined, awaited only from a newer agent without a stated minimum", () => {
  const offered = planLink("auto", "headers", ours("hello,request_id"), WHERE);
  assert.equal(offered.mode, "v2");
  assert.equal(offered.mode === "v2" && offered.useIds, true);
  assert.equal(offered.mode === "v2" && offered.hello, "pipelined");
  const noHello = planLink("auto", "headers", ours("request_id"), WHERE);
  assert.equal(noHello.mode === "v2" && noHello.hello, "none");
  const newer = { [HEADER_PROTOCOL_VERSION]: String(PROTOCOL_VERSION + 1), [HEADER_CAPABILITIES]: "hello" };
  const awaited = planLink("auto", "headers", newer, WHERE);
  assert.equal(awaited.mode === "v2" && awaited.hello, "awaited");
  assert.equal(awaited.mode === "v2" && awaited.useIds, false);
  const statedMin = planLink("auto", "headers", { ...newer, [HEADER_MIN_PROTOCOL_VERSION]: "1" }, WHERE);
  assert.equal(statedMin.mode === "v2" && statedMin.hello, "pipelined");
});
