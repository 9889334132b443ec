/**
 * Protocol versions.
 *
 * 1 — the JSON dialect (the agent README's requests) and the legacy dialect (the original socktop's plain-text commands),
 *     with the reply shapes documented in docs/protocol.md. No handshake.
 * 2 — adds a `hello` exchange (agent version, protocol version, capabilities),
 *     optional request ids echoed in an envelope, and typed error frames.
 *     Everything in 2 is opt-in: a client that never asks sees protocol 1.
 */
export const LEGACY_PROTOCOL_VERSION = 1;
export const PROTOCOL_VERSION = 2;

/** The WebSocket subprotocol a version-aware client offers to select protocol 2. */
export const SUBPROTOCOL_V2 = "socktop.v2";

/** HTTP headers the agent adds to its upgrade response to state what it is. */
export const HEADER_AGENT_VERSION = "x-socktop-agent-version";
export const HEADER_PROTOCOL_VERSION = "x-socktop-protocol";
export const HEADER_CAPABILITIES = "x-socktop-capabilities";
export const HEADER_MIN_PROTOCOL_VERSION = "x-socktop-min-protocol";

/**
 * Query parameter asking the agent to push its hello frame first without a
 * subprotocol (for browsers, which cannot read headers and fail a handshake
 * whose offered subprotocol the original agent ignores).
 */
export const HELLO_QUERY_PARAMETER = "socktop_hello";
