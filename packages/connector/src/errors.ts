/**
 * The connector's errors: one class per failure kind, each with a stable
 * `code` that programs switch on, a message written for the person reading
 * it (what happened, then what to do), and the underlying `cause` kept.
 *
 * Messages never contain the token: URLs in them are redacted.
 */

/** Stable error codes. New codes may be added in minor versions; existing ones keep their meaning. */
export const ERROR_CODES = [
  "INVALID_URL",
  "CONNECTION_FAILED",
  "AUTH_FAILED",
  "TLS_ERROR",
  "CERTIFICATE_ERROR",
  "TIMEOUT",
  "CONNECTION_CLOSED",
  "NOT_CONNECTED",
  "PROTOCOL_ERROR",
  "DECODE_ERROR",
  "AGENT_ERROR",
  "UNSUPPORTED_PROTOCOL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SocktopErrorOptions {
  cause?: unknown;
}

/** Base class of every error the connector produces. */
export class SocktopError extends Error {
  readonly code: ErrorCode;
  declare readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, options: SocktopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** The URL cannot be used: not parseable, not ws(s)/http(s), no host, or no WebSocket endpoint at its path (HTTP 404). */
export class InvalidUrlError extends SocktopError {
  constructor(message: string, options?: SocktopErrorOptions) {
    super("INVALID_URL", message, options);
  }
}

/**
 * Why no connection could be made, for programs that word it their own way:
 * `refused` (nothing listens on the port), `unknown-host` (the name does not resolve),
 * `dns-unavailable` (the resolver did not answer), `unreachable` (host or network),
 * `tcp-timeout`, `reset` / `closed` (the peer dropped the handshake: often TLS spoken to
 * a plain port or the reverse), `http` (an HTTP answer that is not an upgrade: see `status`),
 * `unknown` (browsers do not say why).
 */
export type ConnectFailure = "refused" | "unknown-host" | "dns-unavailable" | "unreachable" | "tcp-timeout" | "reset" | "closed" | "http" | "unknown";

/** No connection could be made: refused, unreachable, unknown host, reset, or an HTTP answer that is not an upgrade. */
export class ConnectionFailedError extends SocktopError {
  /** The HTTP status of the refused upgrade, when there was one. */
  readonly status: number | null;
  readonly reason: ConnectFailure;
  /** The host dialled, without the port (e.g. `nonexistent.invalid`, `::1`). */
  readonly host: string | null;
  constructor(message: string, options: SocktopErrorOptions & { status?: number | null; reason?: ConnectFailure; host?: string | null } = {}) {
    super("CONNECTION_FAILED", message, options);
    this.status = options.status ?? null;
    this.reason = options.reason ?? (options.status == null ? "unknown" : "http");
    this.host = options.host ?? null;
  }
}

/** The agent refused the token (HTTP 401) or the client (HTTP 403). */
export class AuthFailedError extends SocktopError {
  readonly status: number;
  constructor(message: string, options: SocktopErrorOptions & { status: number }) {
    super("AUTH_FAILED", message, options);
    this.status = options.status;
  }
}

/** TLS could not be set up: unreadable or invalid CA option, TLS handshake failure, TLS spoken to a plain port. */
export class TlsError extends SocktopError {
  constructor(message: string, options?: SocktopErrorOptions) {
    super("TLS_ERROR", message, options);
  }
}

/**
 * What is wrong with the agent's certificate: `not-pinned-certificate` (a certificate is
 * pinned and this is not it), `untrusted` (nothing is pinned and the system does not trust
 * it: typically the agent's self-signed certificate, which must be pinned), `wrong-host`
 * (it does not name the host dialled), `expired`, `not-yet-valid`, `invalid` (anything else).
 */
export type CertificateProblem = "not-pinned-certificate" | "untrusted" | "wrong-host" | "expired" | "not-yet-valid" | "invalid";

/** The agent's certificate is not the pinned one (or not trusted, expired, or for another host when verifyHostname is on). */
export class CertificateError extends SocktopError {
  /** The TLS library's reason, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
  readonly reason: string | null;
  readonly problem: CertificateProblem;
  /** Whether a certificate was pinned for this connection. */
  readonly pinned: boolean;
  constructor(message: string, options: SocktopErrorOptions & { reason?: string | null; problem?: CertificateProblem; pinned?: boolean } = {}) {
    super("CERTIFICATE_ERROR", message, options);
    this.reason = options.reason ?? null;
    this.problem = options.problem ?? "invalid";
    this.pinned = options.pinned ?? false;
  }
}

/** Connecting, or waiting for a reply, took longer than allowed. */
export class TimeoutError extends SocktopError {
  readonly phase: "connect" | "request";
  readonly timeoutMs: number;
  constructor(message: string, options: SocktopErrorOptions & { phase: "connect" | "request"; timeoutMs: number }) {
    super("TIMEOUT", message, options);
    this.phase = options.phase;
    this.timeoutMs = options.timeoutMs;
  }
}

/** The link went away while a request was waiting for its reply (or the agent closed it). */
export class ConnectionClosedError extends SocktopError {
  /** WebSocket close code (1006 when the link dropped without one), when known. */
  readonly closeCode: number | null;
  readonly closeReason: string;
  constructor(message: string, options: SocktopErrorOptions & { closeCode?: number | null; closeReason?: string } = {}) {
    super("CONNECTION_CLOSED", message, options);
    this.closeCode = options.closeCode ?? null;
    this.closeReason = options.closeReason ?? "";
  }
}

/** A request was made while there is no link: reconnecting, or closed. */
export class NotConnectedError extends SocktopError {
  readonly state: "connecting" | "reconnecting" | "closed";
  constructor(message: string, options: SocktopErrorOptions & { state: "connecting" | "reconnecting" | "closed" }) {
    super("NOT_CONNECTED", message, options);
    this.state = options.state;
  }
}

/** The agent's reply could be read but is not what the protocol says (wrong shape, wrong id, unexpected frame). */
export class ProtocolError extends SocktopError {
  constructor(message: string, options?: SocktopErrorOptions) {
    super("PROTOCOL_ERROR", message, options);
  }
}

/** A reply's bytes could not be decoded: not JSON, not gzip, not a protobuf process list. */
export class DecodeError extends SocktopError {
  constructor(message: string, options?: SocktopErrorOptions) {
    super("DECODE_ERROR", message, options);
  }
}

/** The agent answered the request with an error object (`{"error": ...}`, or a protocol-2 error frame). */
export class AgentError extends SocktopError {
  /** The agent's own text, verbatim. */
  readonly agentMessage: string;
  /** The protocol-2 error code (NOT_FOUND, UNKNOWN_REQUEST, …); null from protocol-1 agents. */
  readonly agentCode: string | null;
  /** What the agent says was asked (command word or JSON type). */
  readonly request: string | null;
  readonly pid: number | null;
  constructor(
    message: string,
    options: SocktopErrorOptions & { agentMessage: string; agentCode?: string | null; request?: string | null; pid?: number | null },
  ) {
    super("AGENT_ERROR", message, options);
    this.agentMessage = options.agentMessage;
    this.agentCode = options.agentCode ?? null;
    this.request = options.request ?? null;
    this.pid = options.pid ?? null;
  }
}

/** The agent speaks no protocol version this connector speaks. */
export class UnsupportedProtocolError extends SocktopError {
  /** The newest protocol the agent speaks. */
  readonly agentProtocolVersion: number;
  /** The oldest protocol the agent still speaks (null when it did not say). */
  readonly agentMinProtocolVersion: number | null;
  /** The newest protocol this connector speaks. */
  readonly connectorProtocolVersion: number;
  readonly connectorMinProtocolVersion: number;
  constructor(
    message: string,
    options: SocktopErrorOptions & {
      agentProtocolVersion: number;
      agentMinProtocolVersion: number | null;
      connectorProtocolVersion: number;
      connectorMinProtocolVersion: number;
    },
  ) {
    super("UNSUPPORTED_PROTOCOL", message, options);
    this.agentProtocolVersion = options.agentProtocolVersion;
    this.agentMinProtocolVersion = options.agentMinProtocolVersion;
    this.connectorProtocolVersion = options.connectorProtocolVersion;
    this.connectorMinProtocolVersion = options.connectorMinProtocolVersion;
  }
}

/** True when `error` is a SocktopError (optionally with the given code). Works across bundled copies of the package. */
export function isSocktopError(error: unknown, code?: ErrorCode): error is SocktopError {
  if (error instanceof SocktopError) return code === undefined || error.code === code;
  // Two copies of the connector in one program (e.g. a bundle and node_modules) make instanceof fail.
  if (typeof error !== "object" || error === null) return false;
  const c = (error as { code?: unknown }).code;
  return (
    error instanceof Error &&
    typeof c === "string" &&
    (ERROR_CODES as readonly string[]).includes(c) &&
    (code === undefined || c === code)
  );
}

/** A short human description of any thrown value, for messages. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
