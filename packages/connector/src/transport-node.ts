/**
 * The Node platform: `ws` for the socket, node:fs for the pinned CA, node:zlib
 * for gzip. Learns the agent's version from the upgrade response headers, so it
 * offers no subprotocol (ws fails a handshake in which an offered subprotocol is
 * not selected, which is what the original agent does) and needs no pushed hello.
 */
import { readFile } from "node:fs/promises";
import type { ClientRequest, IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";
import type { ClientOptions, RawData, default as WsWebSocket } from "ws";
import {
  AuthFailedError,
  CertificateError,
  ConnectionClosedError,
  ConnectionFailedError,
  InvalidUrlError,
  ProtocolError,
  SocktopError,
  TimeoutError,
  TlsError,
  describe,
  type CertificateProblem,
  type ConnectFailure,
} from "./errors.js";
import { MAX_REPLY_BYTES } from "./decode.js";
import type { ResolvedOptions } from "./options.js";
import type { Frame, OpenRequest, Platform, PreparedPlatform, Transport, TransportEvents } from "./transport.js";
import type { AgentUrl } from "./url.js";

/**
 * ws (CommonJS) loaded with require(): importing it as an ES module goes
 * through Node's CommonJS translator, which lexes each of its files for named
 * exports, and cost ~5 MB of VmRSS for the life of the process (Node 20).
 */
const WebSocket = createRequire(import.meta.url)("ws") as typeof WsWebSocket;
type WebSocket = WsWebSocket;

/** Node's names for "the certificate is not trusted / not this host's / not valid now". */
const CERTIFICATE_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
]);

/** Socket error codes: what failed, and the message (about the host alone where the port does not matter). */
const CONNECT_CODES: Record<string, { reason: ConnectFailure; message: (url: AgentUrl) => string }> = {
  ECONNREFUSED: { reason: "refused", message: (u) => `${u.authority} refused the connection: is socktop_agent running and listening on that port?` },
  ENOTFOUND: { reason: "unknown-host", message: (u) => `${u.hostname} is not a known host name: check the spelling, or use an IP address.` },
  EAI_AGAIN: { reason: "dns-unavailable", message: (u) => `${u.hostname} could not be resolved (DNS is not answering): check the network, or use an IP address.` },
  EHOSTUNREACH: { reason: "unreachable", message: (u) => `${u.hostname} is unreachable: check the address and the network (firewall, VPN).` },
  ENETUNREACH: { reason: "unreachable", message: (u) => `${u.hostname} is on an unreachable network: check the address and the network.` },
  ETIMEDOUT: { reason: "tcp-timeout", message: (u) => `${u.authority} did not answer (TCP timeout): check the address, port and firewall.` },
  ECONNRESET: { reason: "reset", message: (u) => `${u.authority} reset the connection during the handshake.` },
  EPIPE: { reason: "closed", message: (u) => `${u.authority} closed the connection during the handshake.` },
};

/** Self-signed or from a CA this system does not know: with nothing pinned, pinning is the cure. */
const UNTRUSTED_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
]);

// Client-neutral advice: programs (the TUI, a script) name their own options; the messages
// say what to do, not which option of which program does it.
const TLS_HINT = " If the agent serves TLS, connect with wss:// (pinning the agent's certificate if it is self-signed).";

function certificateProblem(code: string, pinned: boolean): CertificateProblem {
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH") return "wrong-host";
  if (code === "CERT_HAS_EXPIRED") return "expired";
  if (code === "CERT_NOT_YET_VALID") return "not-yet-valid";
  if (UNTRUSTED_CODES.has(code)) return pinned ? "not-pinned-certificate" : "untrusted";
  return pinned && code !== "INVALID_CA" ? "not-pinned-certificate" : "invalid";
}

const CERTIFICATE_ADVICE: Record<CertificateProblem, string> = {
  "not-pinned-certificate":
    "it is not the pinned certificate. If the agent regenerated its certificate, pin the new cert.pem from the agent host; otherwise something else is answering at this address.",
  untrusted:
    "this system does not trust it and no certificate is pinned. An agent's own certificate is self-signed: pin it (the agent's cert.pem, under $XDG_DATA_HOME/socktop_agent/tls on the agent host) as the trusted CA.",
  "wrong-host":
    "the certificate does not name this host: connect by a name it lists, add the name with SOCKTOP_AGENT_EXTRA_SANS on the agent, or do not verify the hostname of a pinned certificate.",
  expired: "the certificate has expired: the agent makes a new one when its files are removed and it restarts; then pin the new cert.pem.",
  "not-yet-valid": "the certificate is not valid yet: check the clocks of both hosts.",
  invalid: "check the agent's certificate and the pinned CA file.",
};

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/;

/** Reads the tlsCa option: PEM text as is, anything else as a file path. */
export async function loadCa(tlsCa: string): Promise<string> {
  if (PEM_CERTIFICATE.test(tlsCa)) return tlsCa;
  let text: string;
  try {
    text = await readFile(tlsCa, "utf8");
  } catch (cause) {
    throw new TlsError(
      `Cannot read the CA file '${tlsCa}' (${describe(cause)}): pass the path of the agent's certificate (cert.pem, under $XDG_DATA_HOME/socktop_agent/tls on the agent host) or its PEM text.`,
      { cause },
    );
  }
  if (!PEM_CERTIFICATE.test(text)) {
    throw new TlsError(`The CA file '${tlsCa}' holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line): pass the agent's cert.pem, not its key.`);
  }
  return text;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Turns a socket/TLS error during the handshake into the connector's error for it. */
export function handshakeError(error: unknown, url: AgentUrl, pinned: boolean): SocktopError {
  if (error instanceof SocktopError) return error;
  const code = errorCode(error) ?? "";
  const text = describe(error);
  if (CERTIFICATE_CODES.has(code)) {
    const problem = certificateProblem(code, pinned);
    return new CertificateError(`The agent at ${url.display} presented a certificate that was refused (${code}): ${CERTIFICATE_ADVICE[problem]}`, {
      cause: error,
      reason: code,
      problem,
      pinned,
    });
  }
  if (code === "EPROTO" || code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") || /SSL|TLS/.test(text)) {
    return new TlsError(
      `TLS with ${url.authority} failed (${text}): check that the agent serves TLS on this port (SOCKTOP_ENABLE_SSL=1) or use ws:// for a plain agent.`,
      { cause: error },
    );
  }
  const known = CONNECT_CODES[code];
  const host = url.hostname;
  if (known !== undefined) {
    const tlsHint = !url.secure && (code === "ECONNRESET" || code === "EPIPE") ? TLS_HINT : "";
    return new ConnectionFailedError(`${known.message(url)}${tlsHint}`, { cause: error, reason: known.reason, host });
  }
  if (/socket hang up/i.test(text)) {
    const tlsHint = url.secure ? "" : TLS_HINT;
    return new ConnectionFailedError(`${url.authority} closed the connection during the WebSocket handshake.${tlsHint}`, { cause: error, reason: "closed", host });
  }
  return new ConnectionFailedError(`Could not open a WebSocket to ${url.display}: ${text}`, { cause: error, host });
}

/** The error for an HTTP answer that is not an upgrade. */
export function httpRefusal(status: number, body: string, url: AgentUrl): SocktopError {
  const said = body.trim().split("\n")[0]?.slice(0, 200) ?? "";
  const quote = said ? ` ("${said}")` : "";
  if (status === 401) {
    return new AuthFailedError(
      `The agent at ${url.display} refused the token (HTTP 401${quote}): connect with the agent's SOCKTOP_TOKEN as ?token=.`,
      { status },
    );
  }
  if (status === 403) {
    return new AuthFailedError(`The agent at ${url.display} refused this client (HTTP 403${quote}): check the token and the agent's allowed origins.`, { status });
  }
  if (status === 404) {
    return new InvalidUrlError(`There is no WebSocket endpoint at ${url.display} (HTTP 404${quote}): socktop agents serve ws://HOST:PORT/ws.`);
  }
  if (status === 503) {
    return new ConnectionFailedError(`The agent at ${url.display} is not taking connections now (HTTP 503${quote}): it is shutting down or at its connection limit; retry later.`, {
      status,
      host: url.hostname,
    });
  }
  return new ConnectionFailedError(`${url.display} answered HTTP ${status}${quote} instead of a WebSocket upgrade: is the URL that of a socktop agent?`, {
    status,
    host: url.hostname,
  });
}

function frameOf(data: RawData, isBinary: boolean): Frame {
  const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isBinary ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : buffer.toString("utf8");
}

function headerRecord(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Reads a short response body, bounded in size and time. */
function readBody(res: IncomingMessage, limitBytes: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (): void => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const timer = setTimeout(finish, timeoutMs);
    res.on("data", (chunk: Buffer) => {
      if (size < limitBytes) chunks.push(chunk.subarray(0, limitBytes - size));
      size += chunk.length;
      if (size >= limitBytes) finish();
    });
    res.once("end", finish);
    res.once("close", finish);
    res.once("error", finish);
  });
}

class NodeTransport implements Transport {
  headers: Record<string, string> | null = null;

  constructor(readonly socket: WebSocket) {}

  send(text: string): void {
    this.socket.send(text, (error) => {
      // A failed write means the link is gone; terminating makes the close event report it.
      if (error) this.socket.terminate();
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

function open(request: OpenRequest, events: TransportEvents, tls: { ca: string | undefined; verifyHostname: boolean }): Promise<Transport> {
  const { url, timeoutMs } = request;
  const options: ClientOptions = {
    perMessageDeflate: false,
    followRedirects: false,
    maxPayload: MAX_REPLY_BYTES,
  };
  if (url.secure && tls.ca !== undefined) {
    options.ca = tls.ca;
    // The pin authenticates the agent; its certificate often does not list the name it is reached by.
    // Node reads a falsy result as "identity accepted" (ws types it as boolean).
    if (!tls.verifyHostname) options.checkServerIdentity = () => false;
  }
  return new Promise<Transport>((resolve, reject) => {
    let settled = false;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url.href, options);
    } catch (cause) {
      reject(new InvalidUrlError(`Cannot open ${url.display}: ${describe(cause)}`, { cause }));
      return;
    }
    const transport = new NodeTransport(socket);
    let lastError: unknown;
    const fail = (error: SocktopError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(
        new TimeoutError(`Connecting to ${url.display} took longer than ${timeoutMs} ms: the host may be down or a firewall drops the packets; check the address and port.`, {
          phase: "connect",
          timeoutMs,
        }),
      );
    }, timeoutMs);

    socket.on("upgrade", (res: IncomingMessage) => {
      transport.headers = headerRecord(res);
    });
    socket.on("unexpected-response", (req: ClientRequest, res: IncomingMessage) => {
      void readBody(res, 512, 500).then((body) => {
        req.destroy();
        fail(httpRefusal(res.statusCode ?? 0, body, url));
      });
    });
    let opened = false;
    socket.on("open", () => {
      if (settled) {
        socket.terminate();
        return;
      }
      settled = true;
      opened = true;
      clearTimeout(timer);
      resolve(transport);
    });
    socket.on("message", (data, isBinary) => {
      events.message(frameOf(data, isBinary));
    });
    socket.on("error", (error) => {
      lastError = error;
      if (!settled) fail(handshakeError(error, url, tls.ca !== undefined));
    });
    socket.on("close", (code, reasonBuffer) => {
      if (!opened) {
        // A link that never opened is reported by the rejection, not as a closed link.
        fail(handshakeError(lastError ?? new Error("the connection closed during the handshake"), url, tls.ca !== undefined));
        return;
      }
      const reason = reasonBuffer.toString("utf8");
      let error: SocktopError | undefined;
      if (lastError !== undefined) {
        // ws reports protocol violations (oversized or malformed frames) as errors before closing.
        const wsCode = errorCode(lastError) ?? "";
        error = wsCode.startsWith("WS_ERR")
          ? new ProtocolError(`The agent at ${url.display} broke the WebSocket protocol (${describe(lastError)}); the connection was closed.`, { cause: lastError })
          : new ConnectionClosedError(`The connection to ${url.display} failed: ${describe(lastError)}`, { cause: lastError, closeCode: code, closeReason: reason });
      }
      events.close(code, reason, error);
    });
  });
}

/**
 * In the calling thread: a reply is a few KB of gzip (a process list of 2000
 * rows is ~60 KB raw), which inflates in well under a millisecond, while
 * zlib's callback form builds a stream and hops through the thread pool for
 * each one: with ten hosts that was 10 % of the fleet view's CPU. The output
 * cap (maxOutputLength) bounds the work as it did before.
 */
function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    const result = gunzipSync(bytes, { maxOutputLength: maxBytes });
    return Promise.resolve(new Uint8Array(result.buffer, result.byteOffset, result.byteLength));
  } catch (error) {
    return Promise.reject(error);
  }
}

export const nodePlatform: Platform = {
  async prepare(options: ResolvedOptions): Promise<PreparedPlatform> {
    const ca = options.tlsCa === undefined ? undefined : await loadCa(options.tlsCa);
    const tls = { ca, verifyHostname: options.verifyHostname };
    return {
      discovery: "headers",
      open: (request, events) => open(request, events, tls),
      gunzip,
    };
  },
};
