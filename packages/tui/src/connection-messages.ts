/**
 * The TUI's own words for a connection problem. The connector's messages are
 * written for programs that call it (they name its options: tlsCa, the token
 * option…); a socktop user has flags and URLs instead. So the wording here is
 * chosen by the error's stable `code` and its structured fields (HTTP status,
 * certificate reason, the OS error of the cause), never by parsing the
 * connector's sentences. The connector's text appears only where the TUI has
 * nothing better to say (an unexpected reply, an agent's own error).
 */

export interface LinkContext {
  /** host:port as shown to the user. */
  target: string;
  /** The host alone (for "unknown host"). */
  host: string;
  /** A certificate was pinned with --tls-ca. */
  pinned: boolean;
  verifyHostname: boolean;
  /** The URL is wss://. */
  secure: boolean;
}

export interface ConnectionMessage {
  /** What went wrong, first: the banner's line. */
  title: string;
  /** What to do about it, with the technical reason in brackets. */
  detail: string;
}

function field<T>(error: unknown, name: string, type: "string" | "number"): T | null {
  const v = (error as Record<string, unknown> | null)?.[name];
  return typeof v === type ? (v as T) : null;
}

/** The OS or TLS error code under the connector's error (ECONNREFUSED, ENOTFOUND…). */
function causeCode(error: unknown): string {
  let e: unknown = (error as { cause?: unknown } | null)?.cause;
  for (let depth = 0; e && depth < 4; depth++) {
    const c = field<string>(e, "code", "string");
    if (c) return c;
    e = (e as { cause?: unknown }).cause;
  }
  return "";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error ?? "");
}

const UNREACHABLE = new Set(["EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EHOSTDOWN", "ENETDOWN"]);
const HANDSHAKE_DROPPED = new Set(["ECONNRESET", "EPIPE"]);

/** A bare "host:port" stands for a plain, unpinned link to it. */
function linkOf(link: LinkContext | string): LinkContext {
  if (typeof link !== "string") return link;
  const host = link.replace(/:\d+$/, "");
  return { target: link, host, pinned: false, verifyHostname: false, secure: false };
}

export function describeConnectionError(error: unknown, to: LinkContext | string): ConnectionMessage {
  const link = linkOf(to);
  const code = field<string>(error, "code", "string");
  const cause = causeCode(error);
  const status = field<number>(error, "status", "number");
  const { target } = link;
  const tlsHint = link.secure ? "" : " If the agent serves TLS, use wss:// (and --tls-ca for its certificate).";
  switch (code) {
    case "AUTH_FAILED":
      if (status === 403) {
        return { title: `refused by the agent at ${target} (HTTP 403)`, detail: "The agent does not accept this client: check the token and the agent's allowed origins." };
      }
      return {
        title: "authentication failed: wrong or missing token (check ?token= in the URL)",
        detail: `The agent at ${target} wants its SOCKTOP_TOKEN: add ?token=SECRET to the URL (or to the profile's URL). (HTTP ${status ?? 401})`,
      };
    case "CERTIFICATE_ERROR": {
      const reason = field<string>(error, "reason", "string") ?? (cause || "refused");
      if (reason === "ERR_TLS_CERT_ALTNAME_INVALID") {
        return {
          title: `TLS certificate does not name ${link.host}`,
          detail: `Connect by a name the certificate lists, add the name with SOCKTOP_AGENT_EXTRA_SANS on the agent, or leave out --verify-hostname. (${reason})`,
        };
      }
      if (link.pinned) {
        return {
          title: "TLS certificate mismatch: not the certificate pinned with --tls-ca",
          detail: `If the agent made itself a new certificate, copy its cert.pem again; otherwise something else answers at ${target}. (${reason})`,
        };
      }
      return {
        title: "TLS certificate not trusted: pin the agent's certificate with --tls-ca",
        detail: `The agent's certificate is self-signed or from an unknown authority: copy cert.pem from the agent's host ($XDG_DATA_HOME/socktop_agent/tls) and pass it with --tls-ca FILE. (${reason})`,
      };
    }
    case "TLS_ERROR":
      return {
        title: `TLS failed with ${target}`,
        detail: `Check that the agent serves TLS on this port (socktop_agent --enableSSL), or use ws:// for a plain agent. (${cause || message(error)})`,
      };
    case "CONNECTION_FAILED":
      if (cause === "ECONNREFUSED") return { title: `connection refused: no agent listening on ${target}`, detail: `Is socktop_agent running, on this port? (${cause})` };
      if (cause === "ENOTFOUND" || cause === "EAI_AGAIN" || cause === "EAI_NONAME") {
        return { title: `unknown host: ${link.host}`, detail: `The name does not resolve. (${cause})` };
      }
      if (UNREACHABLE.has(cause)) return { title: `cannot reach ${target}`, detail: `No route to the agent, or a firewall drops the connection. (${cause})` };
      if (status === 503) {
        return { title: `the agent at ${target} is not taking connections now`, detail: "It is shutting down or at its connection limit; socktop keeps retrying. (HTTP 503)" };
      }
      if (status !== null) {
        return { title: `${target} answered HTTP ${status}, not a WebSocket`, detail: "Is this the URL of a socktop agent? Agents serve ws://HOST:PORT/ws." };
      }
      if (HANDSHAKE_DROPPED.has(cause)) {
        return { title: `${target} closed the connection during the handshake`, detail: `${tlsHint.trim() || "The agent may be overloaded or restarting."} (${cause || "socket hang up"})` };
      }
      return { title: `cannot connect to ${target}`, detail: cause ? `(${cause})` : message(error) };
    case "TIMEOUT": {
      const phase = field<string>(error, "phase", "string");
      const ms = field<number>(error, "timeoutMs", "number");
      const within = ms !== null ? ` within ${Math.round(ms / 100) / 10} s` : "";
      if (phase === "connect") return { title: `timed out connecting to ${target}`, detail: `No answer${within}: the host may be down or a firewall drops packets.` };
      return { title: "timed out: the agent did not answer in time", detail: `No reply${within}: the agent may be overloaded or the network stalled.` };
    }
    case "CONNECTION_CLOSED":
    case "NOT_CONNECTED": {
      const closeCode = field<number>(error, "closeCode", "number");
      const closeReason = field<string>(error, "closeReason", "string");
      const how = closeCode !== null ? `close code ${closeCode}${closeReason ? `: ${closeReason}` : ""}` : "the link dropped";
      return { title: `connection to ${target} lost`, detail: `The agent stopped or the network dropped; socktop reconnects by itself. (${how})` };
    }
    case "PROTOCOL_ERROR":
    case "DECODE_ERROR":
      return { title: `unexpected reply from ${target}`, detail: message(error) };
    case "UNSUPPORTED_PROTOCOL": {
      const agent = field<number>(error, "agentProtocolVersion", "number");
      const ours = field<number>(error, "connectorProtocolVersion", "number");
      const detail =
        agent !== null && ours !== null
          ? `The agent speaks protocol ${agent}, this socktop up to ${ours}: upgrade the older of the two.`
          : "The agent and this socktop share no protocol version: upgrade the older of the two.";
      return { title: `incompatible agent at ${target}`, detail };
    }
    case "INVALID_URL":
      return { title: `no socktop agent at ${target}`, detail: "Nothing serves a socktop WebSocket at this URL: agents serve ws://HOST:PORT/ws." };
    case "AGENT_ERROR":
      return { title: `agent error from ${target}`, detail: field<string>(error, "agentMessage", "string") ?? message(error) };
    default:
      return { title: `cannot connect to ${target}`, detail: message(error) };
  }
}
