/**
 * What the agent is and which protocol to speak with it, from what it stated:
 * the upgrade response headers (Node), a hello frame (pushed on
 * `?socktop_hello=1`, or the reply to `{"type":"hello"}`), or nothing at all
 * (the original agent).
 */
import {
  HEADER_AGENT_VERSION,
  HEADER_CAPABILITIES,
  HEADER_PROTOCOL_VERSION,
  LEGACY_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  isReply,
  type HelloReply,
} from "@socktop/protocol";
import { ProtocolError, UnsupportedProtocolError } from "./errors.js";
import type { Frame } from "./transport.js";
import { CONNECTOR_VERSION } from "./version.js";

/** The newest protocol this connector speaks. */
export const CONNECTOR_PROTOCOL_VERSION = PROTOCOL_VERSION;
/** The oldest protocol this connector speaks. */
export const CONNECTOR_MIN_PROTOCOL_VERSION = LEGACY_PROTOCOL_VERSION;

/**
 * Optional upgrade header with the oldest protocol the agent still speaks.
 * Read when present, so that a future agent can be refused before anything is
 * sent; without it the connector asks with a pipelined hello instead.
 */
export { HEADER_MIN_PROTOCOL_VERSION } from "@socktop/protocol";
import { HEADER_MIN_PROTOCOL_VERSION } from "@socktop/protocol";

export interface AgentInfo {
  /** The agent's own version (e.g. "0.2.0"); null when the agent does not state it (the original agent). */
  agentVersion: string | null;
  /** The protocol spoken on this connection: 2, or 1 (the legacy commands). */
  protocolVersion: number;
  /** The newest protocol the agent speaks (1 for the original agent). */
  agentProtocolVersion: number;
  /** The oldest protocol the agent speaks; null until it says (hello). */
  agentMinProtocolVersion: number | null;
  /** What the agent says it can do (e.g. "metrics", "request_id"); empty when it does not say (the original agent). */
  capabilities: string[];
  /**
   * True when the agent stated no version at all: the original socktop_agent (or a proxy that hides
   * the headers). Also true while `source` is "pending", since until then the legacy commands are spoken.
   */
  legacy: boolean;
  /**
   * How the connector learned the above. "pending" (browsers only): the link is open but the agent's
   * first frame has not arrived yet; the other fields then describe what is spoken meanwhile (the
   * legacy commands), and `info` is replaced when that frame lands — at the latest when the first
   * reply resolves.
   */
  source: "headers" | "hello" | "none" | "pending";
}

/** The description of an agent that states nothing: everything it understands is protocol 1. */
export function legacyAgentInfo(): AgentInfo {
  return {
    agentVersion: null,
    protocolVersion: LEGACY_PROTOCOL_VERSION,
    agentProtocolVersion: LEGACY_PROTOCOL_VERSION,
    agentMinProtocolVersion: null,
    capabilities: [],
    legacy: true,
    source: "none",
  };
}

/** A link whose agent is not identified yet: requests go out as legacy commands, which every agent answers. */
export function pendingAgentInfo(): AgentInfo {
  return { ...legacyAgentInfo(), source: "pending" };
}

function parseVersionHeader(name: string, value: string, where: string): number {
  if (!/^\s*[0-9]{1,6}\s*$/.test(value)) {
    throw new ProtocolError(`The agent at ${where} sent the header ${name}: ${JSON.stringify(value.slice(0, 40))}, which is not a protocol number: is it a socktop agent?`);
  }
  return Number(value);
}

/** Throws UnsupportedProtocolError when the agent's range and ours do not overlap. */
export function checkCompatible(agentMax: number, agentMin: number | null, where: string, forcedLegacy: boolean): void {
  const ours = `this connector (@socktop/connector ${CONNECTOR_VERSION}) speaks protocols ${CONNECTOR_MIN_PROTOCOL_VERSION}–${CONNECTOR_PROTOCOL_VERSION}`;
  const theirs = agentMin === null ? `protocol ${agentMax}` : `protocols ${agentMin}–${agentMax}`;
  const details = {
    agentProtocolVersion: agentMax,
    agentMinProtocolVersion: agentMin,
    connectorProtocolVersion: CONNECTOR_PROTOCOL_VERSION,
    connectorMinProtocolVersion: CONNECTOR_MIN_PROTOCOL_VERSION,
  };
  if (agentMax < CONNECTOR_MIN_PROTOCOL_VERSION) {
    throw new UnsupportedProtocolError(`The agent at ${where} speaks ${theirs}, too old: ${ours}. Upgrade socktop_agent on that host.`, details);
  }
  if (agentMin !== null && agentMin > CONNECTOR_PROTOCOL_VERSION) {
    throw new UnsupportedProtocolError(
      `The agent at ${where} speaks ${theirs}, too new: ${ours}. Upgrade @socktop/connector (or the program using it) to a version that speaks protocol ${agentMin}.`,
      details,
    );
  }
  if (forcedLegacy && agentMin !== null && agentMin > LEGACY_PROTOCOL_VERSION) {
    throw new UnsupportedProtocolError(
      `The agent at ${where} speaks ${theirs} and no longer the legacy protocol ${LEGACY_PROTOCOL_VERSION} that protocol: "legacy" asks for: use protocol: "auto".`,
      details,
    );
  }
}

/**
 * The agent as its upgrade headers describe it; null when it sent no version
 * header (the original agent, which then gets the legacy commands).
 */
export function infoFromHeaders(headers: Readonly<Record<string, string>>, where: string, forcedLegacy: boolean): AgentInfo | null {
  const protocolHeader = headers[HEADER_PROTOCOL_VERSION];
  if (protocolHeader === undefined) return null;
  const agentMax = parseVersionHeader(HEADER_PROTOCOL_VERSION, protocolHeader, where);
  const minHeader = headers[HEADER_MIN_PROTOCOL_VERSION];
  const agentMin = minHeader === undefined ? null : parseVersionHeader(HEADER_MIN_PROTOCOL_VERSION, minHeader, where);
  checkCompatible(agentMax, agentMin, where, forcedLegacy);
  const capabilities = (headers[HEADER_CAPABILITIES] ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  return {
    agentVersion: headers[HEADER_AGENT_VERSION]?.trim() || null,
    protocolVersion: forcedLegacy ? LEGACY_PROTOCOL_VERSION : Math.min(agentMax, CONNECTOR_PROTOCOL_VERSION),
    agentProtocolVersion: agentMax,
    agentMinProtocolVersion: agentMin,
    capabilities,
    legacy: false,
    source: "headers",
  };
}

export function infoFromHello(hello: HelloReply, where: string): AgentInfo {
  checkCompatible(hello.protocol_version, hello.min_protocol_version, where, false);
  return {
    agentVersion: hello.agent_version,
    protocolVersion: Math.min(hello.protocol_version, CONNECTOR_PROTOCOL_VERSION),
    agentProtocolVersion: hello.protocol_version,
    agentMinProtocolVersion: hello.min_protocol_version,
    capabilities: [...hello.capabilities],
    legacy: false,
    source: "hello",
  };
}

/** The agent's pushed hello, unchecked, when the frame is one; null for anything else (a reply). */
function pushedHello(frame: Frame): unknown {
  // Cheap test first: a legacy reply is never a JSON object typed "hello", and most are binary.
  if (typeof frame !== "string" || !frame.includes('"hello"')) return null;
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return null;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) && (value as { type?: unknown }).type === "hello" ? value : null;
}

/**
 * What the first frame of a link opened with `?socktop_hello=1` says: our agent's pushed
 * hello as AgentInfo, or null for a reply (an agent that ignored the parameter: the original,
 * since ours sends its hello before any reply). Throws on a hello it cannot accept.
 */
export function infoFromFirstFrame(frame: Frame, where: string): AgentInfo | null {
  const hello = pushedHello(frame);
  if (hello === null) return null;
  // Checked synchronously: later frames are read in the dialect this hello decides.
  if (!isReply("hello", hello) || hello.min_protocol_version > hello.protocol_version) {
    throw new ProtocolError(`The agent's first frame is typed "hello" but is not a hello reply (see hello.schema.json): ${JSON.stringify(hello).slice(0, 200)}`);
  }
  return infoFromHello(hello, where);
}

/**
 * How a fresh link starts, decided before anything is sent on it:
 * - "legacy": the legacy commands; `identifying` when the agent cannot be known yet (the
 *   headers are hidden) and the link's first frame settles it (Connection.identify);
 * - "v2": protocol 2, with request ids when the agent offers them, and its hello "none"
 *   (not offered), "pipelined" (requests go out behind it) or "awaited" (an agent newer than
 *   this connector that did not state its minimum protocol must be heard first).
 */
export type LinkPlan =
  | { mode: "legacy"; info: AgentInfo; identifying: boolean }
  | { mode: "v2"; info: AgentInfo; useIds: boolean; hello: "none" | "pipelined" | "awaited" };

export function planLink(
  protocol: "auto" | "legacy",
  discovery: "headers" | "first-frame",
  headers: Readonly<Record<string, string>> | null,
  where: string,
): LinkPlan {
  if (protocol === "legacy") {
    const stated = headers === null ? null : infoFromHeaders(headers, where, true);
    return { mode: "legacy", info: stated ?? legacyAgentInfo(), identifying: false };
  }
  // Waiting for the first frame would cost the original agent a request timeout, since it
  // sends nothing unasked. So the link is usable at once, in the legacy dialect every agent
  // answers, and the first frame (our agent's pushed hello, or a reply) settles it.
  if (discovery === "first-frame") return { mode: "legacy", info: pendingAgentInfo(), identifying: true };
  const stated = headers === null ? null : infoFromHeaders(headers, where, false);
  // Nothing stated: the original agent, which ignores anything but the legacy commands.
  if (stated === null || stated.protocolVersion === LEGACY_PROTOCOL_VERSION) return { mode: "legacy", info: stated ?? legacyAgentInfo(), identifying: false };
  const useIds = stated.capabilities.includes("request_id");
  if (!stated.capabilities.includes("hello")) return { mode: "v2", info: stated, useIds, hello: "none" };
  // The hello switches the agent's error replies to typed frames and tells its minimum protocol.
  const mustWait = stated.agentMinProtocolVersion === null && stated.agentProtocolVersion > CONNECTOR_PROTOCOL_VERSION;
  return { mode: "v2", info: stated, useIds, hello: mustWait ? "awaited" : "pipelined" };
}
