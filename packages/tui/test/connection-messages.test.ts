/**
 * The banner's words come from the TUI, chosen by the connector's error
 * code: the connector's real errors (built by its own handshake code) go in,
 * and nothing of the connector's API wording may come out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentError, ConnectionClosedError, TimeoutError, UnsupportedProtocolError } from "@socktop/connector";
import { handshakeError, httpRefusal } from "../../connector/src/transport-node.js";
import { parseAgentUrl } from "../../connector/src/url.js";
import { describeConnectionError, type LinkContext } from "../src/connection-messages.js";

const plain = parseAgentUrl("ws://agent.example:3000/ws", {});
const secure = parseAgentUrl("wss://agent.example:8443/ws", {});
const link = (over: Partial<LinkContext> = {}): LinkContext => ({
  target: "agent.example:3000",
  host: "agent.example",
  pinned: false,
  verifyHostname: false,
  secure: false,
  ...over,
});
const osError = (code: string): Error => Object.assign(new Error(`connect ${code} 10.0.0.1:3000`), { code });

/** Words that name the connector's options or API, which a socktop user does not have. */
const CONNECTOR_WORDS = /token option|tlsCa|verifyHostname|requestTimeoutMs|on\("state"\)|pass tlsCa/;

const cases: [string, unknown, LinkContext, RegExp, RegExp?][] = [
  ["401", httpRefusal(401, "bad token", plain), link(), /^authentication failed: wrong or missing token \(check \?token= in the URL\)$/, /\?token=SECRET/],
  ["403", httpRefusal(403, "", plain), link(), /HTTP 403/],
  ["404", httpRefusal(404, "", plain), link(), /^no socktop agent at agent\.example:3000$/],
  ["503", httpRefusal(503, "", plain), link(), /not taking connections now/],
  ["refused", handshakeError(osError("ECONNREFUSED"), plain, false), link(), /^connection refused: no agent listening on agent\.example:3000$/],
  // The host alone: "unknown host: name:port" put the port in the host.
  ["unknown host", handshakeError(osError("ENOTFOUND"), plain, false), link(), /^unknown host: agent\.example$/],
  ["reset on ws://", handshakeError(osError("ECONNRESET"), plain, false), link(), /closed the connection during the handshake/, /use wss:\/\/ \(and --tls-ca/],
  ["unreachable", handshakeError(osError("EHOSTUNREACH"), plain, false), link(), /^cannot reach/],
  [
    "pinned, other certificate",
    handshakeError(osError("DEPTH_ZERO_SELF_SIGNED_CERT"), secure, true),
    link({ pinned: true, secure: true }),
    /^TLS certificate mismatch: not the certificate pinned with --tls-ca$/,
  ],
  // Nothing pinned: the old wording claimed a pin that was never given.
  [
    "not pinned, self-signed",
    handshakeError(osError("DEPTH_ZERO_SELF_SIGNED_CERT"), secure, false),
    link({ secure: true }),
    /^TLS certificate not trusted: pin the agent's certificate with --tls-ca$/,
    /--tls-ca FILE/,
  ],
  [
    "host name not in the certificate",
    handshakeError(osError("ERR_TLS_CERT_ALTNAME_INVALID"), secure, true),
    link({ pinned: true, secure: true, verifyHostname: true }),
    /^TLS certificate does not name agent\.example$/,
    /--verify-hostname/,
  ],
  ["TLS to a plain port", handshakeError(osError("EPROTO"), secure, false), link({ secure: true }), /^TLS failed with/, /--enableSSL|ws:\/\//],
  ["connect timeout", new TimeoutError("x", { phase: "connect", timeoutMs: 5000 }), link(), /^timed out connecting to agent\.example:3000$/, /5 s/],
  ["request timeout", new TimeoutError("x", { phase: "request", timeoutMs: 10000 }), link(), /^timed out: the agent did not answer in time$/],
  ["closed", new ConnectionClosedError("x", { closeCode: 1001, closeReason: "going away" }), link(), /^connection to agent\.example:3000 lost$/, /1001: going away/],
  [
    "protocol",
    new UnsupportedProtocolError("x", { agentProtocolVersion: 9, agentMinProtocolVersion: 9, connectorProtocolVersion: 2, connectorMinProtocolVersion: 1 }),
    link(),
    /^incompatible agent/,
    /protocol 9, this socktop up to 2/,
  ],
  ["agent error", new AgentError("x", { agentMessage: "no such process" }), link(), /^agent error/, /^no such process$/],
  ["anything else", new Error("boom"), link(), /^cannot connect to agent\.example:3000$/, /^boom$/],
];

for (const [name, error, context, title, detail] of cases) {
  test(`banner wording: ${name}`, () => {
    const m = describeConnectionError(error, context);
    assert.match(m.title, title);
    if (detail) assert.match(m.detail, detail);
    assert.doesNotMatch(`${m.title} ${m.detail}`, CONNECTOR_WORDS);
    assert.ok(!m.title.includes("\n") && !m.detail.includes("\n"));
  });
}
