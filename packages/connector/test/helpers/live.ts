/**
 * The real agent, started in-process on a free loopback port (the agent
 * package's own test helper), plus small utilities shared by the tests.
 */
import type { IncomingMessage } from "node:http";
import type { AgentConfig } from "../../../agent/src/config.js";
import type { AgentExtras, StartedAgent } from "../../../agent/src/agent.js";
import { startTestAgent } from "../../../agent/test/helpers/agent.js";

export type { StartedAgent };

export function startLiveAgent(overrides: Partial<AgentConfig> = {}, extras: AgentExtras = {}): Promise<StartedAgent> {
  return startTestAgent(overrides, extras);
}

/** ws://127.0.0.1:PORT/ws of a started agent (wss:// when it serves TLS). */
export function liveUrl(agent: StartedAgent, scheme: "ws" | "wss" = agent.url.startsWith("wss") ? "wss" : "ws"): string {
  return `${scheme}://127.0.0.1:${agent.address.port}/ws`;
}

/** An admission check that refuses the upgrade with 401 unless ?token= matches, as the agent does with SOCKTOP_TOKEN. */
export function requireToken(token: string) {
  return (request: IncomingMessage) => {
    const given = new URL(request.url ?? "/", "http://agent").searchParams.get("token");
    return given === token ? null : { status: 401, reason: "missing or wrong token: connect with ?token=<token>" };
  };
}
